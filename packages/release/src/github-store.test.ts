import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gitRepo } from '../../../test/support/git-repo.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { loadConfig, MemoryRunner, type FerryConfig } from '@ferry/core';
import { createClient, type GitHubContext } from '@ferry/github';
import { expectNoViolations, startGitHubServer, type GitHubServer } from '../../../test/github-server/index.js';
import { buildRelease, type BuildResult } from './build.js';
import { GitHubReleaseStore } from './github-store.js';
import { LocalReleaseStore, openRelease } from './store.js';
import { tagName } from './tag.js';

const TOKEN = 'test-token';
const made: string[] = [];
const tmp = (prefix: string) => {
  made.push(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  return made.at(-1)!;
};
afterAll(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

const FERRY_YML = `project: tiny
artifacts:
  dags: { path: dags }
  configs: { path: config }
environments:
  - name: dev
    targets:
      dags: { kind: local, path: .ferry/targets/dev/dags }
      configs: { kind: local, path: .ferry/targets/dev/config }
`;

/** A committed checkout with a DAG and a config file. */
function tinyRepo(): string {
  const dir = gitRepo(
    {
      'ferry.yml': FERRY_YML,
      '.gitignore': '.ferry/\n',
      'dags/hello.py': 'from airflow import DAG\n\nwith DAG("hello", schedule=None):\n    pass\n',
      'config/app.yml': 'batch: 10\nname: tiny\n',
    },
    { prefix: 'ferry-gh-store-' },
  );
  made.push(dir);
  return dir;
}

let config: FerryConfig;
let built: BuildResult;
beforeAll(async () => {
  config = loadConfig(path.join(tinyRepo(), 'ferry.yml'));
  built = await buildRelease({ config, runner: new MemoryRunner(), secret: () => undefined }, { version: '1.0.0' });
}, 60_000);

let gh: GitHubServer;
beforeEach(async () => {
  gh = await startGitHubServer({ owner: 'acme', repo: 'data', token: TOKEN });
});
afterEach(async () => {
  await gh.close();
  expectNoViolations(gh);
});

/** A store over the test server whose cache starts empty (a fresh job). */
function store(cacheDir = tmp('ferry-cache-')): GitHubReleaseStore {
  const ctx: GitHubContext = { owner: 'acme', repo: 'data', serverUrl: 'https://github.com', apiUrl: gh.url };
  return new GitHubReleaseStore(createClient(TOKEN, gh.url, { retries: 0 }), ctx, new LocalReleaseStore(cacheDir), (v) => tagName(config.project, v, config.release.tagPrefix), new MemoryRunner());
}

const assetNames = () => gh.state.releases.flatMap((r) => r.assets.map((a) => a.name)).sort();

describe('GitHubReleaseStore', () => {
  it('stores a release as assets of its tag and fetches a verified copy into an empty cache', async () => {
    await store().put(built);
    const bundles = built.manifest.artifacts.flatMap((a) => (a.bundle ? [a.bundle.path] : []));
    expect(bundles.length).toBe(2);
    expect(gh.state.releases).toHaveLength(1);
    expect(gh.state.releases[0]).toMatchObject({ tagName: 'ferry/tiny/1.0.0', targetCommitish: built.manifest.git.commit, draft: false });
    expect(assetNames()).toEqual(['release.json', ...bundles].sort());

    const cacheDir = tmp('ferry-cache-');
    const got = await store(cacheDir).get({ id: built.manifest.id, version: '1.0.0' });
    expect(got.manifest.id).toBe(built.manifest.id);
    expect(path.dirname(got.dir)).toBe(cacheDir);
    for (const b of bundles) expect(fs.readFileSync(path.join(got.dir, b))).toEqual(fs.readFileSync(path.join(built.dir, b)));
    await expect(openRelease(got.dir)).resolves.toMatchObject({ manifest: { id: built.manifest.id } });

    // Now cached: found by id prefix alone, without asking GitHub.
    const before = gh.requests.length;
    expect((await store(cacheDir).get({ id: built.manifest.id.slice(0, 12) })).manifest.id).toBe(built.manifest.id);
    expect(gh.requests.length).toBe(before);
  });

  it('is idempotent: putting the same release twice adds no release and no asset', async () => {
    await store().put(built);
    await store().put(built);
    expect(gh.state.releases).toHaveLength(1);
    expect(assetNames()).toHaveLength(3);
  });

  it('completes a put that was interrupted after some assets', async () => {
    await store().put(built);
    const rel = gh.state.releases[0]!;
    rel.assets.splice(rel.assets.findIndex((a) => a.name.endsWith('.tar.gz')), 1);
    await store().put(built);
    expect(assetNames()).toHaveLength(3);
    await expect(store().get({ id: built.manifest.id, version: '1.0.0' })).resolves.toBeTruthy();
  });

  it('refuses a bundle whose bytes changed on GitHub: FERRY_RELEASE_TAMPERED', async () => {
    await store().put(built);
    const asset = gh.state.releases[0]!.assets.find((a) => a.name.endsWith('.tar.gz'))!;
    const data = Buffer.from(asset.data);
    data[data.length - 1]! ^= 0xff;
    asset.data = data;
    const cacheDir = tmp('ferry-cache-');
    await expect(store(cacheDir).get({ id: built.manifest.id, version: '1.0.0' })).rejects.toMatchObject({ code: 'FERRY_RELEASE_TAMPERED' });
    expect(new LocalReleaseStore(cacheDir).ids()).toEqual([]);
  });

  it('refuses a release.json whose content no longer matches its id: FERRY_RELEASE_TAMPERED', async () => {
    await store().put(built);
    const asset = gh.state.releases[0]!.assets.find((a) => a.name === 'release.json')!;
    const m = JSON.parse(asset.data.toString('utf8'));
    m.artifacts[0].files[0].size += 1;
    asset.data = Buffer.from(JSON.stringify(m));
    await expect(store().get({ id: built.manifest.id, version: '1.0.0' })).rejects.toMatchObject({ code: 'FERRY_RELEASE_TAMPERED' });
  });

  it('answers FERRY_RELEASE_NOT_FOUND for an unknown version, an unknown id, and a tag holding another release', async () => {
    await store().put(built);
    await expect(store().get({ id: built.manifest.id, version: '9.9.9' })).rejects.toMatchObject({ code: 'FERRY_RELEASE_NOT_FOUND' });
    await expect(store().get({ id: 'f'.repeat(64), version: '1.0.0' })).rejects.toMatchObject({ code: 'FERRY_RELEASE_NOT_FOUND' });
    await expect(store().get({ id: 'f'.repeat(64) })).rejects.toMatchObject({ code: 'FERRY_RELEASE_NOT_FOUND' });
    await expect(store().get({ id: 'not-hex' })).rejects.toMatchObject({ code: 'FERRY_RELEASE_NOT_FOUND' });
  });

  it('finds a release by id (or prefix) alone, from the GitHub release naming it, for a first deploy in a fresh job', async () => {
    await store().put(built);
    // 105 newer releases, ferry's and not: the one wanted is on the second page.
    const octokit = createClient(TOKEN, gh.url);
    for (let n = 0; n < 105; n++) await octokit.rest.repos.createRelease({ owner: 'acme', repo: 'data', tag_name: `v0.${n}`, body: n % 2 ? 'notes' : `ferry release \`${n.toString(16).padStart(64, 'e')}\`` });
    const got = await store().get({ id: built.manifest.id.slice(0, 10) });
    expect(got.manifest.id).toBe(built.manifest.id);
    // `eeee…` prefixes name several releases.
    await expect(store().get({ id: 'eeee' })).rejects.toMatchObject({ code: 'FERRY_RELEASE_AMBIGUOUS' });
  }, 30_000);
});
