"""Warehouse helpers: incremental copies from Postgres into the raw schema."""
import logging

from common.config import schema, setting
from common.defaults import WAREHOUSE_CONN_ID

log = logging.getLogger(__name__)


def warehouse_hook():
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    return PostgresHook(postgres_conn_id=WAREHOUSE_CONN_ID)


def raw_table(name: str) -> str:
    return f"{schema('raw')}.{name}"


def copy_incremental(
    source_conn_id: str,
    source_table: str,
    target: str,
    columns: list[str],
    key: str,
    window_start: str,
    window_end: str,
    updated_column: str = "updated_at",
) -> int:
    """Upsert rows of ``source_table`` changed in [window_start, window_end) into raw.<target>."""
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    batch_size = setting("batch.size")
    source = PostgresHook(postgres_conn_id=source_conn_id)
    sink = warehouse_hook()
    query = (
        f"SELECT {', '.join(columns)} FROM {source_table} "
        f"WHERE {updated_column} >= %s AND {updated_column} < %s ORDER BY {updated_column}"
    )
    copied = 0
    with source.get_conn() as conn, conn.cursor(name=f"ferry_copy_{target}") as cursor:
        cursor.itersize = batch_size
        cursor.execute(query, (window_start, window_end))
        while rows := cursor.fetchmany(batch_size):
            sink.insert_rows(
                raw_table(target),
                rows,
                target_fields=columns,
                commit_every=batch_size,
                replace=True,
                replace_index=key,
            )
            copied += len(rows)
    log.info("Copied %d rows from %s into %s", copied, source_table, raw_table(target))
    return copied
