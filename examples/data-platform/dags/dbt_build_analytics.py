"""
### Build the dbt project `analytics`

Runs dbt in the runtime image (docker/Dockerfile) on Kubernetes: source
freshness, seeds, then `dbt build` (models and tests together). The dbt target
and threads come from the rendered `pipelines.yml`; warehouse credentials come
from the `warehouse-credentials` Kubernetes secret, never from this file.
"""
from airflow import DAG
from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
from airflow.providers.cncf.kubernetes.secret import Secret

from common.config import TEMPLATE_MACROS
from common.defaults import DEFAULT_ARGS, K8S_NAMESPACE, RUNTIME_IMAGE, START_DATE

WAREHOUSE_PASSWORD = Secret("env", "DBT_PASSWORD", "warehouse-credentials", "password")


def dbt_task(task_id: str, *command: str) -> KubernetesPodOperator:
    return KubernetesPodOperator(
        task_id=task_id,
        name=f"dbt-{task_id.replace('_', '-')}",
        namespace=K8S_NAMESPACE,
        image=RUNTIME_IMAGE,
        cmds=["dbt"],
        arguments=[*command, "--target", "{{ setting('dbt.target') }}", "--threads", "{{ setting('dbt.threads') }}"],
        env_vars={"DBT_RAW_SCHEMA": "{{ schema('raw') }}", "DBT_SCHEMA": "{{ schema('analytics') }}"},
        secrets=[WAREHOUSE_PASSWORD],
        get_logs=True,
        on_finish_action="delete_pod",
    )


with DAG(
    "dbt_build_analytics",
    schedule="0 3 * * *",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args={**DEFAULT_ARGS, "owner": "analytics-engineering", "retries": 1},
    user_defined_macros=TEMPLATE_MACROS,
    tags=["dbt", "transform", "analytics"],
    doc_md=__doc__,
) as dag:
    freshness = dbt_task("dbt_source_freshness", "source", "freshness")
    seed = dbt_task("dbt_seed", "seed")
    build = dbt_task("dbt_build", "build", "--exclude", "resource_type:seed")

    freshness >> seed >> build
