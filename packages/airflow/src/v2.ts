/**
 * Airflow 3's public REST API, `/api/v2` (shared/specs/airflow/v2-airflow-3.yaml).
 * Operations used: get_version, get_dag_details (for latest_dag_version),
 * get_dag_source, get_import_errors, patch_dag, patch_variable /
 * post_variable, patch_connection / post_connection, trigger_dag_run,
 * get_dag_run, create_backfill_dry_run, create_backfill. Every call but
 * get_version carries a JWT bearer token (see auth.ts).
 */
import { BaseClient, invalid, pathPart } from './base.js';
import type { AirflowClient, BackfillOutcome, BackfillRequest, ConnectionInput, DagInfo, DagRunInfo, ImportErrorInfo } from './types.js';

const P = '/api/v2';
const PAGE = 100;

interface V2Dag {
  dag_id: string;
  is_paused?: boolean;
  is_stale?: boolean;
  fileloc?: string;
  relative_fileloc?: string | null;
  file_token?: string;
  last_parsed_time?: string | null;
  has_import_errors?: boolean;
  latest_dag_version?: { version_number?: number; bundle_name?: string | null; bundle_version?: string | null; created_at?: string } | null;
}

interface V2DagRun {
  dag_id?: string;
  dag_run_id?: string;
  logical_date?: string | null;
  state?: string;
}

export class AirflowV2Client extends BaseClient implements AirflowClient {
  readonly api = 'v2' as const;

  async version(): Promise<{ version: string; gitVersion: string | null }> {
    const res = await this.call<{ version?: string; git_version?: string | null }>({ method: 'GET', path: `${P}/version` }, 'read the Airflow version', [200]);
    return { version: res.body?.version ?? 'unknown', gitVersion: res.body?.git_version ?? null };
  }

  async getDag(dagId: string): Promise<DagInfo | undefined> {
    // The details carry latest_dag_version; the plain DAG does not.
    const what = `read DAG ${dagId}`;
    const res = await this.call<V2Dag>({ method: 'GET', path: `${P}/dags/${pathPart(dagId)}/details` }, what, [200, 404]);
    return res.status === 404 ? undefined : toDag(res.body, what);
  }

  async getDagSource(dag: DagInfo): Promise<string | undefined> {
    const res = await this.call<{ content?: string | null } | string>(
      { method: 'GET', path: `${P}/dagSources/${pathPart(dag.dagId)}`, headers: { accept: 'application/json' } },
      `read the source of DAG ${dag.dagId}`,
      [200, 403, 404, 406],
    );
    if (res.status !== 200) return undefined;
    return typeof res.body === 'string' ? res.body : (res.body?.content ?? undefined);
  }

  async listImportErrors(keep: (filename: string) => boolean = () => true): Promise<ImportErrorInfo[]> {
    const out: ImportErrorInfo[] = [];
    for (let offset = 0; ; offset += PAGE) {
      const res = await this.call<{
        import_errors?: Array<{ import_error_id?: number; filename?: string; stack_trace?: string; timestamp?: string; bundle_name?: string | null }>;
        total_entries?: number;
      }>({ method: 'GET', path: `${P}/importErrors?limit=${PAGE}&offset=${offset}` }, 'list import errors', [200]);
      const page = res.body?.import_errors ?? [];
      for (const e of page) {
        if (e.filename !== undefined && keep(e.filename)) {
          out.push({ id: e.import_error_id ?? 0, filename: e.filename, stackTrace: e.stack_trace ?? '', timestamp: e.timestamp ?? '', bundleName: e.bundle_name ?? null });
        }
      }
      if (page.length < PAGE || offset + PAGE >= (res.body?.total_entries ?? 0)) return out;
    }
  }

  async setPaused(dagId: string, paused: boolean): Promise<DagInfo> {
    const what = `${paused ? 'pause' : 'unpause'} DAG ${dagId}`;
    await this.call<V2Dag>({ method: 'PATCH', path: `${P}/dags/${pathPart(dagId)}?update_mask=is_paused`, body: { is_paused: paused } }, what, [200]);
    // The PATCH answers a DAGResponse (no dag version): read the details for the same shape as getDag.
    return (await this.getDag(dagId)) ?? Promise.reject(invalid(what, 'the DAG disappeared'));
  }

  async setVariable(key: string, value: string, description?: string): Promise<'created' | 'updated'> {
    const body = { key, value, ...(description !== undefined ? { description } : {}) };
    const what = `set Variable ${key}`;
    const patched = await this.call({ method: 'PATCH', path: `${P}/variables/${pathPart(key)}`, body }, what, [200, 404]);
    if (patched.status === 200) return 'updated';
    const created = await this.call({ method: 'POST', path: `${P}/variables`, body }, what, [201, 409]);
    // 409: created meanwhile by someone else; update it after all.
    if (created.status === 409) await this.call({ method: 'PATCH', path: `${P}/variables/${pathPart(key)}`, body }, what, [200]);
    return 'created';
  }

