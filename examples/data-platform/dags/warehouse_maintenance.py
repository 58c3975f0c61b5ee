"""
### Warehouse maintenance

Weekly: deletes raw and audit rows past the environment's retention window
(`sql/cleanup.sql`, retention days from `pipelines.yml`), then vacuums and
analyzes the raw tables.
"""
from airflow import DAG
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

from common.config import TEMPLATE_MACROS
from common.defaults import DEFAULT_ARGS, START_DATE, WAREHOUSE_CONN_ID

RAW_TABLES = ["orders", "customers", "payments"]

with DAG(
    "warehouse_maintenance",
    schedule="0 1 * * 0",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args={**DEFAULT_ARGS, "owner": "data-platform", "retries": 1},
    user_defined_macros=TEMPLATE_MACROS,
    tags=["maintenance", "warehouse"],
    doc_md=__doc__,
) as dag:
    delete_expired_rows = SQLExecuteQueryOperator(
        task_id="delete_expired_rows",
        conn_id=WAREHOUSE_CONN_ID,
        sql="sql/cleanup.sql",
        split_statements=True,
    )

    # VACUUM cannot run inside a transaction block, hence autocommit.
    vacuum_raw_tables = SQLExecuteQueryOperator(
        task_id="vacuum_raw_tables",
        conn_id=WAREHOUSE_CONN_ID,
        sql=[f"VACUUM (ANALYZE) {{{{ schema('raw') }}}}.{table}" for table in RAW_TABLES],
        autocommit=True,
    )

    delete_expired_rows >> vacuum_raw_tables
