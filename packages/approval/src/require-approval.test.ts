import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { MemoryRunner, parseConfig, type FerryConfig } from '@ferry/core';
import { createClient } from '@ferry/github';
import { expectNoViolations, startGitHubServer, type GitHubServer } from '../../../test/github-server/index.js';
import { parseVote } from './comment-mode.js';
import { parseApprovalRecord } from './record.js';
import { requireApproval, type ApprovalInput, type Clock } from './require-approval.js';

const TOKEN = 'test-token';
const RELEASE = 'ab12cd34ef56'.padEnd(64, '0');
const OTHER = 'ffff0000aaaa'.padEnd(64, '1');
const COMMIT = 'c'.repeat(40);
const RUN_ID = 4242;

const ROOT = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-approval-'));
fs.mkdirSync(path.join(ROOT, 'dags'));

function config(approval: string, freeze = ''): FerryConfig {
  return parseConfig(
    `project: demo
artifacts:
  dags: { path: dags }
environments:
  - name: staging
    targets:
      dags: { kind: local, path: live/staging/dags }
  - name: prod
    requires: staging
    targets:
      dags: { kind: local, path: live/prod/dags }
${approval}${freeze}`,
    path.join(ROOT, 'ferry.yml'),
  );
}

let servers: GitHubServer[] = [];
afterEach(async () => {
  const started = servers;
  servers = [];
  await Promise.all(started.map((gh) => gh.close()));
  for (const gh of started) expectNoViolations(gh);
});

/** A clock that moves only when the code under test sleeps: waits are instant and deterministic. */
function fakeClock(start: string, onSleep?: (now: Date) => void): Clock & { slept: number[] } {
  let now = new Date(start);
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now = new Date(now.getTime() + ms);
      onSleep?.(now);
    },
  };
}

async function setup(clockStart = '2026-11-25T10:00:00Z') {
  let serverNow = new Date(clockStart);
  const gh = await startGitHubServer({ owner: 'acme', repo: 'data', token: TOKEN, now: () => serverNow, tokens: { 'alice-t': 'alice', 'bob-t': 'bob', 'carol-t': 'carol', 'mallory-t': 'mallory', 'octocat-t': 'octocat', 'erin-t': 'erin' } });
  servers.push(gh);
  gh.seedCommit(COMMIT, { author: 'carol' });
  const runner = new MemoryRunner();
  const as = (login: string) => createClient(`${login}-t`, gh.url);
  const say = async (login: string, issue: number, body: string) => as(login).rest.issues.createComment({ owner: 'acme', repo: 'data', issue_number: issue, body });
  const run = (cfg: FerryConfig, extra: Partial<ApprovalInput> = {}) =>
    requireApproval({
      gh: createClient(TOKEN, gh.url),
      repo: { owner: 'acme', repo: 'data' },
      runner,
      config: cfg,
      environment: 'prod',
      releaseId: RELEASE,
      commit: COMMIT,
      wait: 'resume',
      actors: ['octocat'],
      runId: RUN_ID,
      runUrl: `https://github.com/acme/data/actions/runs/${RUN_ID}`,
      clock: fakeClock(serverNow.toISOString()),
      ...extra,
    });
  return { gh, runner, say, run, advance: (ms: number) => (serverNow = new Date(serverNow.getTime() + ms)), setServerNow: (d: Date) => (serverNow = d) };
}

const ENV_MODE = `    approval: { mode: environment, min_approvals: 2, allowed: [alice, bob, carol, octocat, "@acme/data-leads"] }\n`;

