import type { Runner } from '@ferry/core';
import { FerryError } from '@ferry/core';
import { planMarkdown, runPlannedBackfills, type DeployContext } from '@ferry/deploy';

/** `backfill: true`: run the DAG backfills of the environment's current deployment, and report them. */
export async function backfillStep(runner: Runner, ctx: DeployContext, environment: string): Promise<void> {
  const run = await runPlannedBackfills(ctx, environment).catch((e: unknown) => {
    runner.setOutput('status', e instanceof FerryError && e.code === 'FERRY_FROZEN' ? 'frozen' : 'failed');
    throw e;
  });
  const { plan } = run.planned;
  runner.setOutput('release-id', plan.release.id);
  runner.setOutput('version', plan.release.version);
  runner.setOutput('deployment-id', run.deployment.id);
  runner.setOutput('changed', 'false');
  runner.appendSummary(
    [`### ferry: backfills of ${plan.release.version} in ${plan.environment} (deployment ${run.deployment.id})`, '', ...run.result.summary.map((l) => `- ${l}`), '', '<details><summary>The deploy these backfills come from</summary>', '', planMarkdown(plan), '', '</details>', ''].join('\n'),
  );
  if (run.result.problems.length) {
    runner.setOutput('status', 'failed');
    throw new FerryError(run.result.problems);
  }
  runner.setOutput('status', 'backfilled');
}
