import { expectNoViolations, startGitHubServer, type GitHubServer } from './index.js';
import { OWNER, REPO, TOKEN, octokitFor, repo, sha, statusOf } from './test-helpers.js';

let gh: GitHubServer;

beforeEach(async () => {
  gh = await startGitHubServer({ owner: OWNER, repo: REPO, token: TOKEN });
});
afterEach(async () => {
  await gh.close();
});

describe('deployments', () => {
  it('creates a deployment from a branch and reads it back', async () => {
    const octokit = octokitFor(gh);
    const { data, status } = await octokit.rest.repos.createDeployment({
      ...repo,
      ref: 'main',
      environment: 'staging',
      payload: { release: 'r1' },
      auto_merge: false,
      required_contexts: [],
    });
    expect(status).toBe(201);
    if (!('id' in data)) throw new Error('expected a deployment, not an auto-merge message');
    expect(data).toMatchObject({
      ref: 'main',
      task: 'deploy',
      environment: 'staging',
      original_environment: 'staging',
      payload: { release: 'r1' },
      production_environment: false,
      creator: { login: 'github-actions[bot]', type: 'Bot' },
    });
    expect(data.sha).toMatch(/^[0-9a-f]{40}$/);

    const { data: again } = await octokit.rest.repos.getDeployment({ ...repo, deployment_id: data.id });
    expect(again).toEqual(data);
    expect(gh.state.deployments).toHaveLength(1);
    expectNoViolations(gh);
  });

  it('defaults to production and accepts a sha, a JSON-string payload and a null description', async () => {
    const octokit = octokitFor(gh);
    const { data } = await octokit.rest.repos.createDeployment({
      ...repo,
      ref: sha(1),
      payload: '{"a":1}',
      description: null,
    });
    expect(data).toMatchObject({ sha: sha(1), environment: 'production', production_environment: true, payload: { a: 1 }, description: null });
    expectNoViolations(gh);
  });

  it('answers 422 for a ref that does not exist and 404 for an unknown deployment', async () => {
    const octokit = octokitFor(gh);
    expect(await statusOf(octokit.rest.repos.createDeployment({ ...repo, ref: 'no-such-branch' }))).toBe(422);
    expect(await statusOf(octokit.rest.repos.getDeployment({ ...repo, deployment_id: 42 }))).toBe(404);
    expectNoViolations(gh);
  });

  it('lists newest first and filters by environment, sha, ref and task', async () => {
    const octokit = octokitFor(gh);
    for (const [environment, n] of [['staging', 1], ['production', 2], ['staging', 3]] as const) {
      await octokit.rest.repos.createDeployment({ ...repo, ref: sha(n), environment });
    }
    const { data: all } = await octokit.rest.repos.listDeployments(repo);
    expect(all.map((d) => d.sha)).toEqual([sha(3), sha(2), sha(1)]);
    const { data: staging } = await octokit.rest.repos.listDeployments({ ...repo, environment: 'staging' });
    expect(staging.map((d) => d.sha)).toEqual([sha(3), sha(1)]);
    const { data: bySha } = await octokit.rest.repos.listDeployments({ ...repo, sha: sha(2), task: 'deploy' });
    expect(bySha).toHaveLength(1);
    const { data: byRef } = await octokit.rest.repos.listDeployments({ ...repo, ref: 'main' });
    expect(byRef).toHaveLength(0);
    expectNoViolations(gh);
  });

  it('pages through 150 deployments with Link headers', async () => {
    // Seeded directly: 150 POSTs would only slow the test down.
    for (let n = 1; n <= 150; n++) gh.seedRunDeployment({ environment: 'staging', sha: sha(n), runId: n });
    const octokit = octokitFor(gh);

    const first = await octokit.rest.repos.listDeployments({ ...repo, per_page: 100 });
    expect(first.data).toHaveLength(100);
    expect(first.headers.link).toContain('rel="next"');
    expect(first.headers.link).toMatch(/page=2>; rel="last"/);
    const second = await octokit.rest.repos.listDeployments({ ...repo, per_page: 100, page: 2 });
    expect(second.data).toHaveLength(50);
    expect(second.headers.link).not.toContain('rel="next"');
    expect(second.headers.link).toContain('rel="prev"');

    // Default page size is 30; per_page above 100 is capped at 100.
    expect((await octokit.rest.repos.listDeployments(repo)).data).toHaveLength(30);
    expect((await octokit.rest.repos.listDeployments({ ...repo, per_page: 500 })).data).toHaveLength(100);

    gh.requests.length = 0;
    const all = await octokit.paginate(octokit.rest.repos.listDeployments, { ...repo, per_page: 30 });
    expect(all).toHaveLength(150);
    expect(new Set(all.map((d) => d.id)).size).toBe(150);
    expect(all[0]?.sha).toBe(sha(150)); // newest first across pages
    expect(gh.requests.filter((r) => r.operationId === 'repos/list-deployments')).toHaveLength(5);
    expectNoViolations(gh);
  });
});

