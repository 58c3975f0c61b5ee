"""
### Reverse ETL: customer segments to the CRM

Pushes customers whose segment differs from the one last synced (kept in
`audit.crm_synced_segments`) from `dim_customers` to the CRM's contacts API,
in batches; each batch is recorded as synced once the CRM accepts it, so a
retry resumes where it stopped. Runs only where `features.reverse_etl_enabled`
is on (off in dev). The DAG id is the function name.
"""
from airflow.decorators import dag, task

from common.config import schema, setting
from common.defaults import DEFAULT_ARGS, START_DATE
from common.warehouse import warehouse_hook

CHANGED_SQL = """
SELECT d.customer_id, d.email, d.customer_segment, d.lifetime_value
FROM {analytics}.dim_customers AS d
LEFT JOIN {audit}.crm_synced_segments AS s USING (customer_id)
WHERE s.customer_segment IS DISTINCT FROM d.customer_segment
"""


@dag(
    schedule="0 5 * * *",
    start_date=START_DATE,
    catchup=False,
    max_active_runs=1,
    default_args={**DEFAULT_ARGS, "owner": "growth-data", "retries": 3},
    tags=["reverse-etl", "crm", "customers"],
    doc_md=__doc__,
)
def reverse_etl_customer_segments():
    @task.short_circuit
    def enabled() -> bool:
        return bool(setting("features.reverse_etl_enabled"))

    @task
    def sync_changed_segments() -> int:
        import requests

        crm, hook = setting("destinations.crm"), warehouse_hook()
        rows = hook.get_records(CHANGED_SQL.format(analytics=schema("analytics"), audit=schema("audit")))
        for start in range(0, len(rows), crm["batch_size"]):
            batch = rows[start : start + crm["batch_size"]]
            contacts = [
                {"external_id": str(cid), "email": email, "segment": segment, "lifetime_value": float(ltv)}
                for cid, email, segment, ltv in batch
            ]
            response = requests.post(
                f"{crm['base_url']}/contacts/batch_upsert",
                json={"contacts": contacts},
                headers={"Authorization": f"Bearer {crm['token']}"},
                timeout=crm["timeout_seconds"],
            )
            response.raise_for_status()
            hook.insert_rows(
                f"{schema('audit')}.crm_synced_segments",
                [(cid, segment) for cid, _, segment, _ in batch],
                target_fields=["customer_id", "customer_segment"],
                replace=True,
                replace_index="customer_id",
            )
        return len(rows)

    enabled() >> sync_changed_segments()


reverse_etl_customer_segments()