  async setConnection(conn: ConnectionInput): Promise<'created' | 'updated'> {
    const body = {
      connection_id: conn.connectionId,
      conn_type: conn.connType,
      description: conn.description ?? null,
      host: conn.host ?? null,
      login: conn.login ?? null,
      password: conn.password ?? null,
      schema: conn.schema ?? null,
      port: conn.port ?? null,
      extra: conn.extra ?? null,
    };
    const what = `set Connection ${conn.connectionId}`;
    const patched = await this.call({ method: 'PATCH', path: `${P}/connections/${pathPart(conn.connectionId)}`, body }, what, [200, 404]);
    if (patched.status === 200) return 'updated';
    const created = await this.call({ method: 'POST', path: `${P}/connections`, body }, what, [201, 409]);
    if (created.status === 409) await this.call({ method: 'PATCH', path: `${P}/connections/${pathPart(conn.connectionId)}`, body }, what, [200]);
    return 'created';
  }

  async triggerDagRun(dagId: string, input: { logicalDate: Date; runId?: string; conf?: Record<string, unknown> }): Promise<DagRunInfo | 'exists'> {
    const body = { logical_date: input.logicalDate.toISOString(), conf: input.conf ?? {}, ...(input.runId ? { dag_run_id: input.runId } : {}) };
    const what = `trigger DAG ${dagId} for ${input.logicalDate.toISOString()}`;
    const res = await this.call<V2DagRun>({ method: 'POST', path: `${P}/dags/${pathPart(dagId)}/dagRuns`, body }, what, [200, 409]);
    return res.status === 409 ? 'exists' : toRun(res.body, dagId, what);
  }

  async getDagRun(dagId: string, runId: string): Promise<DagRunInfo | undefined> {
    const what = `read run ${runId} of DAG ${dagId}`;
    const res = await this.call<V2DagRun>({ method: 'GET', path: `${P}/dags/${pathPart(dagId)}/dagRuns/${pathPart(runId)}` }, what, [200, 404]);
    return res.status === 404 ? undefined : toRun(res.body, dagId, what);
  }

  /**
   * Dry run first (what Airflow would create: runs that exist already are
   * skipped with reprocess_behavior "none"), then the backfill itself, unless
   * the dry run found nothing to do (Airflow refuses an empty backfill).
   * `to_date` is the last logical date: Airflow includes runs whose logical
   * date is at or before it.
   */
  async backfill(req: BackfillRequest): Promise<BackfillOutcome> {
    const out: BackfillOutcome = { dagId: req.dagId, planned: req.logicalDates.length, created: 0, existing: 0, queuedUnpaced: 0, notes: [] };
    if (req.logicalDates.length === 0) return out;
    const body = {
      dag_id: req.dagId,
      from_date: req.logicalDates[0]!.toISOString(),
      to_date: req.logicalDates.at(-1)!.toISOString(),
      max_active_runs: req.maxActiveRuns,
      reprocess_behavior: 'none',
      run_backwards: false,
      dag_run_conf: {},
    };
    const what = `backfill DAG ${req.dagId} from ${body.from_date} to ${body.to_date}`;
    const dry = await this.call<{ backfills?: unknown[]; total_entries?: number }>({ method: 'POST', path: `${P}/backfills/dry_run`, body }, `${what} (dry run)`, [200]);
    const count = dry.body?.total_entries ?? dry.body?.backfills?.length ?? 0;
    out.dryRun = count;
    out.existing = Math.max(out.planned - count, 0);
    if (count === 0) {
      out.notes.push('the dry run found no run to create (every logical date has a run already)');
      return out;
    }
    const res = await this.call<{ id?: number }>({ method: 'POST', path: `${P}/backfills`, body }, what, [200]);
    if (typeof res.body?.id !== 'number') throw invalid(what, 'no backfill id');
    out.backfillId = res.body.id;
    out.created = count;
    return out;
  }
}

function toDag(d: V2Dag | undefined, what: string): DagInfo {
  if (!d || typeof d.dag_id !== 'string') throw invalid(what, 'no dag_id');
  const v = d.latest_dag_version;
  return {
    dagId: d.dag_id,
    isPaused: d.is_paused === true,
    active: d.is_stale !== true,
    fileloc: d.fileloc ?? '',
    ...(d.relative_fileloc ? { relativeFileloc: d.relative_fileloc } : {}),
    lastParsedTime: d.last_parsed_time ?? null,
    hasImportErrors: d.has_import_errors === true,
    fileToken: d.file_token ?? '',
    ...(v && typeof v.version_number === 'number'
      ? { version: { number: v.version_number, bundleName: v.bundle_name ?? null, bundleVersion: v.bundle_version ?? null, createdAt: v.created_at ?? '' } }
      : {}),
  };
}

function toRun(r: V2DagRun | undefined, dagId: string, what: string): DagRunInfo {
  if (!r || typeof r.dag_run_id !== 'string') throw invalid(what, 'no dag_run_id');
  return { dagId: r.dag_id ?? dagId, runId: r.dag_run_id, logicalDate: r.logical_date ?? null, state: r.state ?? 'queued' };
}
