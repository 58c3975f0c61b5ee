/** What ferry reads from and writes to Airflow, the same for Airflow 2 (`/api/v1`) and 3 (`/api/v2`). */

export type AirflowApi = 'v1' | 'v2';

export interface DagInfo {
  dagId: string;
  isPaused: boolean;
  /** False when Airflow no longer finds the DAG in its folder (v1 `is_active: false`, v2 `is_stale: true`). */
  active: boolean;
  /** Where Airflow read the DAG from: absolute on both (v2 also gives `relativeFileloc`, relative to its bundle). */
  fileloc: string;
  relativeFileloc?: string;
  /** When the DAG processor last parsed the file (Airflow's clock). */
  lastParsedTime: string | null;
  hasImportErrors: boolean;
  /** Opaque token naming the file (v1 reads the source with it). */
  fileToken: string;
  /** Airflow 3 only: the latest DAG version (a new one each time the parsed DAG changes). */
  version?: { number: number; bundleName: string | null; bundleVersion: string | null; createdAt: string };
}

export interface ImportErrorInfo {
  id: number;
  /** As Airflow records it: absolute on Airflow 2, relative to the bundle on Airflow 3. */
  filename: string;
  stackTrace: string;
  timestamp: string;
  bundleName?: string | null;
}

/** A connection as ferry sets it (Airflow's own field names, camel-cased). */
export interface ConnectionInput {
  connectionId: string;
  connType: string;
  description?: string;
  host?: string;
  login?: string;
  password?: string;
  schema?: string;
  port?: number;
  /** JSON text, as Airflow stores it. */
  extra?: string;
}

export interface DagRunInfo {
  dagId: string;
  runId: string;
  logicalDate: string | null;
  state: string;
}

export interface BackfillRequest {
  dagId: string;
  /** Logical dates of the runs, oldest first (computed from the DAG's schedule: see logicalDates). */
  logicalDates: Date[];
  /** At most this many backfill runs active at once. */
  maxActiveRuns: number;
  /** How often to look at run states while pacing runs (Airflow 2), and how long at most. */
  pollMs: number;
  budgetMs: number;
}

export interface BackfillOutcome {
  dagId: string;
  /** Runs asked for. */
  planned: number;
  /** Airflow 3: what the dry run said it would create (existing runs are skipped). */
  dryRun?: number;
  /** Airflow 3: the backfill's id. */
  backfillId?: number;
  /** Runs created now (Airflow 2), or by the backfill (Airflow 3: the dry run's count). */
  created: number;
  /** Logical dates that already had a run (Airflow 2: 409 on trigger). */
  existing: number;
  /** Airflow 2: runs queued at once because pacing them would have outlasted the time budget. */
  queuedUnpaced: number;
  notes: string[];
}

/**
 * One interface over both REST APIs. Implementations throw FerryErrors
 * (FERRY_AIRFLOW_API / FERRY_AIRFLOW_AUTH) naming the call that failed.
 */
export interface AirflowClient {
  readonly api: AirflowApi;
  readonly baseUrl: string;
  version(): Promise<{ version: string; gitVersion: string | null }>;
  /** Undefined when Airflow does not know the DAG (404). */
  getDag(dagId: string): Promise<DagInfo | undefined>;
  /**
   * The DAG file's source as Airflow stored it at its last successful parse
   * (v1: by file token; v2: of the latest DAG version). Undefined when Airflow
   * will not say (403, 404, 406): callers fall back to `lastParsedTime`.
   */
  getDagSource(dag: DagInfo): Promise<string | undefined>;
  /** Every import error (all pages), optionally only those whose file `keep` accepts. */
  listImportErrors(keep?: (filename: string) => boolean): Promise<ImportErrorInfo[]>;
  setPaused(dagId: string, paused: boolean): Promise<DagInfo>;
  /** Creates or updates a Variable; the value is never logged. */
  setVariable(key: string, value: string, description?: string): Promise<'created' | 'updated'>;
  /** Creates or updates a Connection; password and extra are never logged. */
  setConnection(conn: ConnectionInput): Promise<'created' | 'updated'>;
  /** Triggers a run for a logical date; `exists` when the DAG already has one for it (409). */
  triggerDagRun(dagId: string, input: { logicalDate: Date; runId?: string; conf?: Record<string, unknown> }): Promise<DagRunInfo | 'exists'>;
  getDagRun(dagId: string, runId: string): Promise<DagRunInfo | undefined>;
  /**
   * Airflow 3: dry run, then `POST /api/v2/backfills` (Airflow keeps at most
   * maxActiveRuns active). Airflow 2: one run per logical date, at most
   * maxActiveRuns active at once while the budget lasts.
   */
  backfill(req: BackfillRequest): Promise<BackfillOutcome>;
}

export const ACTIVE_RUN_STATES = new Set(['queued', 'running', 'restarting', 'up_for_retry', 'scheduled']);
