import type { DeploymentRecord, Environment, Ledger, Plan } from '@ferry/core';
import { currentDeployment, latestOfRelease } from '@ferry/ledger';

const short = (id: string) => id.slice(0, 12);

function describe(r: DeploymentRecord): string {
  const v = r.verification === 'verified' ? 'verified' : r.verification === 'failed' ? 'failed verification' : 'not verified yet';
  return `release ${short(r.releaseId)} (version ${r.version}, ${v})`;
}

/**
 * The promotion rule: with `requires: <env>`, only a release deployed and
 * verified there may be deployed here. Rollbacks return to a release the
 * environment already ran, so they are not subject to it.
 */
export async function checkPromotion(ledger: Ledger, env: Environment, releaseId: string, mode: Plan['mode']): Promise<Plan['promotion']> {
  if (!env.requires) return { ok: true, detail: 'no promotion rule' };
  if (mode === 'rollback') return { requires: env.requires, ok: true, detail: `rollback: returns to a release ${env.name} ran before` };
  const same = await latestOfRelease(ledger, env.requires, releaseId);
  if (same?.verification === 'verified') {
    return { requires: env.requires, ok: true, detail: `verified in ${env.requires} (deployment ${same.id}${same.verifiedAt ? `, ${same.verifiedAt}` : ''})` };
  }
  const there = await currentDeployment(ledger, env.requires);
  const has = there ? `${env.requires} runs ${describe(there)}` : `${env.requires} has no deployment yet`;
  const thisOne = same ? `this release was deployed to ${env.requires} but ${same.verification === 'failed' ? 'failed verification' : 'is not verified yet'}` : `this release was never deployed to ${env.requires}`;
  return { requires: env.requires, ok: false, detail: `release ${short(releaseId)} cannot go to ${env.name}: ${thisOne}; ${has}` };
}
