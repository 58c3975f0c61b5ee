/**
 * Handlers keyed by operationId, one table per API. Only the operations
 * ferry uses (and a few a test reads back) are implemented; any other
 * operation of the description answers 404 and is recorded as `unimplemented`.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { fileFromToken, type Objects } from './objects.js';
import type { DagProcessor } from './processor.js';
import type { AirflowState, ConnectionRecord, DagRecord, DagRunRecord } from './state.js';

export interface RouteContext {
  state: AirflowState;
  processor: DagProcessor;
  objects: Objects;
  /** Path and query parameters, validated and coerced. */
  params: Record<string, unknown>;
  body: unknown;
  headers: IncomingHttpHeaders;
  /** Polls a run takes to go queued → running → success. */
  runPolls: number;
}

export interface RouteResult {
  status: number;
  body?: unknown;
}

export type Handler = (ctx: RouteContext) => RouteResult | Promise<RouteResult>;
export type RouteTable = Record<string, Handler>;

const json = (status: number, body?: unknown): RouteResult => ({ status, body });
const field = <T>(body: unknown, name: string): T | undefined => (body && typeof body === 'object' ? ((body as Record<string, unknown>)[name] as T | undefined) : undefined);

/** v1 errors are RFC 7807 (`Error`); v2 errors are FastAPI's `{detail}`. */
export function v1Error(status: number, title: string, detail: string): RouteResult {
  return json(status, { type: `https://airflow.apache.org/docs/apache-airflow/2.10.0/stable-rest-api-ref.html#section/Errors/${title.replace(/\s/g, '')}`, title, status, detail });
}
export function v2Error(status: number, detail: string): RouteResult {
  return json(status, { detail });
}

function dagOr<T>(ctx: RouteContext, notFound: RouteResult, fn: (d: DagRecord) => T): T | RouteResult {
  const d = ctx.state.dags.get(String(ctx.params.dag_id));
  return d ? fn(d) : notFound;
}

/** Runs advance as clients look at them: queued → running → success. */
function advance(run: DagRunRecord, polls: number): void {
  run.polls++;
  if (run.state === 'queued') run.state = 'running';
  else if (run.state === 'running' && run.polls >= polls) run.state = 'success';
}

function page<T>(ctx: RouteContext, items: T[], defaultLimit: number): T[] {
  const offset = Number(ctx.params.offset ?? 0);
  const limit = Number(ctx.params.limit ?? defaultLimit);
  return items.slice(offset, offset + limit);
}

function connectionFrom(body: unknown): ConnectionRecord {
  const s = (k: string): string | null => field<string | null>(body, k) ?? null;
  return {
    connectionId: String(field(body, 'connection_id')),
    connType: String(field(body, 'conn_type')),
    description: s('description'),
    host: s('host'),
    login: s('login'),
    password: s('password'),
    schema: s('schema'),
    port: field<number | null>(body, 'port') ?? null,
    extra: s('extra'),
  };
}

function trigger(ctx: RouteContext, dag: DagRecord, conflict: (m: string) => RouteResult): DagRunRecord | RouteResult {
  const logical = field<string | null>(ctx.body, 'logical_date');
  const logicalDate = logical ? new Date(logical) : ctx.state.now();
  const runId = field<string | null>(ctx.body, 'dag_run_id') ?? `manual__${logicalDate.toISOString()}`;
  if (ctx.state.runFor(dag.dagId, logicalDate)) return conflict(`DAGRun with DAG ID: '${dag.dagId}' and Logical Date: '${logicalDate.toISOString()}' already exists`);
  if (ctx.state.dagRuns.some((r) => r.dagId === dag.dagId && r.runId === runId)) return conflict(`DAGRun with DAG ID: '${dag.dagId}' and DAGRun ID: '${runId}' already exists`);
  return ctx.state.addRun({ dagId: dag.dagId, runId, logicalDate, state: 'queued', runType: 'manual', conf: field<Record<string, unknown>>(ctx.body, 'conf') ?? {} });
}

// ---------------------------------------------------------------- Airflow 2

const v1NotFound = (what: string) => v1Error(404, 'Not Found', what);

