"""
### Ingest orders from the Orders API

Every hour, pulls orders created or updated in the run's data interval from the
shop's Orders API (paginated) and upserts them into `raw.orders`; records the
run in `audit.ingest_runs`. Base URL, token and page size come from the
rendered `pipelines.yml`.
"""
import json

from airflow.decorators import dag, task

from common.config import schema, setting
from common.defaults import DEFAULT_ARGS, START_DATE
from common.warehouse import raw_table, warehouse_hook

COLUMNS = ["id", "customer_id", "status", "currency", "created_at", "updated_at", "payload"]


@dag(
    dag_id="ingest_orders_api",
    schedule="15 * * * *",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args={**DEFAULT_ARGS, "owner": "data-platform", "retries": 3},
    tags=["ingest", "orders", "api"],
    doc_md=__doc__,
)
def ingest_orders_api():
    @task
    def extract_and_load(data_interval_start=None, data_interval_end=None) -> int:
        import requests

        api = setting("sources.orders_api")
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {api['token']}"
        params = {
            "updated_since": data_interval_start.isoformat(),
            "updated_before": data_interval_end.isoformat(),
            "per_page": api["page_size"],
        }
        url, loaded = f"{api['base_url']}/orders", 0
        while url:
            response = session.get(url, params=params, timeout=api["timeout_seconds"])
            response.raise_for_status()
            body = response.json()
            rows = [[o[c] for c in COLUMNS[:-1]] + [json.dumps(o)] for o in body["data"]]
            if rows:
                warehouse_hook().insert_rows(
                    raw_table("orders"), rows, target_fields=COLUMNS, replace=True, replace_index="id"
                )
            loaded += len(rows)
            url, params = body.get("next_page_url"), None  # the next URL carries the cursor
        return loaded

    @task
    def record_run(rows: int, run_id=None, data_interval_end=None) -> None:
        warehouse_hook().run(
            f"INSERT INTO {schema('audit')}.ingest_runs (source, run_id, rows_loaded, watermark, finished_at)"
            " VALUES (%s, %s, %s, %s, now())",
            parameters=("orders_api", run_id, rows, data_interval_end),
        )

    record_run(extract_and_load())


ingest_orders_api()
