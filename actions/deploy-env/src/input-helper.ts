import { inputs } from '@ferry/actions-runner';
import { readEnvironmentSettings, type EnvironmentSettings } from '@ferry/actions-runner/deploy';
import { parseApprovalRecord } from '@ferry/approval';
import { fail, type ApprovalRecord, type Runner } from '@ferry/core';

export interface DeploySettings extends EnvironmentSettings {
  releasePath?: string;
  releaseId?: string;
  dryRun: boolean;
  rollback: boolean;
  rollbackTo?: string;
  environmentUrl?: string;
  approvedPlan?: string;
  /** require-approval's `approval` output: recorded with the deployment; may override a freeze window. */
  approval?: ApprovalRecord;
  comment: boolean;
  /** Run the DAG backfills of the environment's current deployment instead of deploying. */
  backfill: boolean;
}

export function readSettings(runner: Runner): DeploySettings {
  const s: DeploySettings = {
    ...readEnvironmentSettings(runner),
    releasePath: inputs.string('release-path'),
    releaseId: inputs.string('release-id'),
    dryRun: inputs.boolean('dry-run'),
    rollback: inputs.boolean('rollback'),
    rollbackTo: inputs.string('rollback-to'),
    environmentUrl: inputs.string('environment-url'),
    approvedPlan: inputs.string('approved-plan'),
    comment: inputs.boolean('comment'),
    backfill: inputs.boolean('backfill'),
  };
  const approval = inputs.string('approval');
  if (approval) s.approval = parseApprovalRecord(approval);
  if (s.rollback && (s.releasePath || s.releaseId)) fail('FERRY_INPUT', 'rollback: true redeploys an earlier release; do not also give release-path or release-id', { hint: 'Use rollback-to to pick the release.' });
  if (s.rollbackTo && !s.rollback) fail('FERRY_INPUT', 'rollback-to needs rollback: true');
  if (s.backfill && (s.releasePath || s.releaseId || s.rollback || s.dryRun)) {
    fail('FERRY_INPUT', 'backfill: true runs the backfills of the release the environment already runs; do not also give release-path, release-id, rollback or dry-run', { hint: 'Deploy first (its plan shows the backfills), then run deploy-env with only environment and backfill: true.' });
  }
  return s;
}
