"""
### Airflow log cleanup

Daily: deletes task log files older than the environment's log retention and
removes the empty folders left behind. The DAG id is the function name.
"""
from airflow.decorators import dag, task
from airflow.operators.bash import BashOperator

from common.config import TEMPLATE_MACROS, setting
from common.defaults import DEFAULT_ARGS, START_DATE


@dag(
    schedule="30 0 * * *",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args={**DEFAULT_ARGS, "owner": "data-platform", "retries": 1},
    user_defined_macros=TEMPLATE_MACROS,
    tags=["maintenance", "airflow"],
    doc_md=__doc__,
)
def airflow_log_cleanup():
    delete_old_logs = BashOperator(
        task_id="delete_old_logs",
        bash_command=(
            'find "${AIRFLOW__LOGGING__BASE_LOG_FOLDER:-$AIRFLOW_HOME/logs}" -type f -name "*.log" '
            "-mtime +{{ setting('retention.log_days') }} -print -delete | wc -l"
        ),
    )

    remove_empty_dirs = BashOperator(
        task_id="remove_empty_dirs",
        bash_command='find "${AIRFLOW__LOGGING__BASE_LOG_FOLDER:-$AIRFLOW_HOME/logs}" -mindepth 1 -type d -empty -delete',
    )

    @task
    def report(deleted: str) -> None:
        print(f"Deleted {deleted} log files older than {setting('retention.log_days')} days")

    report(delete_old_logs.output)
    delete_old_logs >> remove_empty_dirs


airflow_log_cleanup()
