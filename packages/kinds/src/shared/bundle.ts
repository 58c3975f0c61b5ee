import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import * as tarStream from 'tar-stream';
import { fail, hashFile, sha256, type ReleaseFile, type SourceTree } from '@ferry/core';

/**
 * Reads each file once, hashes it and appends it to a gzip tarball that is the
 * same bytes for the same content (entries in the given order, no owners, no
 * timestamps; only the executable bit of the mode is kept). Symlinks are stored
 * as the files they point to: callers have already refused links that leave
 * the project. One pass instead of hash-then-tar: `pnpm bench` measured it
 * about five times faster on 10,000 DAG files.
 */
export async function writeBundle(
  cwd: string,
  paths: string[],
  out: string,
  progress?: (done: number, total: number) => void,
): Promise<{ files: ReleaseFile[]; bundle: ReleaseFile }> {
  const pack = tarStream.pack();
  const written = pipeline(pack, createGzip({ level: 6 }), fs.createWriteStream(out));
  const files: ReleaseFile[] = [];
  try {
    for (const [i, p] of paths.entries()) {
      const abs = path.join(cwd, p);
      const data = fs.readFileSync(abs);
      const mode = fs.statSync(abs).mode & 0o111 ? 0o755 : 0o644;
      files.push({ path: p, sha256: sha256(data), size: data.length });
      // The callback fires once the entry is consumed: this is the backpressure.
      await new Promise<void>((resolve, reject) =>
        pack.entry({ name: p, size: data.length, mode, mtime: new Date(0), uid: 0, gid: 0, uname: '', gname: '' }, data, (err) => (err ? reject(err) : resolve())),
      );
      if ((i + 1) % 1000 === 0 || i + 1 === paths.length) progress?.(i + 1, paths.length);
    }
    pack.finalize();
  } catch (e) {
    pack.destroy(e as Error);
    await written.catch(() => undefined);
    throw e;
  }
  await written;
  const { sha256: digest, size } = await hashFile(out);
  return { files, bundle: { path: path.basename(out), sha256: digest, size } };
}

/**
 * Streams the bundle and hands every wanted entry to `take`, after checking it
 * against the hash the release records: a bundle altered after the build is
 * refused before any of its bytes reach the disk. Stops reading as soon as
 * every wanted entry was seen.
 */
async function readEntries(bundle: string, wanted: Map<string, ReleaseFile>, take: (file: ReleaseFile, data: Buffer, mode: number) => void): Promise<void> {
  const remaining = new Set(wanted.keys());
  if (remaining.size === 0) return;
  const extract = tarStream.extract();
  const input = fs.createReadStream(bundle);
  const done = pipeline(input, createGunzip(), extract).catch((e: NodeJS.ErrnoException) => {
    if (remaining.size > 0 || e.code !== 'ERR_STREAM_PREMATURE_CLOSE') throw e;
  });
  try {
    for await (const entry of extract) {
      const expected = wanted.get(entry.header.name);
      if (!expected || !remaining.has(entry.header.name)) {
        entry.resume();
        continue;
      }
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      const data = Buffer.concat(chunks);
      const got = sha256(data);
      if (got !== expected.sha256) {
        fail('FERRY_RELEASE_TAMPERED', `${expected.path} in ${path.basename(bundle)} has sha256 ${got.slice(0, 12)}…, the release says ${expected.sha256.slice(0, 12)}…`);
      }
      take(expected, data, entry.header.mode ?? 0o644);
      remaining.delete(entry.header.name);
      if (remaining.size === 0) break;
    }
  } finally {
    input.destroy();
    await done.catch((e) => {
      if (remaining.size === 0) return;
      throw e;
    });
  }
  if (remaining.size > 0) {
    fail('FERRY_RELEASE_TAMPERED', `${path.basename(bundle)} does not contain ${[...remaining].slice(0, 3).join(', ')}${remaining.size > 3 ? ` and ${remaining.size - 3} more` : ''}, which its release lists`);
  }
}

/** A SourceTree reading from a bundle; entries are named `prefix + file path`. */
export function bundleSource(bundle: string, files: ReleaseFile[], opts: { prefix?: string } = {}): SourceTree {
  const prefix = opts.prefix ?? '';
  const byPath = new Map(files.map((f) => [f.path, f]));
  return {
    files,
    async extract(paths, dir) {
      const wanted = new Map(paths.map((p) => [prefix + p, byPath.get(p) ?? fail('FERRY_RELEASE_TAMPERED', `${p} is not in the release`)]));
      const made = new Set<string>();
      await readEntries(bundle, wanted, (file, data, mode) => {
        const dest = path.join(dir, file.path);
        const parent = path.dirname(dest);
        if (!made.has(parent)) fs.mkdirSync(parent, { recursive: true });
        made.add(parent);
        fs.writeFileSync(dest, data, { mode: mode & 0o111 ? 0o755 : 0o644 });
      });
    },
  };
}

/** Reads some entries of a bundle into memory, checked against their release hashes. */
export async function readFromBundle(bundle: string, files: ReleaseFile[], prefix = ''): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  await readEntries(bundle, new Map(files.map((f) => [prefix + f.path, f])), (file, data) => out.set(file.path, data));
  return out;
}
