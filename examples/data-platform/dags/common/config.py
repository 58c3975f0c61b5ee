"""Read the pipeline settings that ferry deploys next to the DAG folder.

ferry renders ``config/pipelines.yml`` (base + the environment's overlay, secret
references resolved) into the environment's config target. Point
``DATA_PLATFORM_CONFIG_DIR`` at that folder; by default it is the ``config``
folder beside the DAG folder (the layout of ferry's local targets).

Only call these functions inside tasks or templates, never at module top
level: the scheduler parses DAG files far more often than tasks run.
"""
import json
import os
from functools import lru_cache
from pathlib import Path

_DAGS_DIR = Path(os.path.abspath(__file__)).parent.parent


def config_dir() -> Path:
    return Path(os.environ.get("DATA_PLATFORM_CONFIG_DIR", _DAGS_DIR.parent / "config"))


@lru_cache(maxsize=None)
def load_config(name: str = "pipelines.yml") -> dict:
    path = config_dir() / name
    with path.open(encoding="utf-8") as fh:
        if path.suffix == ".json":
            return json.load(fh)
        import yaml

        return yaml.safe_load(fh)


def setting(dotted_key: str, name: str = "pipelines.yml"):
    """``setting("batch.size")`` -> value of batch.size in the rendered config."""
    value = load_config(name)
    for part in dotted_key.split("."):
        value = value[part]
    return value


def schema(kind: str) -> str:
    """Warehouse schema for this environment: ``schema("raw")`` -> e.g. ``dev_raw``."""
    return setting(f"warehouse.schemas.{kind}")


# Pass as ``user_defined_macros`` so SQL templates can use {{ schema('raw') }}.
TEMPLATE_MACROS = {"schema": schema, "setting": setting}
