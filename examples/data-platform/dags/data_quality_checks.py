"""
### Data quality checks on the marts

Runs after the nightly dbt build: column and table checks on `fct_orders` and
`dim_customers`, plus freshness and volume checks against the thresholds in
`config/quality-thresholds.json` (enforced where
`features.strict_quality_checks` is on, warnings elsewhere).
"""
import logging

from airflow import DAG
from airflow.decorators import task
from airflow.providers.common.sql.operators.sql import SQLColumnCheckOperator, SQLTableCheckOperator

from common.config import TEMPLATE_MACROS, load_config, schema, setting
from common.defaults import DEFAULT_ARGS, START_DATE, WAREHOUSE_CONN_ID
from common.warehouse import warehouse_hook

with DAG(
    "data_quality_checks",
    schedule="0 4 * * *",
    start_date=START_DATE,
    catchup=False,
    default_args={**DEFAULT_ARGS, "owner": "analytics-engineering", "retries": 0},
    user_defined_macros=TEMPLATE_MACROS,
    tags=["quality", "marts"],
    doc_md=__doc__,
) as dag:
    orders_columns = SQLColumnCheckOperator(
        task_id="fct_orders_columns",
        conn_id=WAREHOUSE_CONN_ID,
        table="{{ schema('analytics') }}.fct_orders",
        column_mapping={
            "order_id": {"null_check": {"equal_to": 0}, "unique_check": {"equal_to": 0}},
            "net_amount": {"min": {"geq_to": 0}},
        },
    )

    customers_table = SQLTableCheckOperator(
        task_id="dim_customers_table",
        conn_id=WAREHOUSE_CONN_ID,
        table="{{ schema('analytics') }}.dim_customers",
        checks={
            "has_rows": {"check_statement": "COUNT(*) > 0"},
            "valid_lifetime_value": {"check_statement": "MIN(lifetime_value) >= 0"},
        },
    )

    @task
    def check_thresholds() -> None:
        failures = []
        for table, limits in load_config("quality-thresholds.json")["tables"].items():
            hours_stale, rows_today = warehouse_hook().get_first(
                f"SELECT EXTRACT(EPOCH FROM now() - MAX(_loaded_at)) / 3600,"
                f" COUNT(*) FILTER (WHERE _loaded_at >= current_date) FROM {schema('raw')}.{table}"
            )
            if hours_stale is None or hours_stale > limits["max_staleness_hours"]:
                failures.append(f"{table}: last load {hours_stale} hours ago")
            if rows_today < limits["min_daily_rows"]:
                failures.append(f"{table}: {rows_today} rows today, expected >= {limits['min_daily_rows']}")
        if failures and setting("features.strict_quality_checks"):
            raise ValueError("Quality thresholds not met:\n" + "\n".join(failures))
        for failure in failures:  # outside strict environments (dev), only warn
            logging.warning("Quality threshold not met: %s", failure)

    check_thresholds()
