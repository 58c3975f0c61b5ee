import fs from 'node:fs';
import path from 'node:path';
import { actionDeployContext } from '@ferry/actions-runner/deploy';
import { requireApproval, type ApprovalOutcome } from '@ferry/approval';
import { fail, FerryError, getEnvironment, problem, type Ledger, type Plan, type Runner } from '@ferry/core';
import { checkPromotion, planMarkdown } from '@ferry/deploy';
import { createClient, githubContext, runUrl } from '@ferry/github';
import type { ApprovalSettings } from './input-helper.js';

/**
 * require-approval on a runner: the plan from deploy-env's dry run, the
 * promotion rule (an unverified release is refused before anyone is asked),
 * then the approval gate of @ferry/approval.
 */
export async function approve(runner: Runner, s: ApprovalSettings): Promise<ApprovalOutcome> {
  if (!s.token) fail('FERRY_INPUT', 'input "token" is empty; require-approval reads reviews and comments through the GitHub API', { hint: 'Leave token at its default (${{ github.token }}); comment mode needs `issues: write` (and `pull-requests: write` on pull requests).' });
  const ctx = actionDeployContext(runner, s);
  const env = getEnvironment(ctx.config, s.environment);
  const plan = s.planPath ? readPlan(s.planPath, env.name, s.releaseId) : undefined;
  const releaseId = plan?.release.id ?? (await fullReleaseId(ctx.ledger, env.requires, s.releaseId));

  const promotion = await checkPromotion(ctx.ledger, env, releaseId, plan?.mode ?? 'deploy');
  if (!promotion.ok) {
    const error = new FerryError(problem('FERRY_PROMOTION_UNVERIFIED', promotion.detail, { hint: `Deploy release ${releaseId.slice(0, 12)} to ${promotion.requires} and verify it there first; nobody is asked to approve an unverified release.` }));
    return { status: 'refused', approvers: [], error, summary: `### ferry approval: release \`${releaseId.slice(0, 12)}\` → ${env.name} refused\n\n${promotion.detail}\n` };
  }
  const gctx = githubContext();
  return requireApproval({
    gh: createClient(s.token, gctx.apiUrl),
    repo: { owner: gctx.owner, repo: gctx.repo },
    runner,
    config: ctx.config,
    environment: env.name,
    releaseId,
    commit: plan?.release.commit ?? gctx.sha,
    ...(s.mode ? { mode: s.mode } : {}),
    wait: s.wait,
    pollIntervalMs: s.pollIntervalMs,
    ...(s.issueNumber !== undefined ? { issueNumber: s.issueNumber } : {}),
    ...(s.freezeOverride ? { freezeOverride: s.freezeOverride } : {}),
    ...(plan ? { plan: { markdown: planMarkdown(plan), digest: plan.approval.digest, project: plan.project, version: plan.release.version } } : {}),
    actors: s.actors,
    ...(gctx.runId ? { runId: Number(gctx.runId), runUrl: runUrl(gctx) } : {}),
  });
}

function readPlan(file: string, environment: string, releaseId: string): Plan {
  let plan: Plan;
  try {
    plan = JSON.parse(fs.readFileSync(path.resolve(file), 'utf8')) as Plan;
  } catch (e) {
    return fail('FERRY_INPUT', `plan-path ${file} is not a readable plan.json: ${(e as Error).message}`, { hint: 'Pass the plan-path output of deploy-env with dry-run: true (from the same job, or uploaded as an artifact).' });
  }
  if (plan.format !== 'ferry.plan/v1') fail('FERRY_INPUT', `plan-path ${file} is not a ferry plan (format ${String(plan.format)})`);
  if (plan.environment !== environment) fail('FERRY_INPUT', `plan-path ${file} plans ${plan.environment}, not ${environment}`);
  if (!plan.release.id.startsWith(releaseId.toLowerCase())) fail('FERRY_APPROVAL_OTHER_RELEASE', `plan-path ${file} plans release ${plan.release.id.slice(0, 12)}, not ${releaseId.slice(0, 12)}`);
  return plan;
}

/** A release id prefix made whole from the ledger of the environment it is promoted from, when it ran there. */
async function fullReleaseId(ledger: Ledger, from: string | undefined, id: string): Promise<string> {
  const prefix = id.toLowerCase();
  if (prefix.length === 64 || !from) return prefix;
  for await (const r of ledger.records(from)) if (r.releaseId.startsWith(prefix)) return r.releaseId;
  return prefix;
}