describe('environment mode: run reviews', () => {
  it('approves with enough distinct allowed reviewers of this environment, and records them', async () => {
    const { gh, run } = await setup();
    gh.seedRunApprovals(RUN_ID, [
      { environments: 'prod', state: 'approved', user: 'alice' },
      { environments: ['prod'], state: 'approved', user: 'alice' },
      { environments: 'staging', state: 'approved', user: 'dave' },
      { environments: 'prod', state: 'approved', user: 'erin' },
    ]);
    gh.seedTeam('acme', 'data-leads', ['erin']);
    const r = await run(config(ENV_MODE));
    expect(r).toMatchObject({ status: 'approved', approvers: ['alice', 'erin'] });
    expect(r.error).toBeUndefined();
    expect(r.record).toEqual({ mode: 'environment', environment: 'prod', releaseId: RELEASE, approvers: [{ login: 'alice', at: '2026-11-25T10:00:00Z' }, { login: 'erin', at: '2026-11-25T10:00:00Z' }], url: `https://github.com/acme/data/actions/runs/${RUN_ID}` });
    expect(r.summary).toContain('| @alice | 2026-11-25T10:00:00Z |');
  });

  it('refuses self-approval by the release author (commit author) and by the run actor', async () => {
    const { gh, run } = await setup();
    gh.seedRunApprovals(RUN_ID, [
      { environments: 'prod', state: 'approved', user: 'carol' },
      { environments: 'prod', state: 'approved', user: 'octocat' },
    ]);
    const r = await run(config(ENV_MODE));
    expect(r.status).toBe('refused');
    expect(r.error?.code).toBe('FERRY_APPROVAL_SELF');
    expect(r.error?.problems.map((p) => p.code)).toEqual(['FERRY_APPROVAL_SELF', 'FERRY_APPROVAL_SELF', 'FERRY_APPROVAL_TOO_FEW']);
    expect(r.error?.message).toContain('carol is the release\'s author or the run\'s actor');
    expect(r.error?.message).toContain('octocat is');
    // The triggering actor (a re-run by someone else) counts as self as well.
    gh.seedRunApprovals(RUN_ID, [{ environments: 'prod', state: 'approved', user: 'alice' }, { environments: 'prod', state: 'approved', user: 'bob' }]);
    expect((await run(config(ENV_MODE), { actors: ['octocat', 'bob'] })).error?.code).toBe('FERRY_APPROVAL_SELF');
    expect((await run(config(ENV_MODE.replace('min_approvals: 2', 'min_approvals: 2, allow_self_approval: true')), { actors: ['octocat', 'bob'] })).status).toBe('approved');
  });

  it('refuses non-members: a login not in allowed, and a pending or absent team member', async () => {
    const { gh, run } = await setup();
    gh.seedTeam('acme', 'data-leads', [{ login: 'erin', state: 'pending' }]);
    gh.seedRunApprovals(RUN_ID, [
      { environments: 'prod', state: 'approved', user: 'mallory' },
      { environments: 'prod', state: 'approved', user: 'erin' },
      { environments: 'prod', state: 'approved', user: 'alice' },
    ]);
    const r = await run(config(ENV_MODE));
    expect(r.status).toBe('refused');
    expect(r.error?.problems.map((p) => p.code)).toEqual(['FERRY_APPROVAL_NOT_ALLOWED', 'FERRY_APPROVAL_NOT_ALLOWED', 'FERRY_APPROVAL_TOO_FEW']);
    expect(r.error?.message).toContain('mallory may not approve deploys to prod (allowed: @alice, @bob, @carol, @octocat, members of @acme/data-leads)');
    expect(gh.requests.filter((q) => q.operationId === 'teams/get-membership-for-user-in-org').map((q) => q.status)).toEqual([404, 200]);
  });

  it('too few approvers, and none at all (no reviewers on the environment)', async () => {
    const { gh, run } = await setup();
    gh.seedRunApprovals(RUN_ID, [{ environments: 'prod', state: 'approved', user: 'alice' }]);
    const one = await run(config(ENV_MODE));
    expect(one).toMatchObject({ status: 'refused', approvers: ['alice'] });
    expect(one.error?.code).toBe('FERRY_APPROVAL_TOO_FEW');
    expect(one.error?.message).toContain('1 of 2 required distinct approver(s) for prod (alice)');
    gh.seedRunApprovals(RUN_ID, []);
    const none = await run(config(ENV_MODE));
    expect(none.error?.code).toBe('FERRY_APPROVAL_TOO_FEW');
    expect(none.error?.message).toContain('does the job run under `environment: prod` with required reviewers?');
  });

  it('a rejected review denies', async () => {
    const { gh, run } = await setup();
    gh.seedRunApprovals(RUN_ID, [
      { environments: 'prod', state: 'approved', user: 'alice' },
      { environments: 'prod', state: 'rejected', user: 'bob', comment: 'not during the migration' },
    ]);
    const r = await run(config(ENV_MODE));
    expect(r.status).toBe('denied');
    expect(r.error?.code).toBe('FERRY_APPROVAL_DENIED');
    expect(r.error?.message).toContain('bob denied deploying release ab12cd34ef56 to prod: not during the migration');
  });

  it('not required without approval: or requires_approval', async () => {
    const { run } = await setup();
    expect(await run(config(''))).toMatchObject({ status: 'not-required', approvers: [] });
  });
});

