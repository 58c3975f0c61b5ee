/** Cross-cutting behaviour: auth, unknown routes, rate-limit headers, the repository, run approvals. */
import { expectNoViolations, startGitHubServer, type GitHubServer } from './index.js';
import { OWNER, REPO, TOKEN, octokitFor, repo, statusOf } from './test-helpers.js';

let gh: GitHubServer;

beforeEach(async () => {
  gh = await startGitHubServer({ owner: OWNER, repo: REPO, token: TOKEN });
});
afterEach(async () => {
  await gh.close();
});

describe('server', () => {
  it('serves the repository with rate-limit headers', async () => {
    const { data, headers } = await octokitFor(gh).rest.repos.get(repo);
    expect(data).toMatchObject({ full_name: 'acme/data', default_branch: 'main', owner: { login: 'acme' }, permissions: { push: true } });
    expect(headers['x-ratelimit-limit']).toBe('5000');
    expect(headers['x-ratelimit-remaining']).toBe('4999');
    expect(headers['x-ratelimit-resource']).toBe('core');
    expect(Number(headers['x-ratelimit-reset'])).toBeGreaterThan(Date.now() / 1000);
    expectNoViolations(gh);
  });

  it('answers 401 Bad credentials for a wrong or missing token', async () => {
    expect(await statusOf(octokitFor(gh, 'wrong').rest.repos.get(repo))).toBe(401);
    const res = await fetch(`${gh.url}/repos/acme/data`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ message: 'Bad credentials' });
    expect(gh.requests.map((r) => r.status)).toEqual([401, 401]);
    expectNoViolations(gh);
  });

  it('answers 404 for another repository, an unknown route (a violation) and accepts Bearer tokens', async () => {
    const octokit = octokitFor(gh);
    expect(await statusOf(octokit.rest.repos.get({ owner: 'acme', repo: 'other' }))).toBe(404);
    expectNoViolations(gh);
    const res = await fetch(`${gh.url}/definitely/not/github`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' });
    expect(gh.violations.map((v) => v.where)).toEqual(['route']);
  });

  it('logs every request', async () => {
    const octokit = octokitFor(gh);
    await octokit.rest.repos.get(repo);
    await octokit.rest.repos.listDeployments({ ...repo, environment: 'staging' });
    expect(gh.requests).toEqual([
      { method: 'GET', path: '/repos/acme/data', query: '', status: 200, operationId: 'repos/get' },
      { method: 'GET', path: '/repos/acme/data/deployments', query: '?environment=staging', status: 200, operationId: 'repos/list-deployments' },
    ]);
  });
});

describe('run approvals', () => {
  it('returns the seeded reviews of a run, and none for other runs', async () => {
    gh.seedRunApprovals(77, [
      { environments: ['production'], state: 'approved', user: 'alice', comment: 'ship it' },
      { environments: 'staging', state: 'rejected', user: 'bob' },
    ]);
    const octokit = octokitFor(gh);
    const { data } = await octokit.rest.actions.getReviewsForRun({ ...repo, run_id: 77 });
    expect(data).toMatchObject([
      { state: 'approved', user: { login: 'alice', type: 'User' }, comment: 'ship it', environments: [{ name: 'production' }] },
      { state: 'rejected', user: { login: 'bob' }, comment: '', environments: [{ name: 'staging' }] },
    ]);
    expect((await octokit.rest.actions.getReviewsForRun({ ...repo, run_id: 78 })).data).toEqual([]);
    expectNoViolations(gh);
  });
});
