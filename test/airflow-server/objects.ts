/** Records → the JSON shapes each API answers (checked against the descriptions on the way out). */
import type { AirflowState, BackfillRecord, ConnectionRecord, DagRecord, DagRunRecord, ImportErrorRecord, VariableRecord } from './state.js';
import type { DagProcessor } from './processor.js';

export const BUNDLE = 'dags-folder';
const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

export function fileToken(rel: string): string {
  return Buffer.from(`ferry-fake:${rel}`).toString('base64url');
}

export function fileFromToken(token: string): string | undefined {
  const text = Buffer.from(token, 'base64url').toString('utf8');
  return text.startsWith('ferry-fake:') ? text.slice('ferry-fake:'.length) : undefined;
}

export class Objects {
  constructor(
    private readonly state: AirflowState,
    private readonly processor: DagProcessor,
  ) {}

  // ------------------------------------------------------------ Airflow 2 (/api/v1)

  v1Dag(d: DagRecord): Record<string, unknown> {
    return {
      dag_id: d.dagId,
      dag_display_name: d.dagId,
      root_dag_id: null,
      is_paused: d.isPaused,
      is_active: d.active,
      is_subdag: false,
      last_parsed_time: iso(d.lastParsedTime),
      last_pickled: null,
      last_expired: null,
      scheduler_lock: null,
      pickle_id: null,
      default_view: 'grid',
      fileloc: this.processor.fileloc(d.file),
      file_token: fileToken(d.file),
      owners: ['airflow'],
      description: null,
      schedule_interval: d.schedule && !d.schedule.startsWith('P') && d.schedule !== 'None' ? { __type: 'CronExpression', value: d.schedule } : null,
      timetable_description: null,
      tags: [],
      max_active_tasks: 16,
      max_active_runs: 16,
      max_consecutive_failed_dag_runs: 0,
      has_task_concurrency_limits: false,
      has_import_errors: this.state.importErrors.has(d.file),
      next_dagrun: null,
      next_dagrun_data_interval_start: null,
      next_dagrun_data_interval_end: null,
      next_dagrun_create_after: null,
    };
  }

  v1ImportError(e: ImportErrorRecord): Record<string, unknown> {
    return { import_error_id: e.id, filename: this.processor.fileloc(e.file), stack_trace: e.stackTrace, timestamp: e.timestamp.toISOString() };
  }

  v1Variable(v: VariableRecord): Record<string, unknown> {
    return { key: v.key, value: v.value, description: v.description };
  }

  /** `password` is write-only in v1's description: never answered. */
  v1Connection(c: ConnectionRecord): Record<string, unknown> {
    return { connection_id: c.connectionId, conn_type: c.connType, description: c.description, host: c.host, login: c.login, schema: c.schema, port: c.port, extra: c.extra };
  }

  v1DagRun(r: DagRunRecord): Record<string, unknown> {
    return {
      dag_run_id: r.runId,
      dag_id: r.dagId,
      logical_date: iso(r.logicalDate),
      execution_date: iso(r.logicalDate),
      start_date: r.state === 'queued' ? null : r.createdAt.toISOString(),
      end_date: r.state === 'success' || r.state === 'failed' ? this.state.now().toISOString() : null,
      data_interval_start: iso(r.logicalDate),
      data_interval_end: iso(r.logicalDate),
      last_scheduling_decision: null,
      run_type: r.runType,
      state: r.state,
      external_trigger: r.runType === 'manual',
      conf: r.conf,
      note: null,
    };
  }

  // ------------------------------------------------------------ Airflow 3 (/api/v2)

  v2Dag(d: DagRecord): Record<string, unknown> {
    return {
      dag_id: d.dagId,
      dag_display_name: d.dagId,
      is_paused: d.isPaused,
      is_stale: !d.active,
      last_parsed_time: iso(d.lastParsedTime),
      last_parse_duration: 0.05,
      last_expired: null,
      bundle_name: BUNDLE,
      bundle_version: null,
      relative_fileloc: d.file,
      fileloc: this.processor.fileloc(d.file),
      description: null,
      timetable_summary: d.schedule,
      timetable_description: null,
      timetable_partitioned: false,
      tags: [],
      max_active_tasks: 16,
      max_active_runs: 16,
      max_consecutive_failed_dag_runs: 0,
      has_task_concurrency_limits: false,
      has_import_errors: this.state.importErrors.has(d.file),
      next_dagrun_logical_date: null,
      next_dagrun_data_interval_start: null,
      next_dagrun_data_interval_end: null,
      next_dagrun_run_after: null,
      allowed_run_types: null,
      owners: ['airflow'],
      file_token: fileToken(d.file),
    };
  }

