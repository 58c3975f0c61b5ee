"""Defaults shared by every DAG: start date, connection ids, default_args."""
from datetime import timedelta

import pendulum

from common.alerts import notify_failure, notify_retry

# Fixed, never computed from "now": a moving start_date confuses the scheduler.
START_DATE = pendulum.datetime(2024, 1, 1, tz="UTC")

WAREHOUSE_CONN_ID = "warehouse"
APP_DB_CONN_ID = "app_db_replica"

# The runtime image built from docker/Dockerfile (dbt and task dependencies).
RUNTIME_IMAGE = "ghcr.io/acme/data-platform-runtime:1.4.0"
K8S_NAMESPACE = "data-platform"

# DAGs spread these and set owner and retries themselves:
#   default_args={**DEFAULT_ARGS, "owner": "data-platform", "retries": 2}
DEFAULT_ARGS = {
    "owner": "data-platform",
    "retries": 2,
    "retry_delay": timedelta(minutes=5),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=30),
    "depends_on_past": False,
    "on_failure_callback": notify_failure,
    "on_retry_callback": notify_retry,
}
