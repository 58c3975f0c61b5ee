import type { KindName } from '../config/schema.js';

export type ChangeAction = 'create' | 'update' | 'delete' | 'noop';

/** One planned change. Unchanged files are only counted (see KindPlan.unchanged). */
export interface Change {
  kind: KindName;
  /** File path inside the artifact, or '' for a change to the kind as a whole. */
  path: string;
  action: ChangeAction;
  reason: string;
  before?: string;
  after?: string;
  /**
   * Filled by kinds that know about backfills (dbt, DAG schedules). For a DAG
   * file, the fields of its first DAG backfill are spread here (reason, dagId,
   * from, to, runs, schedule, …) and `dags` lists every DAG backfill of the file.
   */
  backfill?: { reason: string; dags?: DagBackfill[]; [k: string]: unknown };
}

/**
 * What changing a DAG's schedule, start_date or catchup between the release
 * an environment runs and the next one means for backfills: the date range and
 * the number of runs, or why there is none, or why it cannot be told statically.
 */
export interface DagBackfill {
  /** Null when the dag_id itself cannot be told statically. */
  dagId: string | null;
  /** The DAG file (relative to the DAG folder in a plan) and the line of the DAG. */
  file: string;
  line?: number;
  /**
   * start-earlier, catchup-on, schedule-changed, new-dag: `runs` runs over [from, to);
   * no-backfill: a change that needs none (reason says why); unknown: cannot be told statically.
   */
  rule: 'start-earlier' | 'catchup-on' | 'schedule-changed' | 'new-dag' | 'no-backfill' | 'unknown';
  reason: string;
  /** Logical date (start) of the first run and end of the last run's interval, ISO 8601 UTC. */
  from: string | null;
  to: string | null;
  runs: number | null;
  /** Counting stopped at the cap: there are more than `runs` runs, and `to` is the end of the range rather than of the last run. */
  runsCapped?: boolean;
  /** The DAG's schedule in the new release, as written ("@daily", "0 6 * * *", "PT1H" for timedelta(hours=1)). */
  schedule: string | null;
  /** The time zone its cron schedule is read in, when not UTC. */
  timezone?: string;
  /** The "now" that bounds ranges up to the present. */
  asOf: string;
}

export interface KindPlan {
  kind: KindName;
  /** Where it goes, e.g. `local:/srv/airflow/dags`; undefined when the kind is not deployed. */
  target?: string;
  changes: Change[];
  unchanged: number;
  notes: string[];
  /** What the target itself reports as wrong (an unfinished deploy, a folder or prefix ferry does not manage yet); the plan shows them as warnings. */
  warnings?: string[];
  /** Steps that cannot be undone by a rollback (e.g. dbt full refreshes); they need approval where the environment requires it. */
  destructive?: string[];
  /** Kind-specific plan data (e.g. the dbt diff and invocations), rendered by the kind itself. */
  details?: unknown;
}

export interface ReleaseRef {
  id: string;
  version: string;
  commit?: string;
}

/**
 * What a deploy will do, as data: rendered in the job summary, the PR comment
 * and the approval request, and the only input `apply` acts on.
 */
export interface Plan {
  format: 'ferry.plan/v1';
  project: string;
  environment: string;
  production: boolean;
  release: ReleaseRef;
  /** What the ledger says the environment runs now. */
  current: (ReleaseRef & { deploymentId: string; verified: boolean }) | null;
  mode: 'deploy' | 'rollback';
  /** false: nothing to deploy (the environment already runs exactly this). */
  changed: boolean;
  counts: Record<ChangeAction, number>;
  kinds: KindPlan[];
  promotion: { requires?: string; ok: boolean; detail: string };
  /**
   * Whether this exact plan must be approved before apply, and its digest:
   * sha256 of the plan without this field, so an approval names one plan.
   */
  approval: { required: boolean; reason: string; digest: string };
  /**
   * Freeze windows of the environment when the plan was made: the active one
   * (apply refuses unless overridden) and the next one. Not part of the digest.
   */
  freeze?: { active?: FreezeInfo; next?: FreezeInfo };
  warnings: string[];
}

/** One occurrence of a freeze window from ferry.yml. */
export interface FreezeInfo {
  window: string;
  startedAt: string;
  endsAt: string;
}