export const v1Routes: RouteTable = {
  get_version: () => json(200, { version: '2.10.5', git_version: null }),

  get_dag: async (ctx) => {
    await ctx.processor.onPoll();
    return dagOr(ctx, v1NotFound(`DAG with id ${String(ctx.params.dag_id)} not found`), (d) => json(200, ctx.objects.v1Dag(d)));
  },
  patch_dag: (ctx) =>
    dagOr(ctx, v1NotFound(`DAG with id ${String(ctx.params.dag_id)} not found`), (d) => {
      const paused = field<boolean | null>(ctx.body, 'is_paused');
      if (typeof paused === 'boolean') d.isPaused = paused;
      return json(200, ctx.objects.v1Dag(d));
    }),
  get_dag_source: (ctx) => {
    const rel = fileFromToken(String(ctx.params.file_token));
    const dag = [...ctx.state.dags.values()].find((d) => d.file === rel);
    if (!dag) return v1NotFound('Code not found');
    return json(200, { content: dag.versions.at(-1)!.source });
  },
  get_import_errors: (ctx) => {
    const all = [...ctx.state.importErrors.values()].sort((a, b) => a.id - b.id);
    return json(200, { import_errors: page(ctx, all, 100).map((e) => ctx.objects.v1ImportError(e)), total_entries: all.length });
  },

  get_variable: (ctx) => {
    const v = ctx.state.variables.get(String(ctx.params.variable_key));
    return v ? json(200, ctx.objects.v1Variable(v)) : v1NotFound('Variable not found');
  },
  patch_variable: (ctx) => {
    const key = String(ctx.params.variable_key);
    const v = ctx.state.variables.get(key);
    if (!v) return v1NotFound(`Variable does not exist`);
    if (field(ctx.body, 'key') !== key) return v1Error(400, 'Invalid post body', 'key from request body doesn\'t match uri parameter');
    v.value = String(field(ctx.body, 'value') ?? '');
    if (field(ctx.body, 'description') !== undefined) v.description = field<string | null>(ctx.body, 'description') ?? null;
    return json(200, ctx.objects.v1Variable(v));
  },
  post_variables: (ctx) => {
    const key = field<string>(ctx.body, 'key');
    const value = field<string>(ctx.body, 'value');
    if (key === undefined || value === undefined) return v1Error(400, 'Invalid Variable schema', "{'key': ['Missing data for required field.']}");
    const v = { key, value, description: field<string | null>(ctx.body, 'description') ?? null };
    ctx.state.variables.set(key, v);
    return json(200, ctx.objects.v1Variable(v));
  },

  get_connection: (ctx) => {
    const c = ctx.state.connections.get(String(ctx.params.connection_id));
    return c ? json(200, ctx.objects.v1Connection(c)) : v1NotFound('Connection not found');
  },
  patch_connection: (ctx) => {
    const id = String(ctx.params.connection_id);
    if (!ctx.state.connections.has(id)) return v1NotFound(`The Connection with connection_id: \`${id}\` was not found`);
    if (field(ctx.body, 'connection_id') !== id) return v1Error(400, 'The connection_id cannot be updated.', 'connection_id mismatch');
    const c = connectionFrom(ctx.body);
    ctx.state.connections.set(id, c);
    return json(200, ctx.objects.v1Connection(c));
  },
  post_connection: (ctx) => {
    const c = connectionFrom(ctx.body);
    if (!field(ctx.body, 'connection_id') || !field(ctx.body, 'conn_type')) return v1Error(400, 'Invalid connection', 'connection_id and conn_type are required');
    ctx.state.connections.set(c.connectionId, c);
    return json(200, ctx.objects.v1Connection(c));
  },

  post_dag_run: (ctx) =>
    dagOr(ctx, v1NotFound(`DAG with dag_id: '${String(ctx.params.dag_id)}' not found`), (d) => {
      const run = trigger(ctx, d, (m) => v1Error(409, 'Conflict', m));
      return 'status' in run ? run : json(200, ctx.objects.v1DagRun(run));
    }),
  get_dag_run: (ctx) => {
    const run = ctx.state.dagRuns.find((r) => r.dagId === ctx.params.dag_id && r.runId === ctx.params.dag_run_id);
    if (!run) return v1NotFound('DAGRun not found');
    advance(run, ctx.runPolls);
    return json(200, ctx.objects.v1DagRun(run));
  },
};

// ---------------------------------------------------------------- Airflow 3

const v2NotFound = (detail: string) => v2Error(404, detail);