const COMMENT_MODE = `    approval: { mode: comment, min_approvals: 2, allowed: [alice, bob, "@acme/data-leads"], timeout: 2h }\n`;
const PLAN = { markdown: '### ferry plan: demo → prod: deploy v1\n\n| kind | target |\n', digest: 'd'.repeat(64), project: 'demo', version: 'v1' };

describe('comment mode', () => {
  it('posts one request (idempotent), ends waiting with a runbook, then approves on /approve by two allowed users', async () => {
    const { gh, run, say, advance } = await setup();
    const first = await run(config(COMMENT_MODE), { plan: PLAN });
    expect(first).toMatchObject({ status: 'waiting', issueNumber: 1 });
    const issue = gh.state.issues[0]!;
    expect(issue.labels.map((l) => l.name)).toEqual(['ferry:approval']);
    expect(issue.body).toContain(`<!-- ferry:approval-request env=prod release=${RELEASE} self=octocat,carol -->`);
    expect(issue.body).toContain('### ferry plan: demo → prod: deploy v1');
    expect(issue.body).toContain('/approve ab12cd34ef56');
    expect(issue.body).toContain('/deny ab12cd34ef56 <reason>');
    expect(first.summary).toContain('**Runbook**: @alice, @bob, members of @acme/data-leads comment on [#1]');
    expect(first.summary).toContain('/approve ab12cd34ef56');

    // A resumed run (issue_comment: the commenter is the actor, not the requester) finds the request and does not post again.
    advance(60_000);
    await say('alice', 1, 'looks good\n/approve ab12cd34ef56');
    const second = await run(config(COMMENT_MODE), { plan: PLAN, actors: [] });
    expect(second).toMatchObject({ status: 'waiting', approvers: ['alice'] });
    expect(gh.state.issues).toHaveLength(1);
    expect(gh.state.comments).toHaveLength(1);

    advance(60_000);
    await say('bob', 1, `/approve ${RELEASE.slice(0, 20)}`);
    const third = await run(config(COMMENT_MODE), { plan: PLAN, actors: [] });
    expect(third).toMatchObject({ status: 'approved', approvers: ['alice', 'bob'], issueNumber: 1 });
    expect(third.record).toMatchObject({ mode: 'comment', environment: 'prod', releaseId: RELEASE, approvers: [{ login: 'alice', at: '2026-11-25T10:01:00Z' }, { login: 'bob', at: '2026-11-25T10:02:00Z' }], planDigest: PLAN.digest, url: expect.stringContaining('/issues/1') });
  });

  it('on a pull request: comments there; self-approval (author, requester), non-members and approvals of another release do not count', async () => {
    const { gh, run, say, runner } = await setup();
    await createClient(TOKEN, gh.url).rest.issues.create({ owner: 'acme', repo: 'data', title: 'PR' });
    gh.seedTeam('acme', 'data-leads', ['erin']);
    await run(config(COMMENT_MODE), { issueNumber: 1 });
    expect(gh.state.comments[0]!.body).toContain('<!-- ferry:approval-request env=prod');
    await say('carol', 1, '/approve ab12cd34ef56'); // the release's author
    await say('octocat', 1, '/approve ab12cd34ef56'); // the run's actor, recorded in the request
    await say('mallory', 1, '/approve ab12cd34ef56'); // not allowed
    await say('erin', 1, `/approve ${OTHER.slice(0, 12)}`); // another release
    await say('alice', 1, '/approve'); // names no release
    const r = await run(config(COMMENT_MODE), { issueNumber: 1, actors: [] });
    expect(r.status).toBe('waiting');
    expect(r.approvers).toEqual([]);
    const warned = runner.logs.filter((l) => l.level === 'warning').map((l) => l.message);
    expect(warned.some((w) => w.startsWith('FERRY_APPROVAL_SELF: carol'))).toBe(true);
    expect(warned.some((w) => w.startsWith('FERRY_APPROVAL_SELF: octocat'))).toBe(true);
    expect(warned.some((w) => w.startsWith('FERRY_APPROVAL_NOT_ALLOWED: mallory'))).toBe(true);
    expect(warned.some((w) => w.startsWith(`FERRY_APPROVAL_OTHER_RELEASE: erin's approval names release ${OTHER.slice(0, 12)}`))).toBe(true);
    expect(warned.some((w) => w.startsWith("FERRY_APPROVAL_OTHER_RELEASE: alice's approval names release (none)"))).toBe(true);
    expect(r.summary).toContain('**Not counted**');
  });

  it('with no `allowed` list, only people with write access count: GitHub is asked per commenter (a read-only org member does not count)', async () => {
    const { gh, run, say, runner } = await setup();
    gh.seedPermission('mallory', 'read'); // e.g. an organisation member: MEMBER association, read access only
    gh.seedPermission('bob', 'maintain');
    const open = `    approval: { mode: comment, min_approvals: 2 }\n`;
    await run(config(open));
    await say('mallory', 1, '/approve ab12cd34ef56');
    await say('alice', 1, '/approve ab12cd34ef56');
    const waiting = await run(config(open), { actors: [] });
    expect(waiting).toMatchObject({ status: 'waiting', approvers: ['alice'] });
    expect(runner.logs.some((l) => l.level === 'warning' && l.message.startsWith('FERRY_APPROVAL_NOT_ALLOWED: mallory may not approve deploys to prod (allowed: anyone with write access to the repository)'))).toBe(true);
    await say('bob', 1, '/approve ab12cd34ef56');
    expect(await run(config(open), { actors: [] })).toMatchObject({ status: 'approved', approvers: ['alice', 'bob'] });
    expect(gh.requests.filter((r) => r.operationId === 'repos/get-collaborator-permission-level').length).toBeGreaterThanOrEqual(3);
  });

  it('/deny by an allowed user denies, with the reason', async () => {
    const { run, say } = await setup();
    await run(config(COMMENT_MODE));
    await say('alice', 1, '/approve ab12cd34ef56');
    await say('bob', 1, '/deny ab12cd34ef56 the backfill would run during month-end close');
    const r = await run(config(COMMENT_MODE), { actors: [] });
    expect(r.status).toBe('denied');
    expect(r.error?.code).toBe('FERRY_APPROVAL_DENIED');
    expect(r.error?.message).toContain('bob denied deploying release ab12cd34ef56 to prod: the backfill would run during month-end close');
  });

  it('poll: waits with conditional requests (304s cost no rate limit) until approved', async () => {
    const { gh, run, say, setServerNow } = await setup();
    let polls = 0;
    const clock = fakeClock('2026-11-25T10:00:00Z', (now) => {
      setServerNow(now);
      polls++;
      if (polls === 3) void say('alice', 1, '/approve ab12cd34ef56');
      if (polls === 5) void say('bob', 1, '/approve ab12cd34ef56');
    });
    const r = await run(config(COMMENT_MODE), { wait: 'poll', pollIntervalMs: 30_000, clock });
    expect(r.status).toBe('approved');
    const reads = gh.requests.filter((q) => q.operationId === 'issues/list-comments');
    expect(reads.map((q) => q.status)).toEqual([200, 304, 304, 200, 304, 200]);
    expect(reads.every((q) => q.query.includes('since='))).toBe(true);
    expect(clock.slept).toEqual([30_000, 30_000, 30_000, 30_000, 30_000]);
  });

  it('poll: times out closed with FERRY_APPROVAL_TIMEOUT, and a resumed run after the deadline too', async () => {
    const { run, say, setServerNow } = await setup();
    const clock = fakeClock('2026-11-25T10:00:00Z', (now) => setServerNow(now));
    const r = await run(config(COMMENT_MODE), { wait: 'poll', pollIntervalMs: 25 * 60_000, clock });
    expect(r.status).toBe('timed-out');
    expect(r.error?.code).toBe('FERRY_APPROVAL_TIMEOUT');
    expect(r.error?.message).toContain('by 2026-11-25T12:00:00Z');
    expect(clock.slept).toEqual([1_500_000, 1_500_000, 1_500_000, 1_500_000, 1_200_000]);
    await say('alice', 1, '/approve ab12cd34ef56');
    const late = await run(config(COMMENT_MODE), { actors: [], clock: fakeClock('2026-11-25T13:00:00Z') });
    expect(late.status).toBe('timed-out');
  });
});

