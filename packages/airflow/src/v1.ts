/**
 * Airflow 2's stable REST API, `/api/v1` (the description in
 * shared/specs/airflow/v1-airflow-2.10.yaml). Operations used: get_version,
 * get_dag, get_dag_source, get_import_errors, patch_dag, patch_variable /
 * post_variables, patch_connection / post_connection, post_dag_run,
 * get_dag_run. Airflow 2 has no backfill API: a backfill is one DAG run per
 * logical date (BaseClient.pacedRuns).
 */
import { BaseClient, invalid, pathPart } from './base.js';
import type { AirflowClient, BackfillOutcome, BackfillRequest, ConnectionInput, DagInfo, DagRunInfo, ImportErrorInfo } from './types.js';

const P = '/api/v1';
const PAGE = 100;

interface V1Dag {
  dag_id: string;
  is_paused?: boolean | null;
  is_active?: boolean | null;
  fileloc?: string;
  file_token?: string;
  last_parsed_time?: string | null;
  has_import_errors?: boolean | null;
}

interface V1DagRun {
  dag_id?: string;
  dag_run_id?: string | null;
  logical_date?: string | null;
  state?: string;
}

export class AirflowV1Client extends BaseClient implements AirflowClient {
  readonly api = 'v1' as const;

  async version(): Promise<{ version: string; gitVersion: string | null }> {
    const res = await this.call<{ version?: string; git_version?: string | null }>({ method: 'GET', path: `${P}/version` }, 'read the Airflow version', [200]);
    return { version: res.body?.version ?? 'unknown', gitVersion: res.body?.git_version ?? null };
  }

  async getDag(dagId: string): Promise<DagInfo | undefined> {
    const res = await this.call<V1Dag>({ method: 'GET', path: `${P}/dags/${pathPart(dagId)}` }, `read DAG ${dagId}`, [200, 404]);
    return res.status === 404 ? undefined : toDag(res.body, `read DAG ${dagId}`);
  }

  async getDagSource(dag: DagInfo): Promise<string | undefined> {
    const res = await this.call<{ content?: string } | string>(
      { method: 'GET', path: `${P}/dagSources/${pathPart(dag.fileToken)}`, headers: { accept: 'application/json' } },
      `read the source of DAG ${dag.dagId}`,
      [200, 403, 404, 406],
    );
    if (res.status !== 200) return undefined;
    return typeof res.body === 'string' ? res.body : res.body?.content;
  }

  async listImportErrors(keep: (filename: string) => boolean = () => true): Promise<ImportErrorInfo[]> {
    const out: ImportErrorInfo[] = [];
    for (let offset = 0; ; offset += PAGE) {
      const res = await this.call<{ import_errors?: Array<{ import_error_id?: number; filename?: string; stack_trace?: string; timestamp?: string }>; total_entries?: number }>(
        { method: 'GET', path: `${P}/importErrors?limit=${PAGE}&offset=${offset}&order_by=import_error_id` },
        'list import errors',
        [200],
      );
      const page = res.body?.import_errors ?? [];
      for (const e of page) {
        if (e.filename !== undefined && keep(e.filename)) {
          out.push({ id: e.import_error_id ?? 0, filename: e.filename, stackTrace: e.stack_trace ?? '', timestamp: e.timestamp ?? '' });
        }
      }
      if (page.length < PAGE || offset + PAGE >= (res.body?.total_entries ?? 0)) return out;
    }
  }

  async setPaused(dagId: string, paused: boolean): Promise<DagInfo> {
    const res = await this.call<V1Dag>(
      { method: 'PATCH', path: `${P}/dags/${pathPart(dagId)}?update_mask=is_paused`, body: { is_paused: paused } },
      `${paused ? 'pause' : 'unpause'} DAG ${dagId}`,
      [200],
    );
    return toDag(res.body, `${paused ? 'pause' : 'unpause'} DAG ${dagId}`);
  }

  async setVariable(key: string, value: string, description?: string): Promise<'created' | 'updated'> {
    const body = { key, value, ...(description !== undefined ? { description } : {}) };
    const what = `set Variable ${key}`;
    const patched = await this.call({ method: 'PATCH', path: `${P}/variables/${pathPart(key)}`, body }, what, [200, 404]);
    if (patched.status === 200) return 'updated';
    await this.call({ method: 'POST', path: `${P}/variables`, body }, what, [200]);
    return 'created';
  }

  async setConnection(conn: ConnectionInput): Promise<'created' | 'updated'> {
    // v1's Connection: password is a plain string (not nullable): fields not given are left out.
    const body: Record<string, unknown> = { connection_id: conn.connectionId, conn_type: conn.connType };
    for (const [k, v] of [['description', conn.description], ['host', conn.host], ['login', conn.login], ['password', conn.password], ['schema', conn.schema], ['port', conn.port], ['extra', conn.extra]] as const) {
      if (v !== undefined) body[k] = v;
    }
    const what = `set Connection ${conn.connectionId}`;
    const patched = await this.call({ method: 'PATCH', path: `${P}/connections/${pathPart(conn.connectionId)}`, body }, what, [200, 404]);
    if (patched.status === 200) return 'updated';
    await this.call({ method: 'POST', path: `${P}/connections`, body }, what, [200]);
    return 'created';
  }

  async triggerDagRun(dagId: string, input: { logicalDate: Date; runId?: string; conf?: Record<string, unknown> }): Promise<DagRunInfo | 'exists'> {
    const body = { logical_date: input.logicalDate.toISOString(), conf: input.conf ?? {}, ...(input.runId ? { dag_run_id: input.runId } : {}) };
    const what = `trigger DAG ${dagId} for ${input.logicalDate.toISOString()}`;
    const res = await this.call<V1DagRun>({ method: 'POST', path: `${P}/dags/${pathPart(dagId)}/dagRuns`, body }, what, [200, 409]);
    return res.status === 409 ? 'exists' : toRun(res.body, dagId, what);
  }

  async getDagRun(dagId: string, runId: string): Promise<DagRunInfo | undefined> {
    const what = `read run ${runId} of DAG ${dagId}`;
    const res = await this.call<V1DagRun>({ method: 'GET', path: `${P}/dags/${pathPart(dagId)}/dagRuns/${pathPart(runId)}` }, what, [200, 404]);
    return res.status === 404 ? undefined : toRun(res.body, dagId, what);
  }

  backfill(req: BackfillRequest): Promise<BackfillOutcome> {
    return this.pacedRuns(req);
  }
}

function toDag(d: V1Dag | undefined, what: string): DagInfo {
  if (!d || typeof d.dag_id !== 'string') throw invalid(what, 'no dag_id');
  return {
    dagId: d.dag_id,
    isPaused: d.is_paused === true,
    active: d.is_active !== false,
    fileloc: d.fileloc ?? '',
    lastParsedTime: d.last_parsed_time ?? null,
    hasImportErrors: d.has_import_errors === true,
    fileToken: d.file_token ?? '',
  };
}

function toRun(r: V1DagRun | undefined, dagId: string, what: string): DagRunInfo {
  if (!r || typeof r.dag_run_id !== 'string') throw invalid(what, 'no dag_run_id');
  return { dagId: r.dag_id ?? dagId, runId: r.dag_run_id, logicalDate: r.logical_date ?? null, state: r.state ?? 'queued' };
}
