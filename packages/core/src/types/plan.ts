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
  /** Filled by kinds that know about backfills (dbt, DAG schedules). */
  backfill?: { reason: string; [k: string]: unknown };
}

export interface KindPlan {
  kind: KindName;
  /** Where it goes, e.g. `local:/srv/airflow/dags`; undefined when the kind is not deployed. */
  target?: string;
  changes: Change[];
  unchanged: number;
  notes: string[];
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
  warnings: string[];
}
