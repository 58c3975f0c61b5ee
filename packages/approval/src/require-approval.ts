import path from 'node:path';
import { FerryError, getEnvironment, problem, type ApprovalRecord, type FerryConfig, type FreezeInfo, type Problem, type Runner } from '@ferry/core';
import type { GitHubClient } from '@ferry/github';
import { CommentReader, findRequest, postRequest, requestMarker, type ApprovalRequest } from './comment-mode.js';
import { commitAuthor, runReviews } from './environment-mode.js';
import { activeFreeze } from './freeze.js';
import { Allowed, judge, policyOf, type Policy, type Verdict } from './policy.js';
import { approvalSummary } from './summary.js';

export type ApprovalStatus = 'approved' | 'waiting' | 'denied' | 'timed-out' | 'refused' | 'frozen' | 'not-required';

export interface Clock {
  now(): Date;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = { now: () => new Date(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

export interface ApprovalInput {
  gh: GitHubClient;
  repo: { owner: string; repo: string };
  runner: Runner;
  config: FerryConfig;
  environment: string;
  /** The release to approve: its full id (from the plan) or a prefix of at least 12 characters. */
  releaseId: string;
  /** The release's commit, whose author may not approve. */
  commit?: string;
  /** Default: ferry.yml's approval.mode. */
  mode?: 'environment' | 'comment';
  /** poll: wait here (bounded by approval.timeout); resume: post the request and end `waiting`. */
  wait: 'poll' | 'resume';
  pollIntervalMs?: number;
  /** Comment mode: the issue or pull request to ask on; default a new `ferry:approval` issue. */
  issueNumber?: number;
  /** A reason: asks the approvers to let the deploy through the active freeze window. */
  freezeOverride?: string;
  /** The deploy plan (Markdown, incl. its backfill runbook) and digest, from deploy-env's dry run. */
  plan?: { markdown: string; digest: string; project: string; version: string };
  /** This run's actor and triggering actor (never approvers). Empty when resumed from a comment: the commenter is not the requester. */
  actors: string[];
  runId?: number;
  runUrl?: string;
  clock?: Clock;
}

export interface ApprovalOutcome {
  status: ApprovalStatus;
  approvers: string[];
  record?: ApprovalRecord;
  issueNumber?: number;
  /** Job summary: who approved, when, where; or the runbook while waiting. */
  summary: string;
  /** Set for denied, timed-out, refused and frozen: the step fails with it after the outputs are written. */
  error?: FerryError;
}

const short = (id: string) => id.slice(0, 12);
const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * The approval gate of one release for one environment: refuses a frozen
 * environment unless an override is asked for, then reads GitHub environment
 * reviews or runs the comment flow, and enforces what ferry.yml's `approval:`
 * says. Writes nothing but the request (comment mode); the approval itself is
 * recorded when deploy-env records the deployment.
 */
export async function requireApproval(input: ApprovalInput): Promise<ApprovalOutcome> {
  const clock = input.clock ?? systemClock;
  const env = getEnvironment(input.config, input.environment);
  const releaseId = input.releaseId.toLowerCase();
  if (!/^[0-9a-f]{12,64}$/.test(releaseId)) throw new FerryError(problem('FERRY_INPUT', `release-id "${input.releaseId}" is not a release id (at least 12 hex characters)`, { hint: 'Pass the release-id output of build-artifacts or deploy-env.' }));

  const index = input.config.environments.findIndex((e) => e.name === env.name);
  const freeze = activeFreeze(env.freeze, clock.now(), { file: path.basename(input.config.file), key: `environments[${index}].freeze` });
  const reason = input.freezeOverride?.trim();
  if (freeze && !reason) return frozen(env.name, freeze);
  if (!freeze && reason) input.runner.warning(`freeze-override given, but ${env.name} is not frozen now; asking for a normal approval`);
  const override = freeze && reason ? { window: freeze.window, reason } : undefined;

  if (!env.approval && !env.requiresApproval && !override) {
    return { status: 'not-required', approvers: [], summary: `**ferry approval**: ${env.name} needs no approval (no \`approval:\` or \`requires_approval\` in ferry.yml).\n` };
  }
  const policy = policyOf(env.approval);
  const mode = input.mode ?? policy.mode;
  const allowed = new Allowed(policy.allowed, input.gh, input.repo);
  const author = input.commit ? await commitAuthor(input.gh, input.repo, input.commit) : undefined;
  const ctx: Ctx = { input, clock, policy, allowed, releaseId, environment: env.name, override, author };
  return mode === 'environment' ? environmentMode(ctx) : commentMode(ctx);
}

interface Ctx {
  input: ApprovalInput;
  clock: Clock;
  policy: Policy;
  allowed: Allowed;
  releaseId: string;
  environment: string;
  override?: { window: string; reason: string };
  author?: string;
}

function frozen(environment: string, f: FreezeInfo): ApprovalOutcome {
  const error = new FerryError(
    problem('FERRY_FROZEN', `${environment} is frozen by window '${f.window}' until ${f.endsAt}; no deploy is approved during it`, {
      hint: `Wait until ${f.endsAt}, or ask for an override: run require-approval with \`freeze-override: <reason>\` (recorded with the deployment).`,
    }),
  );
  return { status: 'frozen', approvers: [], error, summary: `### ferry approval: ${environment} is frozen\n\nWindow **${f.window}** since ${f.startedAt}, until **${f.endsAt}**. To deploy anyway, run require-approval with \`freeze-override: <reason>\`; the approvers then approve the override.\n` };
}

function selfLogins(ctx: Ctx, recorded: readonly string[] = []): Set<string> {
  return new Set([...ctx.input.actors, ...recorded, ...(ctx.author ? [ctx.author] : [])].filter(Boolean).map((l) => l.toLowerCase()));
}

function record(ctx: Ctx, verdict: Verdict, url?: string): ApprovalRecord {
  return {
    mode: ctx.input.mode ?? ctx.policy.mode,
    environment: ctx.environment,
    releaseId: ctx.releaseId,
    approvers: verdict.approvers.map(({ login, at }) => ({ login, at })),
    ...(ctx.override ? { override: ctx.override } : {}),
    ...(url ? { url } : {}),
    ...(ctx.input.plan ? { planDigest: ctx.input.plan.digest } : {}),
  };
}

function decided(ctx: Ctx, verdict: Verdict, where: { url?: string; issueNumber?: number }): ApprovalOutcome | undefined {
  const base = { approvers: verdict.approvers.map((a) => a.login), ...(where.issueNumber !== undefined ? { issueNumber: where.issueNumber } : {}) };
  if (verdict.status === 'approved') {
    const rec = record(ctx, verdict, where.url);
    return { ...base, status: 'approved', record: rec, summary: approvalSummary({ status: 'approved', record: rec, verdict, policy: ctx.policy, allowed: ctx.allowed }) };
  }
  if (verdict.status === 'denied') {
    const d = verdict.deniedBy!;
    const error = new FerryError(problem('FERRY_APPROVAL_DENIED', `${d.login} denied deploying release ${short(ctx.releaseId)} to ${ctx.environment}${d.reason ? `: ${d.reason}` : ''}${d.url ? ` (${d.url})` : ''}`));
    return { ...base, status: 'denied', error, summary: approvalSummary({ status: 'denied', verdict, policy: ctx.policy, allowed: ctx.allowed, environment: ctx.environment, releaseId: ctx.releaseId }) };
  }
  return undefined;
}

function tooFew(ctx: Ctx, verdict: Verdict, code: 'FERRY_APPROVAL_TOO_FEW' | 'FERRY_APPROVAL_TIMEOUT', message: string): FerryError {
  const main = problem(code, message, {
    hint: code === 'FERRY_APPROVAL_TIMEOUT' ? undefined : `Ask ${ctx.allowed.describe()} to approve (${ctx.policy.min_approvals} distinct approver(s) needed), then re-run the job.`,
  });
  // The specific reason first: a self-approval that would have been enough is reported as such.
  const problems: Problem[] = code === 'FERRY_APPROVAL_TOO_FEW' && verdict.ignored.length ? [...verdict.ignored, main] : [main, ...verdict.ignored];
  return new FerryError(problems);
}

async function environmentMode(ctx: Ctx): Promise<ApprovalOutcome> {
  const { input } = ctx;
  if (!input.runId) throw new FerryError(problem('FERRY_INPUT', 'mode: environment reads this run\'s reviews, but GITHUB_RUN_ID is not set', { hint: 'Run on GitHub Actions in a job with `environment:` that has required reviewers, or use mode: comment.' }));
  const votes = await runReviews(input.gh, input.repo, input.runId, ctx.environment, ctx.clock.now(), input.runUrl);
  const verdict = await judge(votes, { policy: ctx.policy, allowed: ctx.allowed, self: selfLogins(ctx), releaseId: ctx.releaseId, environment: ctx.environment });
  const done = decided(ctx, verdict, { url: input.runUrl });
  if (done) return done;
  const got = verdict.approvers.length;
  const error = tooFew(
    ctx,
    verdict,
    'FERRY_APPROVAL_TOO_FEW',
    votes.length === 0
      ? `no review of this run approved ${ctx.environment}: ${ctx.policy.min_approvals} distinct approver(s) needed (does the job run under \`environment: ${ctx.environment}\` with required reviewers?)`
      : `${got} of ${ctx.policy.min_approvals} required distinct approver(s) for ${ctx.environment}${got ? ` (${verdict.approvers.map((a) => a.login).join(', ')})` : ''}`,
  );
  return { status: 'refused', approvers: verdict.approvers.map((a) => a.login), error, summary: approvalSummary({ status: 'refused', verdict, policy: ctx.policy, allowed: ctx.allowed, environment: ctx.environment, releaseId: ctx.releaseId }) };
}

function requestBody(ctx: Ctx, self: string[]): string {
  const { input, policy } = ctx;
  const id = short(ctx.releaseId);
  const deadline = iso(new Date(ctx.clock.now().getTime() + policy.timeoutMs));
  return [
    requestMarker(ctx.environment, ctx.releaseId, self),
    `### ferry: approve deploying \`${id}\`${input.plan ? ` (${input.plan.version})` : ''} to ${ctx.environment}?`,
    '',
    `Release \`${ctx.releaseId}\`${input.plan ? `, plan digest \`${input.plan.digest.slice(0, 12)}\`` : ''}.`,
    ...(ctx.override ? ['', `> [!WARNING]\n> ${ctx.environment} is frozen by window '${ctx.override.window}'. This asks to deploy **during the freeze**; reason: ${ctx.override.reason}`] : []),
    '',
    input.plan ? input.plan.markdown : '_No plan was attached (require-approval without `plan-path`)._',
    '',
    '**To answer**, comment here with one line:',
    '',
    '```',
    `/approve ${id}`,
    `/deny ${id} <reason>`,
    '```',
    '',
    `Who may approve: ${ctx.allowed.describe()}; ${policy.min_approvals} distinct approver(s) needed${policy.allow_self_approval ? '' : `; not the release's author or the run's actor${self.length ? ` (${self.join(', ')})` : ''}`}. Only answers naming this release id count. Without a decision by ${deadline} the deploy is refused.`,
    '',
  ].join('\n');
}

async function commentMode(ctx: Ctx): Promise<ApprovalOutcome> {
  const { input, policy, clock } = ctx;
  let request: ApprovalRequest | undefined = await findRequest(input.gh, input.repo, ctx.environment, ctx.releaseId, input.issueNumber);
  if (request) {
    input.runner.info(`found the approval request for ${short(ctx.releaseId)} → ${ctx.environment}: ${request.url}`);
  } else {
    const self = [...selfLogins(ctx)];
    const title = `ferry: approve ${input.plan ? `${input.plan.project} ${input.plan.version}` : short(ctx.releaseId)} → ${ctx.environment}`;
    request = await postRequest(input.gh, input.repo, requestBody(ctx, self), { title, issueNumber: input.issueNumber, self });
    input.runner.info(`asked for approval: ${request.url}`);
  }
  const self = selfLogins(ctx, request.self);
  const reader = new CommentReader(input.gh, input.repo, request);
  const deadline = Date.parse(request.createdAt) + policy.timeoutMs;
  const where = { url: request.url, issueNumber: request.issueNumber };
  for (;;) {
    const verdict = await judge(await reader.votes(), { policy, allowed: ctx.allowed, self, releaseId: ctx.releaseId, environment: ctx.environment });
    const done = decided(ctx, verdict, where);
    if (done) return done;
    const now = clock.now().getTime();
    if (now >= deadline) {
      const error = tooFew(ctx, verdict, 'FERRY_APPROVAL_TIMEOUT', `no decision on deploying release ${short(ctx.releaseId)} to ${ctx.environment} by ${iso(new Date(deadline))} (${verdict.approvers.length} of ${policy.min_approvals} approval(s)); refused (fails closed). Request: ${request.url}`);
      return { status: 'timed-out', approvers: verdict.approvers.map((a) => a.login), issueNumber: request.issueNumber, error, summary: approvalSummary({ status: 'timed-out', verdict, policy, allowed: ctx.allowed, environment: ctx.environment, releaseId: ctx.releaseId, request }) };
    }
    if (input.wait === 'resume') {
      for (const p of verdict.ignored) input.runner.warning(`${p.code}: ${p.message}`);
      return { status: 'waiting', approvers: verdict.approvers.map((a) => a.login), issueNumber: request.issueNumber, summary: approvalSummary({ status: 'waiting', verdict, policy, allowed: ctx.allowed, environment: ctx.environment, releaseId: ctx.releaseId, request, deadline: iso(new Date(deadline)) }) };
    }
    await clock.sleep(Math.min(input.pollIntervalMs ?? 30_000, deadline - now));
  }
}
