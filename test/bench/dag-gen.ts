/**
 * Deterministic generator of realistic Airflow DAG files for the benchmarks:
 * the same seed always gives the same tree, byte for byte.
 */

/** mulberry32: small, fast, seeded; good enough for test data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const int = (r: Rand, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

const DOMAINS = [
  'finance', 'marketing', 'sales', 'crm', 'billing', 'payments', 'risk', 'fraud', 'logistics', 'inventory',
  'supply_chain', 'hr', 'payroll', 'support', 'product', 'growth', 'ads', 'attribution', 'web', 'mobile',
  'search', 'recommendations', 'pricing', 'catalog', 'orders', 'shipping', 'returns', 'loyalty', 'partners', 'vendors',
  'compliance', 'audit', 'security', 'infra', 'observability', 'ml_features', 'ml_training', 'experiments', 'surveys', 'email',
  'notifications', 'geo', 'weather', 'iot', 'telemetry', 'ledger', 'tax', 'forecasting', 'reporting', 'exports',
];
const VERBS = ['ingest', 'load', 'sync', 'transform', 'aggregate', 'export', 'refresh', 'backfill', 'validate', 'snapshot', 'dedupe', 'enrich'];
const NOUNS = ['orders', 'customers', 'events', 'sessions', 'invoices', 'accounts', 'clicks', 'impressions', 'tickets', 'shipments', 'products', 'metrics', 'balances', 'leads', 'contracts'];
const SOURCES = ['postgres', 'mysql', 's3', 'gcs', 'salesforce', 'hubspot', 'stripe', 'zendesk', 'segment', 'kafka', 'bigquery', 'snowflake'];
const SCHEDULES = ['@hourly', '@daily', '@weekly', '0 2 * * *', '30 4 * * *', '15 */6 * * *', '0 6 * * 1-5', '45 1 * * *', '*/30 * * * *', 'None'];
const OWNERS = ['data-eng', 'analytics', 'ml-platform', 'finance-data', 'growth-data', 'platform'];

function header(r: Rand, domain: string, dagId: string, withHelper: boolean): string {
  const schedule = pick(r, SCHEDULES);
  const retries = int(r, 0, 5);
  const catchup = r() < 0.3 ? 'True' : 'False';
  const tags = [domain, pick(r, SOURCES), pick(r, ['tier-1', 'tier-2', 'tier-3'])];
  const startDay = int(r, 1, 28);
  const startMonth = int(r, 1, 12);
  const sched = schedule === 'None' ? 'None' : JSON.stringify(schedule);
  return `"""
${dagId}: ${pick(r, VERBS)} ${pick(r, NOUNS)} from ${pick(r, SOURCES)} into the ${domain} warehouse schema.

Owner: ${pick(r, OWNERS)}. Generated for the ferry benchmark.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.bash import BashOperator
from airflow.operators.empty import EmptyOperator
from airflow.operators.python import PythonOperator
from airflow.providers.common.sql.operators.sql import SQLExecuteQueryOperator
from airflow.sensors.external_task import ExternalTaskSensor

DEFAULT_ARGS = {
    "owner": "${pick(r, OWNERS)}",
    "depends_on_past": ${r() < 0.2 ? 'True' : 'False'},
    "retries": ${retries},
    "retry_delay": timedelta(minutes=${int(r, 1, 30)}),
    "email_on_failure": ${r() < 0.5 ? 'True' : 'False'},
    "sla": timedelta(hours=${int(r, 1, 12)}),
}
${withHelper ? helper(r, domain) : ''}
with DAG(
    dag_id="${dagId}",
    description="${pick(r, VERBS)} ${pick(r, NOUNS)} (${domain})",
    default_args=DEFAULT_ARGS,
    schedule=${sched},
    start_date=datetime(2024, ${startMonth}, ${startDay}),
    catchup=${catchup},
    max_active_runs=${int(r, 1, 4)},
    tags=${JSON.stringify(tags)},
) as dag:
    start = EmptyOperator(task_id="start")
    done = EmptyOperator(task_id="done", trigger_rule="none_failed")
`;
}

function helper(r: Rand, domain: string): string {
  return `

def _check_row_count(table: str, minimum: int = ${int(r, 1, 10000)}, **context) -> int:
    """Fails the task when ${domain}.{table} has fewer rows than expected."""
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    hook = PostgresHook(postgres_conn_id="${domain}_warehouse")
    (count,) = hook.get_first(f"select count(*) from ${domain}.{table} where ds = %s", parameters=[context["ds"]])
    if count < minimum:
        raise ValueError(f"${domain}.{table}: {count} rows for {context['ds']}, expected at least {minimum}")
    return count

`;
}