  v2DagDetails(d: DagRecord): Record<string, unknown> {
    const v = d.versions.at(-1)!;
    return {
      ...this.v2Dag(d),
      catchup: false,
      dag_run_timeout: null,
      asset_expression: null,
      doc_md: null,
      start_date: null,
      end_date: null,
      is_paused_upon_creation: null,
      params: {},
      render_template_as_native_obj: false,
      template_search_path: null,
      timezone: 'UTC',
      last_parsed: iso(d.lastParsedTime),
      default_args: {},
      owner_links: null,
      is_favorite: false,
      active_runs_count: this.state.activeRuns(d.dagId).length,
      concurrency: 16,
      latest_dag_version: this.v2DagVersion(d, v),
    };
  }

  v2DagVersion(d: DagRecord, v: DagRecord['versions'][number]): Record<string, unknown> {
    return { id: v.id, version_number: v.number, dag_id: d.dagId, bundle_name: BUNDLE, bundle_version: null, created_at: v.createdAt.toISOString(), dag_display_name: d.dagId, bundle_url: null };
  }

  v2ImportError(e: ImportErrorRecord): Record<string, unknown> {
    return { import_error_id: e.id, timestamp: e.timestamp.toISOString(), filename: e.file, bundle_name: BUNDLE, stack_trace: e.stackTrace };
  }

  v2Variable(v: VariableRecord): Record<string, unknown> {
    return { key: v.key, value: v.value, description: v.description, is_encrypted: true, team_name: null };
  }

  /** Airflow 3 redacts the password in answers. */
  v2Connection(c: ConnectionRecord): Record<string, unknown> {
    return {
      connection_id: c.connectionId,
      conn_type: c.connType,
      description: c.description,
      host: c.host,
      login: c.login,
      schema: c.schema,
      port: c.port,
      password: c.password === null ? null : '***',
      extra: c.extra === null ? null : '***',
      team_name: null,
    };
  }

  v2DagRun(r: DagRunRecord): Record<string, unknown> {
    const d = this.state.dags.get(r.dagId);
    return {
      dag_run_id: r.runId,
      dag_id: r.dagId,
      logical_date: iso(r.logicalDate),
      queued_at: r.createdAt.toISOString(),
      start_date: r.state === 'queued' ? null : r.createdAt.toISOString(),
      end_date: r.state === 'success' || r.state === 'failed' ? this.state.now().toISOString() : null,
      duration: null,
      data_interval_start: iso(r.logicalDate),
      data_interval_end: iso(r.logicalDate),
      run_after: (r.logicalDate ?? r.createdAt).toISOString(),
      last_scheduling_decision: null,
      run_type: r.runType,
      state: r.state,
      triggered_by: r.runType === 'backfill' ? 'backfill' : 'rest_api',
      triggering_user_name: 'ferry',
      conf: r.conf,
      note: null,
      dag_versions: d ? [this.v2DagVersion(d, d.versions.at(-1)!)] : [],
      bundle_version: null,
      dag_display_name: r.dagId,
      partition_key: null,
    };
  }

  v2Backfill(b: BackfillRecord): Record<string, unknown> {
    return {
      id: b.id,
      dag_id: b.dagId,
      from_date: b.fromDate.toISOString(),
      to_date: b.toDate.toISOString(),
      dag_run_conf: b.dagRunConf,
      is_paused: false,
      reprocess_behavior: b.reprocessBehavior,
      max_active_runs: b.maxActiveRuns,
      created_at: b.createdAt.toISOString(),
      completed_at: iso(b.completedAt),
      updated_at: b.createdAt.toISOString(),
      dag_display_name: b.dagId,
    };
  }
}
