"""
### Ingest payments from the shop database

Checks that the read replica is not lagging, then copies payments changed in
the data interval into `raw.payments` (upsert on `id`).
"""
from airflow import DAG
from airflow.operators.python import PythonOperator
from airflow.providers.common.sql.operators.sql import SQLCheckOperator

from common.defaults import APP_DB_CONN_ID, DEFAULT_ARGS, START_DATE
from common.warehouse import copy_incremental

dag = DAG(
    dag_id="ingest_payments_postgres",
    schedule="10 * * * *",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args={**DEFAULT_ARGS, "owner": "data-platform", "retries": 2},
    tags=["ingest", "payments", "postgres"],
    doc_md=__doc__,
)

# Copying from a replica that is behind would silently skip late payments.
replica_is_fresh = SQLCheckOperator(
    task_id="replica_is_fresh",
    conn_id=APP_DB_CONN_ID,
    sql="SELECT COALESCE(now() - pg_last_xact_replay_timestamp(), interval '0') < interval '10 minutes'",
    retries=6,
    dag=dag,
)

copy_payments = PythonOperator(
    task_id="copy_payments",
    python_callable=copy_incremental,
    op_kwargs={
        "source_conn_id": APP_DB_CONN_ID,
        "source_table": "public.payments",
        "target": "payments",
        "columns": ["id", "order_id", "payment_method", "status", "amount_cents", "created_at", "updated_at"],
        "key": "id",
        "window_start": "{{ data_interval_start }}",
        "window_end": "{{ data_interval_end }}",
    },
    dag=dag,
)

replica_is_fresh >> copy_payments