export const v2Routes: RouteTable = {
  get_version: () => json(200, { version: '3.1.3', git_version: null }),

  get_dag: async (ctx) => {
    await ctx.processor.onPoll();
    return dagOr(ctx, v2NotFound(`Dag with id ${String(ctx.params.dag_id)} was not found`), (d) => json(200, ctx.objects.v2Dag(d)));
  },
  get_dag_details: async (ctx) => {
    await ctx.processor.onPoll();
    return dagOr(ctx, v2NotFound(`Dag with id ${String(ctx.params.dag_id)} was not found`), (d) => json(200, ctx.objects.v2DagDetails(d)));
  },
  patch_dag: (ctx) =>
    dagOr(ctx, v2NotFound(`Dag with id: ${String(ctx.params.dag_id)} was not found`), (d) => {
      d.isPaused = field<boolean>(ctx.body, 'is_paused') === true;
      return json(200, ctx.objects.v2Dag(d));
    }),
  get_dag_source: (ctx) =>
    dagOr(ctx, v2NotFound(`The source code of the DAG ${String(ctx.params.dag_id)} was not found`), (d) => {
      const wanted = ctx.params.version_number;
      const v = wanted === undefined || wanted === null ? d.versions.at(-1)! : d.versions.find((x) => x.number === wanted);
      if (!v) return v2NotFound(`The source code of the DAG ${d.dagId}, version_number: ${String(wanted)} was not found`);
      return json(200, { content: v.source, dag_id: d.dagId, version_number: v.number, dag_display_name: d.dagId });
    }),
  get_import_errors: (ctx) => {
    const all = [...ctx.state.importErrors.values()].sort((a, b) => a.id - b.id);
    return json(200, { import_errors: page(ctx, all, 50).map((e) => ctx.objects.v2ImportError(e)), total_entries: all.length });
  },

  get_variable: (ctx) => {
    const v = ctx.state.variables.get(String(ctx.params.variable_key));
    return v ? json(200, ctx.objects.v2Variable(v)) : v2NotFound(`The Variable with key: \`${String(ctx.params.variable_key)}\` was not found`);
  },
  patch_variable: (ctx) => {
    const key = String(ctx.params.variable_key);
    const v = ctx.state.variables.get(key);
    if (!v) return v2NotFound(`The Variable with key: \`${key}\` was not found`);
    if (field(ctx.body, 'key') !== key) return v2Error(400, 'Invalid body, key from request body doesn\'t match uri parameter');
    const value = field<unknown>(ctx.body, 'value');
    v.value = typeof value === 'string' ? value : JSON.stringify(value);
    if (field(ctx.body, 'description') !== undefined) v.description = field<string | null>(ctx.body, 'description') ?? null;
    return json(200, ctx.objects.v2Variable(v));
  },
  post_variable: (ctx) => {
    const key = String(field(ctx.body, 'key'));
    if (ctx.state.variables.has(key)) return v2Error(409, `The Variable with key: \`${key}\` already exists`);
    const value = field<unknown>(ctx.body, 'value');
    const v = { key, value: typeof value === 'string' ? value : JSON.stringify(value), description: field<string | null>(ctx.body, 'description') ?? null };
    ctx.state.variables.set(key, v);
    return json(201, ctx.objects.v2Variable(v));
  },

  get_connection: (ctx) => {
    const c = ctx.state.connections.get(String(ctx.params.connection_id));
    return c ? json(200, ctx.objects.v2Connection(c)) : v2NotFound(`The Connection with connection_id: \`${String(ctx.params.connection_id)}\` was not found`);
  },
  patch_connection: (ctx) => {
    const id = String(ctx.params.connection_id);
    if (!ctx.state.connections.has(id)) return v2NotFound(`The Connection with connection_id: \`${id}\` was not found`);
    if (field(ctx.body, 'connection_id') !== id) return v2Error(400, 'The connection_id in the request body does not match the URL parameter');
    const c = connectionFrom(ctx.body);
    ctx.state.connections.set(id, c);
    return json(200, ctx.objects.v2Connection(c));
  },
  post_connection: (ctx) => {
    const c = connectionFrom(ctx.body);
    if (ctx.state.connections.has(c.connectionId)) return v2Error(409, `Connection with connection_id: \`${c.connectionId}\` already exists`);
    ctx.state.connections.set(c.connectionId, c);
    return json(201, ctx.objects.v2Connection(c));
  },

  trigger_dag_run: (ctx) =>
    dagOr(ctx, v2NotFound(`The Dag with ID: \`${String(ctx.params.dag_id)}\` was not found`), (d) => {
      const run = trigger(ctx, d, (m) => v2Error(409, m));
      return 'status' in run ? run : json(200, ctx.objects.v2DagRun(run));
    }),
  get_dag_run: (ctx) => {
    const run = ctx.state.dagRuns.find((r) => r.dagId === ctx.params.dag_id && r.runId === ctx.params.dag_run_id);
    if (!run) return v2NotFound(`The DagRun with dag_id: \`${String(ctx.params.dag_id)}\` and run_id: \`${String(ctx.params.dag_run_id)}\` was not found`);
    advance(run, ctx.runPolls);
    return json(200, ctx.objects.v2DagRun(run));
  },

  create_backfill_dry_run: (ctx) => {
    const plan = backfillDates(ctx);
    if ('status' in plan) return plan;
    return json(200, { backfills: plan.dates.map((d) => ({ logical_date: d.toISOString(), partition_key: null, partition_date: null })), total_entries: plan.dates.length });
  },
  create_backfill: (ctx) => {
    const plan = backfillDates(ctx);
    if ('status' in plan) return plan;
    const dagId = plan.dag.dagId;
    if (ctx.state.backfills.some((b) => b.dagId === dagId && b.completedAt === null)) {
      return v2Error(409, `Another backfill is running for Dag ${dagId}. There can be only one running backfill per Dag.`);
    }
    if (plan.dates.length === 0) return v2Error(400, `No runs to create for Dag ${dagId}`);
    const now = ctx.state.now();
    const backfill = {
      id: ctx.state.nextId('backfill'),
      dagId,
      fromDate: new Date(String(field(ctx.body, 'from_date'))),
      toDate: new Date(String(field(ctx.body, 'to_date'))),
      maxActiveRuns: field<number>(ctx.body, 'max_active_runs') ?? 10,
      reprocessBehavior: field<'none'>(ctx.body, 'reprocess_behavior') ?? 'none',
      dagRunConf: field<Record<string, unknown>>(ctx.body, 'dag_run_conf') ?? {},
      createdAt: now,
      completedAt: null,
      logicalDates: plan.dates,
    };
    ctx.state.backfills.push(backfill);
    for (const date of plan.dates) {
      ctx.state.addRun({ dagId, runId: `backfill__${date.toISOString()}`, logicalDate: date, state: 'queued', runType: 'backfill', conf: backfill.dagRunConf, backfillId: backfill.id });
    }
    return json(200, ctx.objects.v2Backfill(backfill));
  },
  list_backfills: (ctx) => {
    const all = ctx.state.backfills.filter((b) => b.dagId === ctx.params.dag_id);
    return json(200, { backfills: all.map((b) => ctx.objects.v2Backfill(b)), total_entries: all.length });
  },
};