describe('deployment statuses', () => {
  async function deploy(environment: string, n: number): Promise<number> {
    const { data } = await octokitFor(gh).rest.repos.createDeployment({ ...repo, ref: sha(n), environment });
    if (!('id' in data)) throw new Error('no deployment');
    return data.id;
  }

  it('creates, lists (newest first) and gets statuses; log_url also sets target_url', async () => {
    const octokit = octokitFor(gh);
    const id = await deploy('staging', 1);
    const { data: running, headers } = await octokit.rest.repos.createDeploymentStatus({
      ...repo,
      deployment_id: id,
      state: 'in_progress',
      log_url: 'https://ci.example/run/1',
    });
    expect(headers.location).toBe(running.url);
    expect(running).toMatchObject({ state: 'in_progress', target_url: 'https://ci.example/run/1', environment: 'staging', environment_url: '' });
    await octokit.rest.repos.createDeploymentStatus({
      ...repo,
      deployment_id: id,
      state: 'success',
      environment_url: 'https://staging.example',
      description: 'deployed',
    });
    const { data: statuses } = await octokit.rest.repos.listDeploymentStatuses({ ...repo, deployment_id: id });
    expect(statuses.map((s) => s.state)).toEqual(['success', 'in_progress']);
    const { data: one } = await octokit.rest.repos.getDeploymentStatus({ ...repo, deployment_id: id, status_id: running.id });
    expect(one.id).toBe(running.id);
    expect(await statusOf(octokit.rest.repos.getDeploymentStatus({ ...repo, deployment_id: id, status_id: 1 }))).toBe(404);
    expectNoViolations(gh);
  });

  it('marks prior successful deployments of the same environment inactive (auto_inactive)', async () => {
    const octokit = octokitFor(gh);
    const first = await deploy('production', 1);
    const other = await deploy('staging', 2);
    const failed = await deploy('production', 3);
    for (const id of [first, other]) await octokit.rest.repos.createDeploymentStatus({ ...repo, deployment_id: id, state: 'success' });
    await octokit.rest.repos.createDeploymentStatus({ ...repo, deployment_id: failed, state: 'failure' });

    const second = await deploy('production', 4);
    await octokit.rest.repos.createDeploymentStatus({ ...repo, deployment_id: second, state: 'success' });
    const latest = (id: number) => gh.state.deployment(id)?.statuses.at(-1)?.state;
    expect(latest(first)).toBe('inactive'); // prior success in the same environment
    expect(latest(failed)).toBe('failure'); // only successful ones are deactivated
    expect(latest(other)).toBe('success'); // other environment untouched
    expect(latest(second)).toBe('success');

    // auto_inactive: false leaves the previous one active.
    const third = await deploy('production', 5);
    await octokit.rest.repos.createDeploymentStatus({ ...repo, deployment_id: third, state: 'success', auto_inactive: false });
    expect(latest(second)).toBe('success');
    expectNoViolations(gh);
  });

  it('rejects descriptions over 140 characters with 422', async () => {
    const id = await deploy('staging', 1);
    const status = await statusOf(
      octokitFor(gh).rest.repos.createDeploymentStatus({ ...repo, deployment_id: id, state: 'success', description: 'x'.repeat(141) }),
    );
    expect(status).toBe(422);
    expectNoViolations(gh);
  });
});

describe('seedRunDeployment', () => {
  it('looks like the deployment GitHub Actions creates for a job with environment:', async () => {
    const seeded = gh.seedRunDeployment({ environment: 'production', sha: sha(7), runId: 123 });
    const octokit = octokitFor(gh);
    const { data } = await octokit.rest.repos.getDeployment({ ...repo, deployment_id: seeded.id });
    expect(data).toMatchObject({
      sha: sha(7),
      ref: 'main',
      task: 'deploy',
      payload: {},
      environment: 'production',
      creator: { login: 'github-actions[bot]' },
      performed_via_github_app: { slug: 'github-actions' },
    });
    const { data: statuses } = await octokit.rest.repos.listDeploymentStatuses({ ...repo, deployment_id: seeded.id });
    expect(statuses).toHaveLength(1);
    expect(statuses[0]).toMatchObject({
      state: 'in_progress',
      target_url: 'https://github.com/acme/data/actions/runs/123/job/1',
      log_url: 'https://github.com/acme/data/actions/runs/123/job/1',
    });
    const { data: found } = await octokit.rest.repos.listDeployments({ ...repo, environment: 'production', sha: sha(7) });
    expect(found.map((d) => d.id)).toEqual([seeded.id]);
    expectNoViolations(gh);
  });
});
