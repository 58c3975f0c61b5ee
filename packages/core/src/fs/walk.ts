import fs from 'node:fs/promises';
import path from 'node:path';
import { hashFile } from './hash.js';
import { toPosix } from './paths.js';

export interface WalkEntry {
  /** POSIX path relative to the walked folder. */
  path: string;
  abs: string;
  isSymlink: boolean;
}

/** Every regular file (or symlink) below `dir`, sorted by path. */
export async function walkFiles(dir: string): Promise<WalkEntry[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  const out: WalkEntry[] = [];
  for (const e of entries) {
    if (e.isDirectory()) continue;
    const abs = path.join(e.parentPath, e.name);
    out.push({ path: toPosix(path.relative(dir, abs)), abs, isSymlink: e.isSymbolicLink() });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Runs `fn` over `items` with at most `limit` in flight; results keep input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** sha256 of every file below `dir` (path -> hex), hashing a few files at a time. */
export async function hashTree(dir: string, skip?: (p: string) => boolean): Promise<Map<string, string>> {
  const files = (await walkFiles(dir)).filter((f) => !skip?.(f.path));
  const hashes = await mapLimit(files, 16, (f) => hashFile(f.abs));
  return new Map(files.map((f, i) => [f.path, hashes[i]!.sha256]));
}
