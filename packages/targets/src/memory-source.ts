import fsp from 'node:fs/promises';
import path from 'node:path';
import { sha256, type SourceTree } from '@ferry/core';

/** A SourceTree over in-memory contents: for tests and small rendered trees (configs). */
export function memorySource(contents: Record<string, string | Buffer>): SourceTree & { extracted: string[] } {
  const files = Object.entries(contents)
    .map(([p, c]) => ({ path: p, sha256: sha256(c), size: Buffer.byteLength(c) }))
    .sort((a, b) => (a.path < b.path ? -1 : 1));
  const extracted: string[] = [];
  return {
    files,
    extracted,
    async extract(paths, dir) {
      for (const p of paths) {
        const c = contents[p];
        if (c === undefined) throw new Error(`no file ${p} in source`);
        await fsp.mkdir(path.dirname(path.join(dir, p)), { recursive: true });
        await fsp.writeFile(path.join(dir, p), c);
        extracted.push(p);
      }
    },
  };
}
