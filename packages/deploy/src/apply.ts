import fs from 'node:fs';
import path from 'node:path';
import { FerryError, getEnvironment, problem, sha256, toProblems, type ApplyStats, type ApprovalRecord, type DeploymentRecord, type Plan, type Staged } from '@ferry/core';
import { currentDeployment } from '@ferry/ledger';
import { afterDeploy } from './after-deploy.js';
import type { DeployContext } from './context.js';
import { kindOf, type PlannedDeploy } from './plan.js';

export interface DeployResult {
  changed: boolean;
  deployment?: DeploymentRecord;
  stats: ApplyStats;
  /** What was checked and set in the environment's Airflow (see after-deploy.ts). */
  airflow?: { summary: string[] };
}

/**
 * Carries out a plan. Order of effects:
 *   1. refuse if the promotion rule fails, the environment is frozen (without
 *      an override), the plan needs an approval it was not given, or the plan
 *      is stale (nothing recorded);
 *   2. record the deployment as in progress in the ledger;
 *   3. stage every kind (nothing readers see changes; any failure aborts all);
 *   4. commit every kind (atomic switches; a failing commit reverts the ones before it);
 *   5. with `airflow:` set, check and configure Airflow (after-deploy.ts): a
 *      problem there records the deployment as failed, with the files left
 *      switched (the deploy did happen; the error recommends a rollback);
 *   6. record success, or failure with the reason.
 * If it fails at steps 1-4, the environment still runs the previous release.
 */
export async function applyPlan(ctx: DeployContext, planned: PlannedDeploy): Promise<DeployResult> {
  const { plan, release } = planned;
  const { ledger, runner } = ctx;
  const stats: ApplyStats = { written: 0, reused: 0, removed: 0, bytesWritten: 0 };
  if (!plan.promotion.ok) {
    throw new FerryError(problem('FERRY_PROMOTION_UNVERIFIED', plan.promotion.detail, { hint: `Deploy release ${plan.release.id.slice(0, 12)} to ${plan.promotion.requires} and verify it there (smoke-test / ferry verify ${plan.promotion.requires}) first.` }));
  }
  checkApproval(ctx, plan);
  if (plan.approval.required && !approvalCoversPlan(ctx.approval, plan)) {
    const given = ctx.approvedPlan?.trim().toLowerCase();
    if (!given || given.length < 12 || !plan.approval.digest.startsWith(given)) {
      throw new FerryError(
        problem('FERRY_APPROVAL_REQUIRED', `plan ${plan.approval.digest.slice(0, 12)} needs approval: ${plan.approval.reason}${given ? ` (the approval given names plan ${given.slice(0, 12)})` : ''}`, {
          hint: `Review the plan, then apply exactly this plan with --approve ${plan.approval.digest} (CLI) or approved-plan: ${plan.approval.digest} (deploy-env). A changed plan needs a new approval.`,
        }),
      );
    }
  }
  const now = await currentDeployment(ledger, plan.environment);
  if ((now?.id ?? null) !== (plan.current?.deploymentId ?? null)) {
    throw new FerryError(problem('FERRY_LEDGER', `the plan is stale: ${plan.environment} changed since it was made (now deployment ${now?.id ?? 'none'})`, { hint: 'Plan again.' }));
  }
  if (!plan.changed) {
    runner.info(`nothing to deploy: ${plan.environment} already runs release ${plan.release.id.slice(0, 12)} (${plan.release.version})`);
    return { changed: false, stats };
  }

  const env = getEnvironment(ctx.config, plan.environment);
  const m = release.manifest;
  const record = await ledger.start({
    environment: env.name,
    releaseId: m.id,
    version: m.version,
    commit: m.git.commit,
    ref: m.git.ref,
    production: env.production,
    manifestDigest: sha256(fs.readFileSync(path.join(release.dir, 'release.json'))),
    description: `${plan.mode === 'rollback' ? 'rollback to' : 'deploy'} ${m.version}`,
    rollbackOf: planned.rollbackOf,
    ...(ctx.approval ? { approval: ctx.approval } : {}),
    logUrl: ctx.logUrl,
    environmentUrl: ctx.environmentUrl ?? env.url,
  });
  runner.info(`deployment ${record.id} to ${env.name} started (ledger: ${ledger.description})`);

  const staged: Staged[] = [];
  const committed: Staged[] = [];
  try {
    for (const kp of plan.kinds) {
      const artifact = m.artifacts.find((a) => a.kind === kp.kind)!;
      const previous = planned.previous?.manifest.artifacts.find((a) => a.kind === kp.kind);
      runner.debug(`stage ${kp.kind}${kp.target ? ` → ${kp.target}` : ''}`);
      const s = await kindOf(ctx, kp.kind).stage(ctx, { env, release, artifact, previous, previousRelease: planned.previous }, kp);
      staged.push(s);
      for (const k of Object.keys(stats) as (keyof ApplyStats)[]) stats[k] += s.stats[k];
    }
    for (const s of staged) {
      await s.commit();
      committed.push(s);
    }
  } catch (e) {
    for (const s of committed.reverse()) await s.revert().catch(() => undefined);
    for (const s of staged) await s.abort().catch(() => undefined);
    const reason = toProblems(e).map((p) => `${p.code}: ${p.message}`).join('; ');
    await ledger.finish(record.id, 'failure', clip(`failed: ${reason}`)).catch((le) => runner.warning(`could not record the failure in the ledger: ${(le as Error).message}`));
    throw e;
  }
  const airflow = await afterDeploy(ctx, env, planned);
  if (airflow.problems.length) {
    await ledger.finish(record.id, 'failure', clip(`deployed ${m.version}, but Airflow: ${airflow.problems.map((p) => p.message).join('; ')}`)).catch((le) => runner.warning(`could not record the failure in the ledger: ${(le as Error).message}`));
    throw new FerryError(airflow.problems);
  }
  await ledger.finish(record.id, 'success', `deployed ${m.version}: ${stats.written} written, ${stats.reused} unchanged, ${stats.removed} removed`);
  return { changed: true, deployment: { ...record, outcome: 'success' }, stats, ...(env.airflow ? { airflow: { summary: airflow.summary } } : {}) };
}

