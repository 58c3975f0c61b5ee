import { expectNoViolations, startGitHubServer, type GitHubServer } from './index.js';
import { OWNER, REPO, TOKEN, octokitFor, repo, sha, statusOf } from './test-helpers.js';

let gh: GitHubServer;

beforeEach(async () => {
  gh = await startGitHubServer({ owner: OWNER, repo: REPO, token: TOKEN });
});
afterEach(async () => {
  await gh.close();
});

describe('git tags and refs', () => {
  it('creates an annotated tag object and a ref to it; the ref name keeps its slashes', async () => {
    const octokit = octokitFor(gh);
    const { data: tag, headers } = await octokit.rest.git.createTag({
      ...repo,
      tag: 'ferry/x/1.0',
      message: 'release 1.0',
      object: sha(1),
      type: 'commit',
      tagger: { name: 'ferry', email: 'ferry@example.com', date: '2024-05-01T12:00:00Z' },
    });
    expect(headers.location).toBe(tag.url);
    expect(tag).toMatchObject({ tag: 'ferry/x/1.0', object: { sha: sha(1), type: 'commit' }, verification: { verified: false } });

    const { data: ref } = await octokit.rest.git.createRef({ ...repo, ref: 'refs/tags/ferry/x/1.0', sha: tag.sha });
    expect(ref).toMatchObject({ ref: 'refs/tags/ferry/x/1.0', object: { type: 'tag', sha: tag.sha } });

    // Octokit percent-encodes the slashes (tags%2Fferry%2Fx%2F1.0) ...
    const { data: got } = await octokit.rest.git.getRef({ ...repo, ref: 'tags/ferry/x/1.0' });
    expect(got).toEqual(ref);
    // ... and a raw path with literal slashes works too (GitHub's x-multi-segment).
    const res = await fetch(`${gh.url}/repos/acme/data/git/ref/tags/ferry/x/1.0`, { headers: { authorization: `token ${TOKEN}` } });
    expect(res.status).toBe(200);

    const { data: tagAgain } = await octokit.rest.git.getTag({ ...repo, tag_sha: tag.sha });
    expect(tagAgain).toEqual(tag);
    expect(gh.state.refs.get('refs/tags/ferry/x/1.0')).toBe(tag.sha);
    expectNoViolations(gh);
  });

  it('lists matching refs, updates and deletes a ref', async () => {
    const octokit = octokitFor(gh);
    for (const version of ['1.0', '1.1']) {
      await octokit.rest.git.createRef({ ...repo, ref: `refs/tags/ferry/x/${version}`, sha: sha(1) });
    }
    await octokit.rest.git.createRef({ ...repo, ref: 'refs/tags/other', sha: sha(1) });
    const { data: matching } = await octokit.rest.git.listMatchingRefs({ ...repo, ref: 'tags/ferry/x/' });
    expect(matching.map((r) => r.ref)).toEqual(['refs/tags/ferry/x/1.0', 'refs/tags/ferry/x/1.1']);

    const { data: updated } = await octokit.rest.git.updateRef({ ...repo, ref: 'tags/ferry/x/1.1', sha: sha(2), force: true });
    expect(updated.object.sha).toBe(sha(2));

    const deleted = await octokit.rest.git.deleteRef({ ...repo, ref: 'tags/ferry/x/1.1' });
    expect(deleted.status).toBe(204);
    expect(await statusOf(octokit.rest.git.getRef({ ...repo, ref: 'tags/ferry/x/1.1' }))).toBe(404);
    expectNoViolations(gh);
  });

  it('answers 422 like GitHub for duplicate refs, unknown objects, bad names and missing refs', async () => {
    const octokit = octokitFor(gh);
    await octokit.rest.git.createRef({ ...repo, ref: 'refs/tags/v1', sha: sha(1) });
    expect(await statusOf(octokit.rest.git.createRef({ ...repo, ref: 'refs/tags/v1', sha: sha(1) }))).toBe(422);
    expect(await statusOf(octokit.rest.git.createRef({ ...repo, ref: 'refs/tags/v2', sha: 'not-a-sha' }))).toBe(422);
    expect(await statusOf(octokit.rest.git.createRef({ ...repo, ref: 'v3', sha: sha(1) }))).toBe(422);
    expect(await statusOf(octokit.rest.git.deleteRef({ ...repo, ref: 'tags/nope' }))).toBe(422);
    expect(await statusOf(octokit.rest.git.updateRef({ ...repo, ref: 'tags/nope', sha: sha(1) }))).toBe(422);
    expect(await statusOf(octokit.rest.git.getTag({ ...repo, tag_sha: sha(9) }))).toBe(404);
    expectNoViolations(gh);
  });

  it('has a default branch to deploy from', async () => {
    const { data } = await octokitFor(gh).rest.git.getRef({ ...repo, ref: 'heads/main' });
    expect(data.object).toMatchObject({ type: 'commit', sha: expect.stringMatching(/^[0-9a-f]{40}$/) });
    expectNoViolations(gh);
  });
});
