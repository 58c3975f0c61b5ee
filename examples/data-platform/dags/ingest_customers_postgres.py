"""
### Ingest customers from the shop database

Copies customers changed in the data interval from the application's read
replica into `raw.customers` (upsert on `id`), then refreshes planner
statistics on the raw table.
"""
from airflow import DAG
from airflow.operators.python import PythonOperator
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator

from common.config import TEMPLATE_MACROS
from common.defaults import APP_DB_CONN_ID, DEFAULT_ARGS, START_DATE, WAREHOUSE_CONN_ID
from common.warehouse import copy_incremental

with DAG(
    "ingest_customers_postgres",
    schedule="5 * * * *",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args={**DEFAULT_ARGS, "owner": "data-platform", "retries": 2},
    user_defined_macros=TEMPLATE_MACROS,
    tags=["ingest", "customers", "postgres"],
    doc_md=__doc__,
) as dag:
    copy_customers = PythonOperator(
        task_id="copy_customers",
        python_callable=copy_incremental,
        op_kwargs={
            "source_conn_id": APP_DB_CONN_ID,
            "source_table": "public.customers",
            "target": "customers",
            "columns": ["id", "first_name", "last_name", "email", "country_code", "created_at", "updated_at"],
            "key": "id",
            "window_start": "{{ data_interval_start }}",
            "window_end": "{{ data_interval_end }}",
        },
    )

    analyze_raw_customers = SQLExecuteQueryOperator(
        task_id="analyze_raw_customers",
        conn_id=WAREHOUSE_CONN_ID,
        sql="ANALYZE {{ schema('raw') }}.customers;",
        autocommit=True,
    )

    copy_customers >> analyze_raw_customers