const short = (id: string) => id.slice(0, 12);

/**
 * An approval handed to the deploy must be for this release and environment;
 * a frozen environment needs one that overrides the active window, with a reason.
 */
export function checkApproval(ctx: DeployContext, plan: Plan, verb = plan.mode === 'rollback' ? 'rollbacks' : 'deploys'): void {
  const a = ctx.approval;
  if (a) {
    const id = a.releaseId.toLowerCase();
    if (a.environment !== plan.environment || id.length < 12 || !plan.release.id.startsWith(id)) {
      throw new FerryError(
        problem('FERRY_APPROVAL_OTHER_RELEASE', `the approval given is for release ${short(a.releaseId)} in ${a.environment}, not release ${short(plan.release.id)} in ${plan.environment}`, {
          hint: `Run require-approval for release ${plan.release.id} and environment ${plan.environment}, and pass its approval output.`,
        }),
      );
    }
    if (a.approvers.length === 0) throw new FerryError(problem('FERRY_APPROVAL_TOO_FEW', `the approval given for ${plan.environment} names no approvers`));
  }
  const f = plan.freeze?.active;
  if (!f) return;
  const o = a?.override;
  if (!o) {
    throw new FerryError(
      problem('FERRY_FROZEN', `${plan.environment} is frozen by window '${f.window}' until ${f.endsAt}; ${verb} are refused until then`, {
        hint: `Wait until ${f.endsAt}, or get an override approved: require-approval with \`freeze-override: <reason>\` and pass its \`approval\` output to deploy-env (CLI: --override-freeze "<reason>" --approved-by <login>).`,
      }),
    );
  }
  if (!o.reason.trim()) throw new FerryError(problem('FERRY_FROZEN', `${plan.environment} is frozen by window '${f.window}' until ${f.endsAt}, and the override given has no reason`, { hint: 'A freeze override needs a reason; it is recorded with the deployment.' }));
  if (o.window !== f.window) {
    throw new FerryError(problem('FERRY_FROZEN', `${plan.environment} is frozen by window '${f.window}' until ${f.endsAt}, but the override given was approved for window '${o.window}'`, { hint: 'Request a new override approval for the window now active.' }));
  }
  ctx.runner.warning(`${plan.environment} is frozen by window '${f.window}' until ${f.endsAt}; overridden by ${a!.approvers.map((x) => x.login).join(', ')}: ${o.reason}`);
}

/** An approval from require-approval satisfies a plan that needs one when it is for this plan (or names no plan). */
function approvalCoversPlan(a: ApprovalRecord | undefined, plan: Plan): boolean {
  // A CLI freeze override only vouches for the freeze; a plan that needs approval still needs --approve.
  if (!a || a.approvers.length === 0 || a.mode === 'cli') return false;
  return !a.planDigest || a.planDigest === plan.approval.digest;
}

/** GitHub limits a deployment status description to 140 characters. */
function clip(s: string): string {
  return s.length > 140 ? s.slice(0, 137) + '...' : s;
}
