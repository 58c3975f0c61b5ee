import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fail, type Runner, type StoredRelease } from '@ferry/core';
import { githubError, type GitHubClient, type GitHubContext } from '@ferry/github';
import { MANIFEST, openRelease, type LocalReleaseStore, type ReleaseStore } from './store.js';

/**
 * Releases kept as GitHub release assets (release.json and one bundle per
 * kind), so a deploy or rollback in any later job can fetch them by version.
 * A local store serves as the cache in front of it.
 */
export class GitHubReleaseStore implements ReleaseStore {
  readonly description: string;

  constructor(
    private readonly gh: GitHubClient,
    private readonly ctx: GitHubContext,
    private readonly cache: LocalReleaseStore,
    private readonly tagFor: (version: string) => string,
    private readonly runner: Runner,
  ) {
    this.description = `github-releases:${ctx.owner}/${ctx.repo}`;
  }

  private get repo() {
    return { owner: this.ctx.owner, repo: this.ctx.repo };
  }

  async put(release: StoredRelease): Promise<void> {
    const m = release.manifest;
    const tag = this.tagFor(m.version);
    const files = [MANIFEST, ...m.artifacts.flatMap((a) => (a.bundle ? [a.bundle.path] : []))];
    try {
      let rel = await this.gh.rest.repos.getReleaseByTag({ ...this.repo, tag }).then((r) => r.data).catch((e: { status?: number }) => {
        if (e.status === 404) return undefined;
        throw e;
      });
      rel ??= (
        await this.gh.rest.repos.createRelease({
          ...this.repo,
          tag_name: tag,
          target_commitish: m.git.commit,
          name: `${m.project} ${m.version}`,
          body: `ferry release \`${m.id}\`\n\n${m.artifacts.map((a) => `- ${a.kind}: ${a.files.length} files`).join('\n')}\n`,
          make_latest: 'false',
        })
      ).data;
      const present = new Set((rel.assets ?? []).map((a) => a.name));
      for (const name of files) {
        if (present.has(name)) continue;
        const data = await fsp.readFile(path.join(release.dir, name));
        await this.gh.request({ method: 'POST', url: rel.upload_url, name, data, headers: { 'content-type': 'application/octet-stream', 'content-length': data.length } } as never);
      }
      this.runner.info(`stored release ${m.id.slice(0, 12)} as assets of GitHub release ${tag}`);
    } catch (e) {
      throw githubError(`storing release ${m.version} on GitHub`, e);
    }
  }

  async get(ref: { id: string; version?: string }): Promise<StoredRelease> {
    const cached = await this.cache.get(ref).catch(() => undefined);
    if (cached) return cached;
    const tag = ref.version ? this.tagFor(ref.version) : await this.findTag(ref.id);
    const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'ferry-release-'));
    try {
      const rel = await this.gh.rest.repos.getReleaseByTag({ ...this.repo, tag }).then((r) => r.data).catch((e: { status?: number }) => {
        if (e.status === 404) fail('FERRY_RELEASE_NOT_FOUND', `no GitHub release ${tag} holds release ${ref.id.slice(0, 12)}`);
        throw githubError(`finding GitHub release ${tag}`, e);
      });
      for (const asset of rel.assets ?? []) {
        if (asset.name !== MANIFEST && !asset.name.endsWith('.tar.gz')) continue;
        const res = await this.gh.rest.repos.getReleaseAsset({ ...this.repo, asset_id: asset.id, headers: { accept: 'application/octet-stream' } });
        fs.writeFileSync(path.join(tmp, path.basename(asset.name)), Buffer.from(res.data as unknown as ArrayBuffer));
      }
      const release = await openRelease(tmp);
      if (!release.manifest.id.startsWith(ref.id)) fail('FERRY_RELEASE_NOT_FOUND', `GitHub release ${tag} holds release ${release.manifest.id.slice(0, 12)}, not ${ref.id.slice(0, 12)}`);
      await this.cache.put(release);
      return this.cache.get({ id: release.manifest.id });
    } finally {
      await fsp.rm(tmp, { recursive: true, force: true });
    }
  }

  /**
   * Without a version (a first deploy by id in a fresh job), the GitHub
   * release whose body names the id, as `put` writes it. Only a lookup: what
   * is downloaded is still checked against the id.
   */
  private async findTag(id: string): Promise<string> {
    if (!/^[0-9a-f]{4,64}$/.test(id)) fail('FERRY_RELEASE_NOT_FOUND', `"${id}" is not a release id (64 hex characters, or a unique prefix)`);
    const tags = new Map<string, string>();
    try {
      for await (const page of this.gh.paginate.iterator(this.gh.rest.repos.listReleases, { ...this.repo, per_page: 100 })) {
        for (const rel of page.data) {
          const named = /ferry release `([0-9a-f]{64})`/.exec(rel.body ?? '')?.[1];
          if (named?.startsWith(id) && !rel.draft) tags.set(named, rel.tag_name);
        }
      }
    } catch (e) {
      throw githubError(`looking for release ${id.slice(0, 12)} on GitHub`, e);
    }
    if (tags.size > 1) fail('FERRY_RELEASE_AMBIGUOUS', `release id prefix ${id} matches ${tags.size} GitHub releases`);
    const [tag] = tags.values();
    return tag ?? fail('FERRY_RELEASE_NOT_FOUND', `release ${id.slice(0, 12)} is neither in ${this.cache.dir} nor named by any GitHub release of ${this.ctx.owner}/${this.ctx.repo}`);
  }
}
