import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { expectNoViolations, startGitHubServer, type GitHubServer } from '../github-server/index.js';
import { octokitFor } from '../github-server/test-helpers.js';
import { OWNER, REPO, TOKEN, runAction, tempDirs, type RunResult } from './run-action.js';
import { exampleWorkspace, git, SECRETS } from './workspace.js';

// Each scenario runs several bundles in a row.
jest.setTimeout(120_000);

let gh: GitHubServer;
beforeEach(async () => {
  gh = await startGitHubServer({ owner: OWNER, repo: REPO, token: TOKEN, tokens: { 'alice-t': 'alice', 'bob-t': 'bob', 'octocat-t': 'octocat', 'mallory-t': 'mallory' } });
});
afterEach(async () => {
  await gh.close();
  expectNoViolations(gh);
});
afterAll(() => {
  for (const d of tempDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const errors = (r: RunResult) => r.commands.filter((c) => c.command === 'error');
function expectFailure(r: RunResult, code: string): void {
  expect(r.code).toBe(1);
  expect(errors(r).some((e) => e.properties.title === code)).toBe(true);
  expect(r.stdout + r.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
}

/** The example workspace with `approval:` / `freeze:` added to prod. */
function workspace(prodExtra: string): string {
  const cwd = exampleWorkspace();
  const file = path.join(cwd, 'ferry.yml');
  const text = fs.readFileSync(file, 'utf8').replace('  - name: prod\n    requires: staging\n', `  - name: prod\n    requires: staging\n${prodExtra}`);
  fs.writeFileSync(file, text);
  git(cwd, 'commit', '-q', '-am', 'gates');
  return cwd;
}

const action = (name: string, cwd: string, inputs: Record<string, string>, opts: { env?: Record<string, string>; event?: Record<string, unknown> } = {}) => runAction(name, { cwd, apiUrl: gh.url, inputs, ...opts });
const deploy = (cwd: string, environment: string, inputs: Record<string, string> = {}) => action('deploy-env', cwd, { environment, secrets: JSON.stringify(SECRETS), ...inputs });
const say = (login: string, issue: number, body: string) => octokitFor(gh, `${login}-t`).rest.issues.createComment({ owner: OWNER, repo: REPO, issue_number: issue, body });

/** Builds a release, deploys it to staging and marks it verified there (what smoke-test records). */
async function verifiedInStaging(cwd: string, verify = true): Promise<{ releasePath: string; releaseId: string }> {
  const b = await action('build-artifacts', cwd, {});
  expect(b.code).toBe(0);
  const staging = await deploy(cwd, 'staging', { 'release-path': b.outputs['release-path']! });
  expect(staging.code).toBe(0);
  if (verify) {
    await octokitFor(gh).rest.repos.createDeploymentStatus({ owner: OWNER, repo: REPO, deployment_id: Number(staging.outputs['deployment-id']), state: 'success', description: '[ferry:verified] smoke tests passed' });
  }
  return { releasePath: b.outputs['release-path']!, releaseId: b.outputs['release-id']! };
}

describe('require-approval (committed bundle)', () => {
  it('comment mode, resumable: posts the plan, ends waiting, a run on issue_comment approves, deploy-env records the approval', async () => {
    const cwd = workspace('    approval: { mode: comment, min_approvals: 2, allowed: [alice, bob] }\n');
    const { releasePath, releaseId } = await verifiedInStaging(cwd);
    const dry = await deploy(cwd, 'prod', { 'release-path': releasePath, 'dry-run': 'true' });
    expect(dry.outputs.status).toBe('planned');

    const inputs = { environment: 'prod', 'release-id': releaseId.slice(0, 12), 'plan-path': dry.outputs['plan-path']!, mode: 'comment', wait: 'resume' };
    const first = await action('require-approval', cwd, inputs);
    expect(first.code).toBe(0);
    expect(first.outputs).toEqual({ status: 'waiting', approved: 'false', approvers: '', approval: '', 'issue-number': '1' });
    const issue = gh.state.issues[0]!;
    expect(issue.body).toContain(`<!-- ferry:approval-request env=prod release=${releaseId}`);
    expect(issue.body).toContain('### ferry plan: data-platform → prod: deploy');
    expect(issue.body).toContain(`/approve ${releaseId.slice(0, 12)}`);
    expect(first.summary).toContain('**Runbook**: @alice, @bob comment on [#1]');

    await say('alice', 1, `/approve ${releaseId.slice(0, 12)}`);
    await say('octocat', 1, `/approve ${releaseId.slice(0, 12)}`); // the requester: not counted
    const resumedEnv = { GITHUB_EVENT_NAME: 'issue_comment', GITHUB_ACTOR: 'alice' };
    const event = { action: 'created', issue: { number: 1 }, comment: { id: 1, body: '/approve' } };
    const second = await action('require-approval', cwd, inputs, { env: resumedEnv, event });
    expect(second.code).toBe(0);
    expect(second.outputs).toMatchObject({ status: 'waiting', approvers: 'alice', 'issue-number': '1' });
    expect(second.commands.some((c) => c.command === 'warning' && c.message.includes('FERRY_APPROVAL_SELF: octocat'))).toBe(true);

    await say('bob', 1, `/approve ${releaseId.slice(0, 16)}`);
    const third = await action('require-approval', cwd, inputs, { env: { ...resumedEnv, GITHUB_ACTOR: 'bob' }, event });
    expect(third.code).toBe(0);
    expect(third.outputs).toMatchObject({ status: 'approved', approved: 'true', approvers: 'alice,bob' });
    const approval = JSON.parse(third.outputs.approval!);
    expect(approval).toMatchObject({ mode: 'comment', environment: 'prod', releaseId, approvers: [{ login: 'alice' }, { login: 'bob' }], planDigest: dry.outputs['plan-digest'] });
    expect(third.summary).toContain('| @alice |');
    expect(gh.state.issues).toHaveLength(1);

    const prod = await deploy(cwd, 'prod', { 'release-path': releasePath, approval: third.outputs.approval! });
    expect(prod.code).toBe(0);
    expect(prod.outputs.status).toBe('deployed');
    const d = gh.state.deployments.filter((x) => x.environment === 'prod');
    expect(d).toHaveLength(1);
    expect(d[0]!.payload).toMatchObject({ ferry: { releaseId, approval } });
    expect(prod.summary).toContain('Approved by @alice (');
  });

  it('environment mode refusals: self-approval by the actor, a non-member of the team, too few approvers; a rejection denies', async () => {
    const cwd = workspace('    approval: { mode: environment, min_approvals: 2, allowed: [alice, octocat, "@acme/leads"] }\n');
    const { releaseId } = await verifiedInStaging(cwd);
    const run = () => action('require-approval', cwd, { environment: 'prod', 'release-id': releaseId });
    gh.seedTeam('acme', 'leads', ['bob']);

    gh.seedRunApprovals(1000, [{ environments: 'prod', state: 'approved', user: 'alice' }, { environments: 'prod', state: 'approved', user: 'octocat' }]);
    const self = await run();
    expectFailure(self, 'FERRY_APPROVAL_SELF');
    expect(self.outputs).toMatchObject({ status: 'refused', approved: 'false', approvers: 'alice', approval: '' });
    expect(errors(self).some((e) => e.message.includes('octocat is the release\'s author or the run\'s actor'))).toBe(true);

    gh.seedRunApprovals(1000, [{ environments: 'prod', state: 'approved', user: 'alice' }, { environments: 'prod', state: 'approved', user: 'mallory' }]);
    const member = await run();
    expectFailure(member, 'FERRY_APPROVAL_NOT_ALLOWED');
    expect(errors(member).some((e) => e.message.includes('mallory may not approve deploys to prod'))).toBe(true);

    gh.seedRunApprovals(1000, [{ environments: 'prod', state: 'approved', user: 'alice' }]);
    const few = await run();
    expectFailure(few, 'FERRY_APPROVAL_TOO_FEW');

    gh.seedRunApprovals(1000, [{ environments: 'prod', state: 'approved', user: 'alice' }, { environments: 'prod', state: 'approved', user: 'bob' }]);
    const ok = await run();
    expect(ok.code).toBe(0);
    expect(ok.outputs).toMatchObject({ status: 'approved', approvers: 'alice,bob' });

    gh.seedRunApprovals(1000, [{ environments: 'prod', state: 'rejected', user: 'bob', comment: 'not today' }]);
    const denied = await run();
    expectFailure(denied, 'FERRY_APPROVAL_DENIED');
    expect(denied.outputs.status).toBe('denied');
  });

  it('comment mode: an approval naming another release does not count, and the bounded wait times out closed', async () => {
    const cwd = workspace('    approval: { mode: comment, min_approvals: 1, allowed: [alice], timeout: 3s }\n');
    const { releaseId } = await verifiedInStaging(cwd);
    // The request exists already (an earlier run), answered for another release.
    const posted = await action('require-approval', cwd, { environment: 'prod', 'release-id': releaseId, wait: 'resume' });
    expect(posted.outputs.status).toBe('waiting');
    await say('alice', 1, '/approve 0123456789abcdef');
    const r = await action('require-approval', cwd, { environment: 'prod', 'release-id': releaseId, wait: 'poll', 'poll-interval': '500ms' });
    expectFailure(r, 'FERRY_APPROVAL_TIMEOUT');
    expect(r.outputs).toMatchObject({ status: 'timed-out', approved: 'false', approval: '' });
    expect(errors(r).some((e) => e.properties.title === 'FERRY_APPROVAL_OTHER_RELEASE' && e.message.includes("alice's approval names release 0123456789ab"))).toBe(true);
    // Polling re-reads with If-None-Match: the unchanged pages are 304s.
    expect(gh.requests.filter((q) => q.operationId === 'issues/list-comments' && q.status === 304).length).toBeGreaterThan(0);
  });

  it('refuses a release not verified in staging before asking anyone (promotion rule)', async () => {
    const cwd = workspace('    approval: { mode: comment }\n');
    const { releaseId } = await verifiedInStaging(cwd, false);
    const r = await action('require-approval', cwd, { environment: 'prod', 'release-id': releaseId, wait: 'resume' });
    expectFailure(r, 'FERRY_PROMOTION_UNVERIFIED');
    expect(r.outputs.status).toBe('refused');
    expect(gh.state.issues).toEqual([]);
  });

  it('freeze: deploy-env and require-approval refuse; an approved override deploys and is recorded; an override without a reason is refused', async () => {
    const cwd = workspace('    approval: { mode: environment, allowed: [alice] }\n    freeze:\n      - { name: year-end, from: "2000-01-01T00:00:00Z", to: "2999-01-01T00:00:00Z" }\n');
    const { releasePath, releaseId } = await verifiedInStaging(cwd);

    const blocked = await deploy(cwd, 'prod', { 'release-path': releasePath });
    expectFailure(blocked, 'FERRY_FROZEN');
    expect(blocked.outputs.status).toBe('frozen');
    expect(errors(blocked).some((e) => e.message.includes("prod is frozen by window 'year-end' until 2999-01-01T00:00:00Z"))).toBe(true);
    expect(blocked.summary).toContain("prod is frozen by window 'year-end'");

    const asked = await action('require-approval', cwd, { environment: 'prod', 'release-id': releaseId });
    expectFailure(asked, 'FERRY_FROZEN');
    expect(asked.outputs.status).toBe('frozen');

    gh.seedRunApprovals(1000, [{ environments: 'prod', state: 'approved', user: 'alice' }]);
    const override = await action('require-approval', cwd, { environment: 'prod', 'release-id': releaseId, 'freeze-override': 'hotfix: orders backlog' });
    expect(override.code).toBe(0);
    const approval = JSON.parse(override.outputs.approval!);
    expect(approval).toMatchObject({ mode: 'environment', releaseId, approvers: [{ login: 'alice' }], override: { window: 'year-end', reason: 'hotfix: orders backlog' } });

    const noReason = await deploy(cwd, 'prod', { 'release-path': releasePath, approval: JSON.stringify({ ...approval, override: { window: 'year-end', reason: '' } }) });
    expectFailure(noReason, 'FERRY_FROZEN');
    const malformed = await deploy(cwd, 'prod', { 'release-path': releasePath, approval: '{"mode":"comment"' });
    expectFailure(malformed, 'FERRY_APPROVAL_INVALID');
    expect(gh.state.deployments.filter((d) => d.environment === 'prod')).toEqual([]);

    const through = await deploy(cwd, 'prod', { 'release-path': releasePath, approval: override.outputs.approval! });
    expect(through.code).toBe(0);
    expect(through.outputs.status).toBe('deployed');
    const [d] = gh.state.deployments.filter((x) => x.environment === 'prod');
    expect(d!.payload).toMatchObject({ ferry: { approval: { override: { window: 'year-end', reason: 'hotfix: orders backlog' }, approvers: [{ login: 'alice' }] } } });
  });
});
