import { fail, getEnvironment, type DeploymentRecord, type Problem } from '@ferry/core';
import { currentDeployment } from '@ferry/ledger';
import type { DeployContext } from './context.js';
import { kindOf } from './plan.js';

export interface VerifyResult {
  deployment: DeploymentRecord;
  ok: boolean;
  problems: Problem[];
}

/**
 * Minimal verification: every target holds exactly the files of the release
 * the ledger says is live. Records the result on that deployment; a
 * "verified" record is what the promotion rule asks for.
 */
export async function verifyEnvironment(ctx: DeployContext, envName: string, opts: { record?: boolean } = {}): Promise<VerifyResult> {
  const env = getEnvironment(ctx.config, envName);
  const deployment = await currentDeployment(ctx.ledger, env.name);
  if (!deployment) fail('FERRY_NOT_DEPLOYED', `${env.name} has no successful deployment to verify`, { hint: `Deploy to ${env.name} first.` });
  const release = await ctx.store.get({ id: deployment.releaseId, version: deployment.version });
  const problems: Problem[] = [];
  for (const artifact of release.manifest.artifacts) {
    problems.push(...(await kindOf(ctx, artifact.kind).verify(ctx, { env, release, artifact })));
  }
  const ok = problems.length === 0;
  if (opts.record !== false) {
    await ctx.ledger.verify(deployment.id, ok ? 'verified' : 'failed', ok ? `verified: targets hold release ${release.manifest.version}` : `verification failed: ${problems.length} problem(s)`);
  }
  return { deployment: { ...deployment, verification: ok ? 'verified' : 'failed' }, ok, problems };
}
