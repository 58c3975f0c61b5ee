import { runAction } from '@ferry/actions-runner';
import { actionDeployContext, readEnvironmentSettings } from '@ferry/actions-runner/deploy';
import { FerryError, formatProblem } from '@ferry/core';
import { verifyEnvironment } from '@ferry/deploy';

// This version runs one check: every target holds exactly its release's files.
// Airflow, SQL, HTTP and command checks and the watch window come later.
await runAction('smoke-test', async (runner) => {
  const s = readEnvironmentSettings(runner);
  const ctx = actionDeployContext(runner, s);
  const r = await verifyEnvironment(ctx, s.environment);
  runner.setOutput('verified', String(r.ok));
  runner.setOutput('deployment-id', r.deployment.id);
  runner.setOutput('release-id', r.deployment.releaseId);
  runner.setOutput('rollback-recommended', String(!r.ok));
  const head = `### ferry smoke-test: ${s.environment} ${r.ok ? 'verified' : 'FAILED'}\n\nRelease ${r.deployment.version} (\`${r.deployment.releaseId.slice(0, 12)}\`), deployment ${r.deployment.id}.\n`;
  runner.appendSummary(head + (r.ok ? '\n- files: every target holds exactly the release\'s files\n' : r.problems.map((p) => `\n- ${formatProblem(p)}`).join('') + '\n'));
  if (!r.ok) throw new FerryError(r.problems);
});
