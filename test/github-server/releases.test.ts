import { expectNoViolations, startGitHubServer, type GitHubServer } from './index.js';
import { OWNER, REPO, TOKEN, octokitFor, repo, sha, statusOf } from './test-helpers.js';

let gh: GitHubServer;

beforeEach(async () => {
  gh = await startGitHubServer({ owner: OWNER, repo: REPO, token: TOKEN });
});
afterEach(async () => {
  await gh.close();
});

const bytes = Buffer.from([0, 1, 2, 250, 255, ...Buffer.from('ferry bundle')]);

describe('releases', () => {
  it('creates a release (and its tag), finds it by tag name with slashes, by id and in the list', async () => {
    const octokit = octokitFor(gh);
    const { data: release, status } = await octokit.rest.repos.createRelease({
      ...repo,
      tag_name: 'ferry/x/1.0',
      target_commitish: sha(3),
      name: 'x 1.0',
      body: 'notes',
    });
    expect(status).toBe(201);
    expect(release).toMatchObject({ tag_name: 'ferry/x/1.0', draft: false, author: { login: 'github-actions[bot]' }, assets: [] });
    expect(release.upload_url).toBe(`${gh.url}/repos/acme/data/releases/${release.id}/assets{?name,label}`);
    expect(gh.state.refs.get('refs/tags/ferry/x/1.0')).toBe(sha(3));

    expect((await octokit.rest.repos.getReleaseByTag({ ...repo, tag: 'ferry/x/1.0' })).data.id).toBe(release.id);
    expect((await octokit.rest.repos.getRelease({ ...repo, release_id: release.id })).data.name).toBe('x 1.0');
    expect((await octokit.rest.repos.getLatestRelease(repo)).data.id).toBe(release.id);
    expect(await statusOf(octokit.rest.repos.createRelease({ ...repo, tag_name: 'ferry/x/1.0' }))).toBe(422);
    expectNoViolations(gh);
  });

  it('lists releases newest first with pagination', async () => {
    const octokit = octokitFor(gh);
    for (let n = 1; n <= 35; n++) await octokit.rest.repos.createRelease({ ...repo, tag_name: `v${n}` });
    const page = await octokit.rest.repos.listReleases(repo);
    expect(page.data).toHaveLength(30);
    expect(page.data[0]?.tag_name).toBe('v35');
    expect(page.headers.link).toContain('rel="next"');
    const all = await octokit.paginate(octokit.rest.repos.listReleases, repo);
    expect(all.map((r) => r.tag_name).at(-1)).toBe('v1');
    expectNoViolations(gh);
  });

  it('keeps drafts untagged and invisible by tag until published', async () => {
    const octokit = octokitFor(gh);
    const { data: draft } = await octokit.rest.repos.createRelease({ ...repo, tag_name: 'v2', draft: true });
    expect(draft).toMatchObject({ draft: true, published_at: null, tarball_url: null });
    expect(gh.state.refs.has('refs/tags/v2')).toBe(false);
    expect(await statusOf(octokit.rest.repos.getReleaseByTag({ ...repo, tag: 'v2' }))).toBe(404);

    const { data: published } = await octokit.rest.repos.updateRelease({ ...repo, release_id: draft.id, draft: false });
    expect(published.published_at).not.toBeNull();
    expect(gh.state.refs.has('refs/tags/v2')).toBe(true);
    expect((await octokit.rest.repos.getReleaseByTag({ ...repo, tag: 'v2' })).data.id).toBe(draft.id);
    expectNoViolations(gh);
  });
});

describe('release assets', () => {
  it('uploads through upload_url and downloads the same bytes back', async () => {
    const octokit = octokitFor(gh);
    const { data: release } = await octokit.rest.repos.createRelease({ ...repo, tag_name: 'ferry/x/1.0' });

    // Octokit's uploadReleaseAsset defaults to https://uploads.github.com; pass `url` (the
    // release's upload_url template) so it goes where the release says.
    const { data: asset, status } = await octokit.rest.repos.uploadReleaseAsset({
      ...repo,
      release_id: release.id,
      url: release.upload_url,
      name: 'bundle.tar.gz',
      label: 'DAG bundle',
      // Octokit sends Buffers as raw bytes; its types only mention string.
      data: bytes as unknown as string,
      headers: { 'content-type': 'application/gzip' },
    });
    expect(status).toBe(201);
    expect(asset).toMatchObject({ name: 'bundle.tar.gz', label: 'DAG bundle', size: bytes.length, content_type: 'application/gzip', state: 'uploaded' });
    expect(asset.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(gh.state.asset(asset.id)?.data.equals(bytes)).toBe(true);

    const { data: listed } = await octokit.rest.repos.listReleaseAssets({ ...repo, release_id: release.id });
    expect(listed.map((a) => a.id)).toEqual([asset.id]);
    expect((await octokit.rest.repos.getRelease({ ...repo, release_id: release.id })).data.assets).toHaveLength(1);

    // JSON metadata by default ...
    const { data: meta } = await octokit.rest.repos.getReleaseAsset({ ...repo, asset_id: asset.id });
    expect(meta.id).toBe(asset.id);
    // ... the bytes (via GitHub's 302) with Accept: application/octet-stream.
    const download = await octokit.rest.repos.getReleaseAsset({
      ...repo,
      asset_id: asset.id,
      headers: { accept: 'application/octet-stream' },
    });
    expect(download.status).toBe(200);
    expect(Buffer.from(download.data as unknown as ArrayBuffer).equals(bytes)).toBe(true);
    expect(gh.requests.some((r) => r.operationId === 'repos/get-release-asset' && r.status === 302)).toBe(true);

    // browser_download_url serves the bytes too, without a token.
    const viaBrowser = await fetch(asset.browser_download_url);
    expect(Buffer.from(await viaBrowser.arrayBuffer()).equals(bytes)).toBe(true);
    expect(gh.state.asset(asset.id)?.downloadCount).toBe(2);
    expectNoViolations(gh);
  });

  it('also uploads with baseUrl overridden instead of url, renames special characters, and rejects duplicates', async () => {
    const octokit = octokitFor(gh);
    const { data: release } = await octokit.rest.repos.createRelease({ ...repo, tag_name: 'v1' });
    const upload = (name: string) =>
      octokit.rest.repos.uploadReleaseAsset({
        ...repo,
        baseUrl: gh.url,
        release_id: release.id,
        name,
        data: 'plain text',
        headers: { 'content-type': 'text/plain' },
      });
    const { data: asset } = await upload('my notes.txt');
    expect(asset.name).toBe('my.notes.txt');
    expect(asset.label).toBeNull();
    expect(await statusOf(upload('my notes.txt'))).toBe(422);

    expect((await octokit.rest.repos.deleteReleaseAsset({ ...repo, asset_id: asset.id })).status).toBe(204);
    expect(await statusOf(octokit.rest.repos.getReleaseAsset({ ...repo, asset_id: asset.id }))).toBe(404);
    expectNoViolations(gh);
  });
});
