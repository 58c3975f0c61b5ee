"""Slack alerts for failed and retried tasks, sent to the environment's alert channel."""
import logging

from common.config import setting

log = logging.getLogger(__name__)

SLACK_CONN_ID = "slack_api_default"


def post_to_slack(channel: str, text: str) -> None:
    from airflow.providers.slack.hooks.slack import SlackHook

    SlackHook(slack_conn_id=SLACK_CONN_ID).client.chat_postMessage(channel=channel, text=text)


def _notify(context, event: str, icon: str) -> None:
    ti = context["task_instance"]
    text = (
        f"{icon} *{ti.dag_id}.{ti.task_id}* {event} on try {ti.try_number} "
        f"(run `{context['run_id']}`)\n<{ti.log_url}|Open the log>"
    )
    try:
        if event in setting("alerts.notify_on"):
            post_to_slack(setting("alerts.slack_channel"), text)
    except Exception:  # an alert must never mask the task's own error
        log.exception("Could not send the Slack alert for %s.%s", ti.dag_id, ti.task_id)


def notify_failure(context) -> None:
    """on_failure_callback (sent when alerts.notify_on lists "failure")."""
    _notify(context, "failure", ":red_circle:")


def notify_retry(context) -> None:
    """on_retry_callback (sent when alerts.notify_on lists "retry")."""
    _notify(context, "retry", ":large_orange_circle:")