/**
 * The fake's own reading of a backfill request, independent of ferry's: the
 * DAG's schedule as parsed (presets @hourly/@daily or an ISO duration, UTC),
 * logical dates from from_date up to to_date inclusive whose interval has
 * ended, minus those with a run already (reprocess_behavior "none").
 */
function backfillDates(ctx: RouteContext): { dag: DagRecord; dates: Date[] } | RouteResult {
  const dag = ctx.state.dags.get(String(field(ctx.body, 'dag_id')));
  if (!dag) return v2Error(404, `Could not find dag ${String(field(ctx.body, 'dag_id'))}`);
  const from = new Date(String(field(ctx.body, 'from_date'))).getTime();
  const to = new Date(String(field(ctx.body, 'to_date'))).getTime();
  if (from > to) return v2Error(409, 'from_date must not be after to_date');
  const s = dag.schedule ?? '';
  const hours = s === '@hourly' ? 1 : s === '@daily' ? 24 : /^PT(\d+)H$/.exec(s) ? Number(/^PT(\d+)H$/.exec(s)![1]) : /^P(\d+)D$/.exec(s) ? Number(/^P(\d+)D$/.exec(s)![1]) * 24 : 0;
  if (!hours) return v2Error(409, `${dag.dagId} has a schedule (${s || 'none'}) this fake cannot backfill`);
  const step = hours * 3_600_000;
  const aligned = s.startsWith('@') ? Math.ceil(from / step) * step : from;
  const now = ctx.state.now().getTime();
  const dates: Date[] = [];
  for (let t = aligned; t <= to && t + step <= now; t += step) {
    if (!ctx.state.runFor(dag.dagId, new Date(t))) dates.push(new Date(t));
  }
  return { dag, dates };
}
