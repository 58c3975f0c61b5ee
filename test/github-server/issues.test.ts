import { expectNoViolations, startGitHubServer, type GitHubServer } from './index.js';
import { OWNER, REPO, TOKEN, octokitFor, repo, statusOf } from './test-helpers.js';

let gh: GitHubServer;
let clock: Date;

beforeEach(async () => {
  clock = new Date('2024-05-01T12:00:00Z');
  gh = await startGitHubServer({ owner: OWNER, repo: REPO, token: TOKEN, tokens: { 'alice-token': 'alice' }, now: () => clock });
});
afterEach(async () => {
  await gh.close();
});

function tick(seconds: number): void {
  clock = new Date(clock.getTime() + seconds * 1000);
}

describe('issues', () => {
  it('creates, gets, lists (with filters) and closes issues', async () => {
    const octokit = octokitFor(gh);
    const { data: approval } = await octokit.rest.issues.create({
      ...repo,
      title: 'Approve production deploy',
      body: 'release r1',
      labels: ['ferry:approval'],
      assignees: ['alice'],
    });
    expect(approval).toMatchObject({ number: 1, state: 'open', labels: [{ name: 'ferry:approval' }], assignee: { login: 'alice' } });
    await octokit.rest.issues.create({ ...repo, title: 'other' });

    expect((await octokit.rest.issues.get({ ...repo, issue_number: 1 })).data.title).toBe('Approve production deploy');
    const { data: labelled } = await octokit.rest.issues.listForRepo({ ...repo, labels: 'ferry:approval' });
    expect(labelled.map((i) => i.number)).toEqual([1]);
    const { data: open } = await octokit.rest.issues.listForRepo(repo);
    expect(open.map((i) => i.number)).toEqual([2, 1]);

    const { data: closed } = await octokit.rest.issues.update({ ...repo, issue_number: 1, state: 'closed' });
    expect(closed).toMatchObject({ state: 'closed', state_reason: 'completed', closed_by: { login: 'github-actions[bot]' } });
    expect((await octokit.rest.issues.listForRepo(repo)).data.map((i) => i.number)).toEqual([2]);
    expect((await octokit.rest.issues.listForRepo({ ...repo, state: 'all', direction: 'asc' })).data.map((i) => i.number)).toEqual([1, 2]);
    expect(await statusOf(octokit.rest.issues.get({ ...repo, issue_number: 99 }))).toBe(404);
    expectNoViolations(gh);
  });
});

describe('issue comments', () => {
  it('creates, lists, updates comments, as whoever the token belongs to', async () => {
    const octokit = octokitFor(gh);
    await octokit.rest.issues.create({ ...repo, title: 'approval' });
    const { data: bot } = await octokit.rest.issues.createComment({ ...repo, issue_number: 1, body: 'waiting for approval' });
    tick(10);
    const { data: human } = await octokitFor(gh, 'alice-token').rest.issues.createComment({ ...repo, issue_number: 1, body: '/approve' });
    expect(human.user?.login).toBe('alice');
    expect(human.html_url).toBe(`https://github.com/acme/data/issues/1#issuecomment-${human.id}`);

    const { data: comments } = await octokit.rest.issues.listComments({ ...repo, issue_number: 1 });
    expect(comments.map((c) => c.body)).toEqual(['waiting for approval', '/approve']);
    expect((await octokit.rest.issues.get({ ...repo, issue_number: 1 })).data.comments).toBe(2);

    tick(10);
    const { data: edited } = await octokit.rest.issues.updateComment({ ...repo, comment_id: bot.id, body: 'approved by alice' });
    expect(edited.updated_at).toBe('2024-05-01T12:00:20Z');
    expect(await statusOf(octokit.rest.issues.createComment({ ...repo, issue_number: 42, body: 'x' }))).toBe(404);
    expectNoViolations(gh);
  });

  it('filters by since and paginates', async () => {
    const octokit = octokitFor(gh);
    await octokit.rest.issues.create({ ...repo, title: 'many comments' });
    for (let n = 1; n <= 45; n++) {
      await octokit.rest.issues.createComment({ ...repo, issue_number: 1, body: `comment ${n}` });
      tick(60);
    }
    const { data: recent } = await octokit.rest.issues.listComments({ ...repo, issue_number: 1, since: '2024-05-01T12:40:00Z' });
    expect(recent.map((c) => c.body)).toEqual(['comment 41', 'comment 42', 'comment 43', 'comment 44', 'comment 45']);
    const all = await octokit.paginate(octokit.rest.issues.listComments, { ...repo, issue_number: 1, per_page: 20 });
    expect(all).toHaveLength(45);
    expectNoViolations(gh);
  });

  it('answers 304 Not Modified for a matching If-None-Match, until something changes', async () => {
    const octokit = octokitFor(gh);
    await octokit.rest.issues.create({ ...repo, title: 'polled' });
    const { data: comment } = await octokit.rest.issues.createComment({ ...repo, issue_number: 1, body: 'first' });

    const first = await octokit.rest.issues.listComments({ ...repo, issue_number: 1 });
    const etag = first.headers.etag;
    expect(etag).toMatch(/^W\/"[0-9a-f]+"$/);
    const remaining = Number(first.headers['x-ratelimit-remaining']);

    // Octokit surfaces a 304 as a RequestError with status 304.
    const notModified = octokit.rest.issues.listComments({ ...repo, issue_number: 1, headers: { 'if-none-match': etag } });
    expect(await statusOf(notModified)).toBe(304);
    // Conditional requests answered with 304 do not count against the rate limit.
    const again = await octokit.rest.issues.listComments({ ...repo, issue_number: 1 });
    expect(Number(again.headers['x-ratelimit-remaining'])).toBe(remaining - 1);

    tick(5);
    await octokit.rest.issues.updateComment({ ...repo, comment_id: comment.id, body: 'edited' });
    const changed = await octokit.rest.issues.listComments({ ...repo, issue_number: 1, headers: { 'if-none-match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.etag).not.toBe(etag);
    expect(changed.data[0]?.body).toBe('edited');
    expect(gh.requests.filter((r) => r.status === 304)).toHaveLength(1);
    expectNoViolations(gh);
  });
});