describe('freeze windows in require-approval', () => {
  const FREEZE = `    freeze:\n      - { name: Friday afternoons, cron: "0 16 * * 5", duration: 3h, timezone: Europe/Berlin }\n`;
  it('refuses a frozen environment naming the window and its end; an override asks for approval and is recorded', async () => {
    const { gh, run } = await setup('2026-11-27T15:30:00Z');
    const frozen = await run(config(ENV_MODE, FREEZE));
    expect(frozen.status).toBe('frozen');
    expect(frozen.error?.code).toBe('FERRY_FROZEN');
    expect(frozen.error?.message).toContain("prod is frozen by window 'Friday afternoons' until 2026-11-27T18:00:00Z");
    expect((await run(config(ENV_MODE, FREEZE), { freezeOverride: '   ' })).status).toBe('frozen');

    gh.seedRunApprovals(RUN_ID, [{ environments: 'prod', state: 'approved', user: 'alice' }, { environments: 'prod', state: 'approved', user: 'bob' }]);
    const ok = await run(config(ENV_MODE, FREEZE), { freezeOverride: 'hotfix: orders backlog' });
    expect(ok.status).toBe('approved');
    expect(ok.record?.override).toEqual({ window: 'Friday afternoons', reason: 'hotfix: orders backlog' });
    expect(ok.summary).toContain("**Freeze override** of window 'Friday afternoons': hotfix: orders backlog");
    // Without approval: in ferry.yml, an override still needs an approval (the defaults: one approver).
    expect((await run(config('', FREEZE), { freezeOverride: 'hotfix' })).status).toBe('approved');
  });
});

