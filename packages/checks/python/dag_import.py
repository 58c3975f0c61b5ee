#!/usr/bin/env python3
"""ferry DAG import check: import a DAG folder with Airflow's own DagBag.

    python3 dag_import.py <dag folder> <result.json>

Writes {"airflow": false, "error": "..."} when Airflow cannot be imported,
otherwise {"airflow": true, "version": "...", "import_errors": [{"file",
"traceback"}], "dags": [dag ids]}. The result goes to a file, not stdout:
Airflow logs to stdout and stderr while it imports DAGs.

This runs user code (that is what an import check is), so ferry only runs it
when `checks.dags.import_check` is true, or auto and Airflow is installed.
Source of the copy embedded in ferry's bundle
(packages/checks/src/dags/dag-facts-script.ts): after editing, run
`node --import tsx scripts/embed-python.ts`.
"""
import json
import os
import sys


def main():
    folder, result_path = sys.argv[1], sys.argv[2]

    def write(result):
        with open(result_path, "w") as fh:
            json.dump(result, fh)

    try:
        import airflow
    except BaseException as e:  # ImportError, or an Airflow that fails to initialise
        write({"airflow": False, "error": "%s: %s" % (type(e).__name__, e)})
        return 0
    try:
        from airflow.models.dagbag import DagBag
    except ImportError:
        try:  # where later Airflow versions keep it
            from airflow.dag_processing.dagbag import DagBag
        except ImportError as e:
            write({"airflow": False, "error": "Airflow %s is importable, but not its DagBag (%s)" % (getattr(airflow, "__version__", "?"), e)})
            return 0
    # DAG files import their helpers relative to the DAG folder, as they do under the scheduler.
    if folder not in sys.path:
        sys.path.insert(0, folder)
    bag = DagBag(dag_folder=folder, include_examples=False)
    errors = [{"file": f, "traceback": str(tb)} for f, tb in sorted(bag.import_errors.items())]
    write({"airflow": True, "version": getattr(airflow, "__version__", "unknown"), "import_errors": errors, "dags": sorted(bag.dags)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
