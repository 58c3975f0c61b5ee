import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { fail, FerryError, hashFile, problem, RELEASE_FORMAT, type Problem, type ReleaseManifest, type StoredRelease } from '@ferry/core';
import { releaseId } from './manifest.js';

export const MANIFEST = 'release.json';

/**
 * Where releases are kept so any later deploy or rollback can find them by
 * id. Local folder now; GitHub release assets implement the same interface.
 */
export interface ReleaseStore {
  readonly description: string;
  /** Stores a built release folder; storing the same id twice keeps the first. */
  put(release: StoredRelease): Promise<void>;
  /** A verified local copy of the release with this id (or unique id prefix). */
  get(ref: { id: string; version?: string }): Promise<StoredRelease>;
}

/** Releases as folders `<dir>/<release-id>/` holding release.json and one bundle per kind. */
export class LocalReleaseStore implements ReleaseStore {
  readonly description: string;
  constructor(readonly dir: string) {
    this.description = `local:${dir}`;
  }

  async put(release: StoredRelease): Promise<void> {
    const dest = path.join(this.dir, release.manifest.id);
    if (path.resolve(release.dir) === path.resolve(dest) || fs.existsSync(path.join(dest, MANIFEST))) return;
    await fsp.mkdir(this.dir, { recursive: true });
    const tmp = path.join(this.dir, `.incoming-${release.manifest.id}-${process.pid}`);
    await fsp.rm(tmp, { recursive: true, force: true });
    await fsp.cp(release.dir, tmp, { recursive: true });
    await fsp.rename(tmp, dest);
  }

  async get(ref: { id: string }): Promise<StoredRelease> {
    const id = this.resolveId(ref.id);
    return openRelease(path.join(this.dir, id));
  }

  /** Ids present, for listings and prefix lookups. */
  ids(): string[] {
    try {
      return fs.readdirSync(this.dir).filter((n) => /^[0-9a-f]{64}$/.test(n) && fs.existsSync(path.join(this.dir, n, MANIFEST)));
    } catch {
      return [];
    }
  }

  private resolveId(idOrPrefix: string): string {
    if (!/^[0-9a-f]{4,64}$/.test(idOrPrefix)) fail('FERRY_RELEASE_NOT_FOUND', `"${idOrPrefix}" is not a release id (64 hex characters, or a unique prefix)`);
    const matches = this.ids().filter((id) => id.startsWith(idOrPrefix));
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) fail('FERRY_RELEASE_AMBIGUOUS', `release id prefix ${idOrPrefix} matches ${matches.length} releases in ${this.dir}`);
    return fail('FERRY_RELEASE_NOT_FOUND', `no release ${idOrPrefix} in ${this.dir}`);
  }
}

/**
 * Reads a release folder and proves it is what it claims: release.json's id
 * matches its content and every bundle matches its recorded hash. (Files
 * inside bundles are checked again as they are extracted.)
 */
export async function openRelease(dir: string): Promise<StoredRelease> {
  const file = path.join(dir, MANIFEST);
  let manifest: ReleaseManifest;
  try {
    manifest = JSON.parse(await fsp.readFile(file, 'utf8')) as ReleaseManifest;
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    return fail(missing ? 'FERRY_RELEASE_NOT_FOUND' : 'FERRY_RELEASE_INVALID', missing ? `no release at ${dir} (release.json missing)` : `${file} is not valid JSON`, { location: { file } });
  }
  if (manifest?.format !== RELEASE_FORMAT || !Array.isArray(manifest.artifacts) || typeof manifest.id !== 'string') {
    fail('FERRY_RELEASE_INVALID', `${file} is not a ${RELEASE_FORMAT} manifest`, { location: { file } });
  }
  const problems: Problem[] = [];
  // Paths become file names on the deploy target: refuse anything that could leave it.
  const unsafe = manifest.artifacts.flatMap((a) => (Array.isArray(a.files) ? a.files : [])).filter((f) => !isSafeRelativePath(f.path));
  if (unsafe.length) {
    problems.push(problem('FERRY_RELEASE_TAMPERED', `release lists unsafe paths: ${unsafe.slice(0, 3).map((f) => JSON.stringify(f.path)).join(', ')}`, { location: { file } }));
  }
  const actual = releaseId(manifest.project, manifest.artifacts);
  if (actual !== manifest.id) {
    problems.push(problem('FERRY_RELEASE_TAMPERED', `release.json says id ${manifest.id.slice(0, 12)}…, but its content hashes to ${actual.slice(0, 12)}…`, { location: { file } }));
  }
  for (const a of manifest.artifacts) {
    if (!a.bundle) continue;
    const bundle = path.join(dir, a.bundle.path);
    if (path.dirname(bundle) !== path.resolve(dir)) {
      problems.push(problem('FERRY_RELEASE_TAMPERED', `bundle path ${a.bundle.path} leaves the release folder`, { location: { file } }));
      continue;
    }
    const got = await hashFile(bundle).catch(() => undefined);
    if (!got) problems.push(problem('FERRY_RELEASE_TAMPERED', `${a.bundle.path} is missing from the release`, { location: { file: bundle } }));
    else if (got.sha256 !== a.bundle.sha256) {
      problems.push(problem('FERRY_RELEASE_TAMPERED', `${a.bundle.path} has sha256 ${got.sha256.slice(0, 12)}…, release.json records ${a.bundle.sha256.slice(0, 12)}…`, { location: { file: bundle } }));
    }
  }
  if (problems.length) throw new FerryError(problems);
  return { manifest, dir };
}

/** A POSIX path relative to its root that cannot step outside it. */
export function isSafeRelativePath(p: unknown): boolean {
  return typeof p === 'string' && p !== '' && !p.startsWith('/') && !p.includes('\\') && !p.includes('\0') && p.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}
