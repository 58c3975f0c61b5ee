import type { DeploymentRecord, Problem } from '@ferry/core';

export type CheckGroup = 'files' | 'airflow' | 'sql' | 'http' | 'command';

/** One check's outcome, as shown in the report (details never hold secrets). */
export interface CheckResult {
  group: CheckGroup;
  name: string;
  ok: boolean;
  detail: string;
  durationMs: number;
  /** Watch window round (0: the first pass). */
  round?: number;
  /** The problems behind a failure, when a kind reported them with their own codes (files: FERRY_TARGET_DRIFT, …). */
  problems?: Problem[];
}

export interface SmokeReport {
  format: 'ferry.smoke/v1';
  environment: string;
  deployment: Pick<DeploymentRecord, 'id' | 'releaseId' | 'version' | 'rollbackOf'>;
  /** verified: every check passed (and the watch window); failed; rolled-back: failed, and the last verified release was redeployed. */
  status: 'verified' | 'failed' | 'rolled-back';
  ok: boolean;
  checks: CheckResult[];
  watch?: { forMs: number; everyMs: number; groups: CheckGroup[]; rounds: number; failedInRound?: number };
  rollbackRecommended: boolean;
  /** On failure: the environment's last verified release (what a rollback should return to), when there is one. */
  lastVerified?: { releaseId: string; version: string; deploymentId: string };
  /** The automatic rollback: done (with the rolled-back deployment's own report) or why not. */
  rollback?: { done: true; releaseId: string; version: string; deploymentId: string; report: SmokeReport } | { done: false; reason: string };
  notes: string[];
  startedAt: string;
  finishedAt: string;
}
