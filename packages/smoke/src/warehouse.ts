/**
 * What the SQL checks need from a warehouse. PostgreSQL (`pg`) is the first
 * implementation; another warehouse implements the same four calls and is
 * chosen by `smoke.sql.engine`.
 */
import pg from 'pg';
import { FerryError, problem } from '@ferry/core';

export interface ColumnInfo {
  name: string;
  /** As the warehouse reports it (information_schema.columns.data_type, with length/precision where declared). */
  dataType: string;
}

export interface Warehouse {
  readonly engine: string;
  /** Rows of a query; every statement is bounded by the statement timeout given to connect. */
  query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /** Columns of a relation (schema.name), in order; empty when it does not exist. */
  describe(relation: { database?: string; schema: string; name: string }): Promise<ColumnInfo[]>;
  /** Quotes an identifier for this warehouse's SQL. */
  quote(identifier: string): string;
  close(): Promise<void>;
}

export interface ConnectOptions {
  statementTimeoutMs: number;
}

export type WarehouseEngine = (url: string, opts: ConnectOptions) => Promise<Warehouse>;

export const ENGINES: Record<string, WarehouseEngine> = {
  postgres: connectPostgres,
};

/** Never shows the URL (it holds the password): only host, port and database. */
function where(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`;
  } catch {
    return '(the URL does not parse)';
  }
}

export async function connectPostgres(url: string, opts: ConnectOptions): Promise<Warehouse> {
  if (!/^postgres(ql)?:\/\//.test(url)) {
    throw new FerryError(problem('FERRY_WAREHOUSE', 'smoke.sql.connection is not a postgres:// URL (its value is not shown)', { location: { key: 'smoke.sql.connection' } }));
  }
  const client = new pg.Client({
    connectionString: url,
    statement_timeout: opts.statementTimeoutMs,
    query_timeout: opts.statementTimeoutMs + 5000,
    connectionTimeoutMillis: Math.min(opts.statementTimeoutMs, 30_000),
    application_name: 'ferry-smoke',
  });
  client.on('error', () => {}); // a dropped connection surfaces on the next query
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => undefined);
    throw new FerryError(problem('FERRY_WAREHOUSE', `cannot connect to PostgreSQL at ${where(url)}: ${(e as Error).message}`, { location: { key: 'smoke.sql.connection' } }));
  }
  // Smoke checks only read: every statement runs in a read-only session.
  await client.query('SET default_transaction_read_only = on');
  const quote = (id: string) => `"${id.replace(/"/g, '""')}"`;
  return {
    engine: 'postgres',
    quote,
    async query(sql, params) {
      const res = await client.query(sql, params);
      return res.rows as Record<string, unknown>[];
    },
    async describe(rel) {
      const res = await client.query(
        `select column_name, data_type, character_maximum_length, numeric_precision, numeric_scale, udt_name
           from information_schema.columns
          where table_schema = $1 and table_name = $2
          order by ordinal_position`,
        [rel.schema, rel.name],
      );
      return res.rows.map((r: Record<string, unknown>) => ({
        name: String(r.column_name),
        dataType: r.data_type === 'USER-DEFINED' || r.data_type === 'ARRAY' ? String(r.udt_name) : String(r.data_type) + (r.character_maximum_length ? `(${r.character_maximum_length})` : r.data_type === 'numeric' && r.numeric_precision != null ? `(${r.numeric_precision},${r.numeric_scale ?? 0})` : ''),
      }));
    },
    async close() {
      await client.end().catch(() => undefined);
    },
  };
}