function task(r: Rand, domain: string, i: number, withHelper: boolean): { name: string; code: string } {
  const noun = pick(r, NOUNS);
  const name = `${pick(r, VERBS)}_${noun}_${i}`;
  let kind = int(r, 0, 3);
  if (kind === 2 && !withHelper) kind = 1;
  switch (kind) {
    case 0:
      return {
        name,
        code: `
    ${name} = SQLExecuteQueryOperator(
        task_id="${name}",
        conn_id="${domain}_warehouse",
        sql="""
            insert into ${domain}.${noun}_daily (ds, ${noun}_id, amount, updated_at)
            select '{{ ds }}', id, sum(amount), max(updated_at)
            from staging.${pick(r, SOURCES)}_${noun}
            where updated_at >= '{{ data_interval_start }}' and updated_at < '{{ data_interval_end }}'
            group by id
            on conflict (ds, ${noun}_id) do update set amount = excluded.amount
        """,
    )
`,
      };
    case 1:
      return {
        name,
        code: `
    ${name} = BashOperator(
        task_id="${name}",
        bash_command="python -m pipelines.${domain}.${noun} --ds {{ ds }} --batch-size ${int(r, 100, 50000)} ${r() < 0.5 ? '--full-refresh' : ''}",
        env={"PIPELINE_ENV": "{{ var.value.environment }}", "SOURCE": "${pick(r, SOURCES)}"},
        execution_timeout=timedelta(minutes=${int(r, 5, 240)}),
    )
`,
      };
    case 2:
      return {
        name,
        code: `
    ${name} = PythonOperator(
        task_id="${name}",
        python_callable=_check_row_count,
        op_kwargs={"table": "${noun}_daily", "minimum": ${int(r, 1, 100000)}},
    )
`,
      };
    default:
      return {
        name,
        code: `
    ${name} = ExternalTaskSensor(
        task_id="${name}",
        external_dag_id="${pick(r, DOMAINS)}_${pick(r, VERBS)}_${pick(r, NOUNS)}",
        external_task_id="done",
        mode="reschedule",
        poke_interval=${int(r, 60, 900)},
        timeout=${int(r, 3600, 43200)},
    )
`,
      };
  }
}

/** One DAG file of roughly `targetSize` bytes (1–4 KB in the benchmark). */
export function dagFile(r: Rand, domain: string, dagId: string, targetSize: number): string {
  const withHelper = targetSize >= 2400;
  let body = header(r, domain, dagId, withHelper);
  const names: string[] = [];
  for (let i = 0; names.length === 0 || body.length + 60 * names.length + 450 < targetSize; i++) {
    const t = task(r, domain, i, withHelper);
    names.push(t.name);
    body += t.code;
  }
  // A plausible dependency graph: a chain with a couple of fan-outs.
  let deps = '\n';
  let prev = 'start';
  for (const n of names) {
    const from = r() < 0.25 && prev !== 'start' ? 'start' : prev;
    deps += `    ${from} >> ${n}\n`;
    prev = n;
  }
  deps += `    ${prev} >> done\n`;
  return body + deps;
}

export interface GeneratedTree {
  /** POSIX paths relative to the DAG folder, in generation order. */
  files: Map<string, string>;
  domains: string[];
}

/** `count` DAG files spread over `folders` subfolders, sizes 1–4 KB. */
export function generateDags(seed: number, count: number, folders: number): GeneratedTree {
  const r = prng(seed);
  const domains = Array.from({ length: folders }, (_, i) => DOMAINS[i % DOMAINS.length]! + (i >= DOMAINS.length ? `_${Math.floor(i / DOMAINS.length)}` : ''));
  const files = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    const domain = domains[i % folders]!;
    const dagId = `${domain}_${pick(r, VERBS)}_${pick(r, NOUNS)}_${String(i).padStart(5, '0')}`;
    files.set(`${domain}/${dagId}.py`, dagFile(r, domain, dagId, int(r, 1024, 4096)));
  }
  return { files, domains };
}

/** A deterministic edit that changes content but keeps the file valid Python. */
export function editDag(r: Rand, content: string, n: number): string {
  const retries = /"retries": (\d+)/;
  const m = retries.exec(content);
  const next = m ? content.replace(retries, `"retries": ${(Number(m[1]) + 1 + int(r, 0, 2)) % 7}`) : content;
  return next + `\n# edited in benchmark change ${n}: bump retries\n`;
}
