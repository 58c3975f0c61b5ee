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

/** sha256 of every file below `dir` (path -> hex). One file at a time: small reads are synchronous (see hashFile). */
export async function hashTree(dir: string, skip?: (p: string) => boolean): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const f of await walkFiles(dir)) if (!skip?.(f.path)) out.set(f.path, (await hashFile(f.abs)).sha256);
  return out;
}
