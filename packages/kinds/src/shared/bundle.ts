import fsp from 'node:fs/promises';
import path from 'node:path';
import * as tar from 'tar';
import { fail, hashFile, mapLimit, type ReleaseFile, type SourceTree } from '@ferry/core';

/**
 * Writes `files` (paths relative to `cwd`) into a gzip tarball that is the
 * same bytes for the same content: entries in the given order, no owners, no
 * timestamps. Symlinks are stored as the files they point to (callers have
 * already refused links that leave the project).
 */
export async function writeBundle(cwd: string, files: string[], out: string): Promise<ReleaseFile> {
  await tar.c({ cwd, file: out, gzip: { level: 6 }, portable: true, noMtime: true, follow: true, noDirRecurse: true }, files.length ? files : []);
  const { sha256, size } = await hashFile(out);
  return { path: path.basename(out), sha256, size };
}

/** Hashes files below `cwd`, a few at a time, reporting progress every 1,000 files. */
export async function hashFiles(cwd: string, paths: string[], progress?: (done: number, total: number) => void): Promise<ReleaseFile[]> {
  let done = 0;
  const hashes = await mapLimit(paths, 16, async (p) => {
    const h = await hashFile(path.join(cwd, p));
    if (++done % 1000 === 0 || done === paths.length) progress?.(done, paths.length);
    return h;
  });
  return paths.map((p, i) => ({ path: p, ...hashes[i]! }));
}

/**
 * A SourceTree reading from a bundle. Extracted files are checked against the
 * release's hashes, so a bundle altered after the build is refused before it
 * can go live (the staging folder it wrote to is never swapped in).
 */
export function bundleSource(bundle: string, files: ReleaseFile[], opts: { prefix?: string } = {}): SourceTree {
  const prefix = opts.prefix ?? '';
  return {
    files,
    async extract(paths, dir) {
      if (paths.length === 0) return;
      const wanted = new Set(paths.map((p) => prefix + p));
      const seen = new Set<string>();
      await tar.x({
        file: bundle,
        cwd: dir,
        strict: true,
        filter: (p) => {
          const ok = wanted.has(p);
          if (ok) seen.add(p);
          return ok;
        },
        ...(prefix ? { strip: prefix.split('/').filter(Boolean).length } : {}),
      });
      const byPath = new Map(files.map((f) => [f.path, f]));
      await mapLimit(paths, 16, async (p) => {
        const expected = byPath.get(p);
        if (!seen.has(prefix + p) || !expected) {
          fail('FERRY_RELEASE_TAMPERED', `${path.basename(bundle)} does not contain ${p}, which its release lists`);
        }
        const got = await hashFile(path.join(dir, p));
        if (got.sha256 !== expected.sha256) {
          fail('FERRY_RELEASE_TAMPERED', `${p} in ${path.basename(bundle)} has sha256 ${got.sha256.slice(0, 12)}…, the release says ${expected.sha256.slice(0, 12)}…`);
        }
      });
    },
  };
}

/** Reads one file out of a bundle into memory. */
export async function readFromBundle(bundle: string, paths: string[]): Promise<Map<string, Buffer>> {
  const want = new Set(paths);
  const out = new Map<string, Buffer>();
  await new Promise<void>((resolve, reject) => {
    const parser = new tar.Parser({
      strict: true,
      filter: (p) => want.has(p),
      onReadEntry: (entry) => {
        const chunks: Buffer[] = [];
        entry.on('data', (c: Buffer) => chunks.push(c));
        entry.on('end', () => out.set(entry.path, Buffer.concat(chunks)));
      },
    });
    parser.on('end', () => resolve());
    parser.on('error', reject);
    fsp.readFile(bundle).then((buf) => parser.end(buf), reject);
  });
  return out;
}
