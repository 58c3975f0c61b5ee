"""
### Weekly KPI report

Every Monday morning: computes last week's orders, revenue, average order
value and new customers from the marts and posts them to the environment's
report channel in Slack.
"""
from airflow.decorators import dag, task

from common.alerts import post_to_slack
from common.config import schema, setting
from common.defaults import DEFAULT_ARGS, START_DATE
from common.warehouse import warehouse_hook

KPI_SQL = """
SELECT
    COUNT(*)                                        AS orders,
    COALESCE(SUM(net_amount), 0)                    AS revenue,
    COALESCE(AVG(net_amount), 0)                    AS avg_order_value,
    (SELECT COUNT(*) FROM {analytics}.dim_customers
      WHERE first_order_at >= %(start)s AND first_order_at < %(end)s) AS new_customers
FROM {analytics}.fct_orders
WHERE ordered_at >= %(start)s AND ordered_at < %(end)s AND order_status <> 'cancelled'
"""


@dag(
    dag_id="weekly_kpi_report",
    schedule="0 7 * * 1",
    start_date=START_DATE,
    catchup=False,
    default_args={**DEFAULT_ARGS, "owner": "analytics-engineering", "retries": 2},
    tags=["report", "kpi", "slack"],
    doc_md=__doc__,
)
def weekly_kpi_report():
    @task
    def compute_kpis(data_interval_start=None, data_interval_end=None) -> dict:
        sql = KPI_SQL.format(analytics=schema("analytics"))
        orders, revenue, aov, new_customers = warehouse_hook().get_first(
            sql, parameters={"start": data_interval_start, "end": data_interval_end}
        )
        return {
            "week": data_interval_start.strftime("%G-W%V"),
            "orders": int(orders),
            "revenue": float(revenue),
            "avg_order_value": float(aov),
            "new_customers": int(new_customers),
        }

    @task
    def post_report(kpis: dict) -> None:
        post_to_slack(
            setting("alerts.report_channel"),
            f":bar_chart: *Weekly KPIs {kpis['week']}*\n"
            f"Orders: {kpis['orders']:,}  |  Revenue: ${kpis['revenue']:,.2f}  |  "
            f"AOV: ${kpis['avg_order_value']:,.2f}  |  New customers: {kpis['new_customers']:,}",
        )

    post_report(compute_kpis())


weekly_kpi_report()
