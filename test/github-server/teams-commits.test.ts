import { expectNoViolations, startGitHubServer, type GitHubServer } from './index.js';
import { OWNER, REPO, TOKEN, octokitFor, repo, sha, statusOf } from './test-helpers.js';

let gh: GitHubServer;

beforeEach(async () => {
  gh = await startGitHubServer({ owner: OWNER, repo: REPO, token: TOKEN });
});
afterEach(async () => {
  await gh.close();
});

describe('team memberships', () => {
  it('answers active and pending members, and 404 for anyone else or an unknown team', async () => {
    gh.seedTeam('acme', 'data-leads', ['alice', { login: 'bob', state: 'pending', role: 'maintainer' }]);
    const octokit = octokitFor(gh);
    const { data: alice } = await octokit.rest.teams.getMembershipForUserInOrg({ org: 'acme', team_slug: 'data-leads', username: 'alice' });
    expect(alice).toMatchObject({ role: 'member', state: 'active' });
    const { data: bob } = await octokit.rest.teams.getMembershipForUserInOrg({ org: 'acme', team_slug: 'data-leads', username: 'Bob' });
    expect(bob).toMatchObject({ role: 'maintainer', state: 'pending' });
    expect(await statusOf(octokit.rest.teams.getMembershipForUserInOrg({ org: 'acme', team_slug: 'data-leads', username: 'mallory' }))).toBe(404);
    expect(await statusOf(octokit.rest.teams.getMembershipForUserInOrg({ org: 'acme', team_slug: 'nobody', username: 'alice' }))).toBe(404);
    expectNoViolations(gh);
  });
});

describe('commits', () => {
  it('returns a seeded commit with its GitHub author, and an unlinked author as null', async () => {
    gh.seedCommit(sha(1), { author: 'carol', message: 'add orders model' });
    const octokit = octokitFor(gh);
    const { data } = await octokit.rest.repos.getCommit({ ...repo, ref: sha(1) });
    expect(data).toMatchObject({ sha: sha(1), author: { login: 'carol' }, commit: { message: 'add orders model' } });
    const { data: other } = await octokit.rest.repos.getCommit({ ...repo, ref: sha(2) });
    expect(other.author).toBeNull();
    expect(await statusOf(octokit.rest.repos.getCommit({ ...repo, ref: 'no-such-branch' }))).toBe(422);
    expectNoViolations(gh);
  });
});
