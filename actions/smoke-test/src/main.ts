import os from 'node:os';
import path from 'node:path';
import { inputs, runAction } from '@ferry/actions-runner';
import { actionDeployContext, readEnvironmentSettings } from '@ferry/actions-runner/deploy';
import { fail, FerryError } from '@ferry/core';
import { smokeMarkdown, smokeProblems, smokeTest, writeReport } from '@ferry/smoke';

/** '' = as ferry.yml says; true/false override. */
function tristate(name: string): boolean | undefined {
  const v = inputs.string(name);
  if (v === undefined) return undefined;
  if (/^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
  return fail('FERRY_INPUT', `input "${name}" must be true, false or empty (as ferry.yml says), got "${v}"`);
}

await runAction('smoke-test', async (runner) => {
  const s = readEnvironmentSettings(runner);
  const ctx = actionDeployContext(runner, s);
  const watch = tristate('watch');
  const r = await smokeTest(ctx, s.environment, { watch: watch === false ? false : undefined, autoRollback: tristate('auto-rollback') });
  const reportPath = writeReport(r, path.join(process.env.RUNNER_TEMP || os.tmpdir(), 'ferry'));
  const rolledBack = r.rollback?.done === true;
  runner.setOutput('verified', String(r.ok));
  runner.setOutput('status', r.status);
  runner.setOutput('deployment-id', r.deployment.id);
  runner.setOutput('release-id', r.deployment.releaseId);
  runner.setOutput('rollback-recommended', String(r.rollbackRecommended && !(r.rollback?.done && r.rollback.report.ok)));
  runner.setOutput('rolled-back', String(rolledBack));
  runner.setOutput('rollback-release-id', r.rollback?.done ? r.rollback.releaseId : '');
  runner.setOutput('rollback-version', r.rollback?.done ? r.rollback.version : '');
  runner.setOutput('report-path', reportPath);
  runner.appendSummary(smokeMarkdown(r));
  if (!r.ok) throw new FerryError(smokeProblems(r));
});
