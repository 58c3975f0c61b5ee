import { fail, getEnvironment } from '@ferry/core';
import { rollbackCandidate } from '@ferry/ledger';
import type { DeployContext } from './context.js';
import { planDeploy, type PlannedDeploy } from './plan.js';

/**
 * Plans a return to the environment's previous successful release (or to
 * `toRelease`, which must be one the environment ran successfully).
 */
export async function planRollback(ctx: DeployContext, envName: string, toRelease?: string): Promise<PlannedDeploy> {
  const env = getEnvironment(ctx.config, envName);
  const { current, target } = await rollbackCandidate(ctx.ledger, env.name);
  if (!current) fail('FERRY_NOTHING_TO_ROLLBACK', `${env.name} has no successful deployment to roll back from`);
  let to = target;
  if (toRelease) {
    to = undefined;
    for await (const r of ctx.ledger.records(env.name)) {
      if (r.outcome === 'success' && r.releaseId.startsWith(toRelease)) {
        to = r;
        break;
      }
    }
    if (!to) fail('FERRY_RELEASE_NOT_FOUND', `${env.name} never ran a release ${toRelease} successfully, so it cannot roll back to it`);
  }
  if (!to) fail('FERRY_NOTHING_TO_ROLLBACK', `${env.name} runs release ${current.releaseId.slice(0, 12)} and has no earlier successful release`);
  const release = await ctx.store.get({ id: to.releaseId, version: to.version });
  return planDeploy(ctx, env.name, release, { mode: 'rollback', rollbackOf: current.releaseId });
}
