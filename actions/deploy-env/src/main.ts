import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runAction } from '@ferry/actions-runner';
import { actionDeployContext, releaseFromInputs } from '@ferry/actions-runner/deploy';
import { FerryError } from '@ferry/core';
import { applyPlan, planDeploy, planMarkdown, planRollback } from '@ferry/deploy';
import { backfillStep } from './backfill.js';
import { commentPlan } from './comment.js';
import { readSettings } from './input-helper.js';

const STATUS: Record<string, string> = { FERRY_APPROVAL_REQUIRED: 'approval-required', FERRY_FROZEN: 'frozen', FERRY_APPROVAL_OTHER_RELEASE: 'refused', FERRY_APPROVAL_TOO_FEW: 'refused' };

await runAction('deploy-env', async (runner) => {
  const s = readSettings(runner);
  const ctx = { ...actionDeployContext(runner, s), environmentUrl: s.environmentUrl, approvedPlan: s.approvedPlan, approval: s.approval };
  if (s.backfill) return backfillStep(runner, ctx, s.environment);
  const planned = s.rollback ? await planRollback(ctx, s.environment, s.rollbackTo) : await planDeploy(ctx, s.environment, await releaseFromInputs(ctx, s.releasePath, s.releaseId));
  const { plan } = planned;

  const planPath = path.join(process.env.RUNNER_TEMP || os.tmpdir(), 'ferry', `plan-${plan.environment}.json`);
  fs.mkdirSync(path.dirname(planPath), { recursive: true });
  fs.writeFileSync(planPath, JSON.stringify(plan, null, 2) + '\n');
  runner.appendSummary(planMarkdown(plan));
  runner.setOutput('plan-path', planPath);
  runner.setOutput('release-id', plan.release.id);
  runner.setOutput('version', plan.release.version);
  runner.setOutput('previous-release-id', plan.current?.id ?? '');
  runner.setOutput('plan-digest', plan.approval.digest);
  runner.setOutput('approval-required', String(plan.approval.required));
  if (s.comment) await commentPlan(runner, s, plan);

  if (s.dryRun) {
    runner.setOutput('changed', String(plan.changed));
    runner.setOutput('status', 'planned');
    runner.info('dry run: nothing applied');
    return;
  }
  const result = await applyPlan(ctx, planned).catch((e: unknown) => {
    // Later steps (alerts, rollbacks) read these even when this step failed.
    runner.setOutput('changed', 'false');
    runner.setOutput('status', !plan.promotion.ok ? 'refused' : e instanceof FerryError ? (STATUS[e.code] ?? 'failed') : 'failed');
    throw e;
  });
  runner.setOutput('changed', String(result.changed));
  runner.setOutput('status', result.changed ? 'deployed' : 'unchanged');
  runner.setOutput('deployment-id', result.deployment?.id ?? '');
  if (result.changed) {
    const st = result.stats;
    runner.appendSummary(`\n**${plan.mode === 'rollback' ? 'Rolled back' : 'Deployed'}** ${plan.release.version} to ${plan.environment} (deployment ${result.deployment!.id}): ${st.written} files written, ${st.reused} unchanged, ${st.removed} removed.\n`);
    const a = s.approval;
    if (a) runner.appendSummary(`\nApproved by ${a.approvers.map((x) => `@${x.login} (${x.at})`).join(', ')} (${a.mode}${a.url ? `, ${a.url}` : ''})${a.override ? `; freeze window '${a.override.window}' overridden: ${a.override.reason}` : ''}.\n`);
    if (result.airflow?.summary.length) runner.appendSummary(['', '**Airflow**', '', ...result.airflow.summary.map((l) => `- ${l}`), ''].join('\n'));
  }
});