describe('answers and records', () => {
  it('parses /approve and /deny lines only', () => {
    expect(parseVote('/approve ab12cd34ef56')).toEqual({ decision: 'approve', releaseRef: 'ab12cd34ef56' });
    expect(parseVote('LGTM\n/deny AB12cd34ef56 not now')).toEqual({ decision: 'deny', releaseRef: 'ab12cd34ef56', reason: 'not now' });
    expect(parseVote('please /approve this')).toBeUndefined();
    expect(parseVote('/approved')).toBeUndefined();
  });
  it('rejects a malformed approval input with FERRY_APPROVAL_INVALID', () => {
    expect(() => parseApprovalRecord('{')).toThrow(expect.objectContaining({ code: 'FERRY_APPROVAL_INVALID' }));
    expect(() => parseApprovalRecord('{"mode":"comment","environment":"prod","releaseId":"xyz","approvers":[]}')).toThrow(expect.objectContaining({ code: 'FERRY_APPROVAL_INVALID', message: expect.stringContaining('releaseId') }));
    expect(parseApprovalRecord(JSON.stringify({ mode: 'comment', environment: 'prod', releaseId: RELEASE, approvers: [{ login: 'a', at: 'x' }] }))).toMatchObject({ releaseId: RELEASE });
  });
});
