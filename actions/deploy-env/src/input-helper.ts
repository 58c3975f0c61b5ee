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
  };
  const approval = inputs.string('approval');
  if (approval) s.approval = parseApprovalRecord(approval);
  if (s.rollback && (s.releasePath || s.releaseId)) fail('FERRY_INPUT', 'rollback: true redeploys an earlier release; do not also give release-path or release-id', { hint: 'Use rollback-to to pick the release.' });
  if (s.rollbackTo && !s.rollback) fail('FERRY_INPUT', 'rollback-to needs rollback: true');
  return s;
}
