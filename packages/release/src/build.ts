import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { FerryError, RELEASE_FORMAT, writeFileAtomic, type KindContext, type ReleaseManifest, type StoredRelease } from '@ferry/core';
import { enabledKinds } from '@ferry/kinds';
import { gitInfo, type GitInfo } from './git.js';
import { defaultVersion, releaseId, shortId } from './manifest.js';
import { MANIFEST, openRelease } from './store.js';

export interface BuildOptions {
  /** Overrides the default `<commit date>-<short sha>`. */
  version?: string;
  /** Overrides what git says (tests, or builds outside a checkout). */
  git?: GitInfo;
}

export interface BuildResult extends StoredRelease {
  /** false when a release with the same content was already in the store. */
  created: boolean;
}

/** Validates every kind, then all problems at once; nothing is built when any kind has a problem. */
export async function validateAll(ctx: KindContext): Promise<void> {
  const problems = (await Promise.all(enabledKinds(ctx.config).map((k) => k.validate(ctx)))).flat();
  if (problems.length) throw new FerryError(problems);
}

/**
 * Builds an immutable, content-addressed release into the release store.
 * Built in a private staging folder and renamed into place, so a crash never
 * leaves a half-written release under a valid id.
 */
export async function buildRelease(ctx: KindContext, opts: BuildOptions = {}): Promise<BuildResult> {
  const { config, runner } = ctx;
  await validateAll(ctx);
  const git = opts.git ?? (await gitInfo(config.root));
  if (git.dirty) runner.warning('building from a checkout with uncommitted changes: the release records the commit, not your edits');
  const store = config.release.store;
  const staging = path.join(store, `.build-${randomBytes(6).toString('hex')}`);
  await fsp.mkdir(staging, { recursive: true });
  try {
    const artifacts = [];
    for (const kind of enabledKinds(config)) {
      runner.debug(`build: ${kind.name}`);
      artifacts.push(await kind.build(ctx, staging));
    }
    const id = releaseId(config.project, artifacts);
    const manifest: ReleaseManifest = {
      format: RELEASE_FORMAT,
      id,
      project: config.project,
      version: opts.version ?? defaultVersion(git.date, git.commit),
      git: { commit: git.commit, ref: git.ref, dirty: git.dirty },
      builtAt: new Date().toISOString(),
      artifacts,
    };
    const dest = path.join(store, id);
    const existing = await openRelease(dest).catch((e) => {
      if (fs.existsSync(dest)) runner.warning(`release ${shortId(id)} in the store failed its check (${(e as Error).message.split('\n')[0]}); replacing it with this fresh build`);
      return undefined;
    });
    if (existing) {
      runner.info(`release ${shortId(id)} already built (version ${existing.manifest.version}): same content, reusing it`);
      return { ...existing, created: false };
    }
    writeFileAtomic(path.join(staging, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
    await fsp.rm(dest, { recursive: true, force: true });
    await fsp.rename(staging, dest);
    return { manifest, dir: dest, created: true };
  } finally {
    await fsp.rm(staging, { recursive: true, force: true });
  }
}
