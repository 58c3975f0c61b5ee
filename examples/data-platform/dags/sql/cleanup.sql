-- Delete raw rows past the environment's retention window.
-- Rendered by Airflow: schema() and setting() come from common.config.TEMPLATE_MACROS.
DELETE FROM {{ schema('raw') }}.orders
WHERE _loaded_at < now() - interval '{{ setting("retention.raw_days") }} days';

DELETE FROM {{ schema('raw') }}.payments
WHERE _loaded_at < now() - interval '{{ setting("retention.raw_days") }} days';

DELETE FROM {{ schema('audit') }}.ingest_runs
WHERE finished_at < now() - interval '{{ setting("retention.audit_days") }} days';
