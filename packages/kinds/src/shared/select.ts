import fsp from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import { isInside, problem, type Problem } from '@ferry/core';

/**
 * Files of an artifact folder matching include/exclude globs, sorted. A
 * symlink is followed only while it stays inside the project: one that leads
 * elsewhere is a problem (a release must not carry files from elsewhere on
 * the build machine), never silently dropped or shipped.
 */
export async function selectFiles(dir: string, root: string, include: string[], exclude: string[]): Promise<{ files: string[]; problems: Problem[] }> {
  const included = picomatch(include, { dot: true });
  const excluded = picomatch(exclude.length ? exclude : ['\0'], { dot: true });
  const realRoot = await fsp.realpath(root);
  const files: string[] = [];
  const problems: Problem[] = [];
  const seen = new Set<string>();

  const walk = async (abs: string, prefix: string): Promise<void> => {
    seen.add(await fsp.realpath(abs));
    for (const e of await fsp.readdir(abs, { withFileTypes: true })) {
      const rel = prefix + e.name;
      const full = path.join(abs, e.name);
      let isDir = e.isDirectory();
      if (e.isSymbolicLink()) {
        if (excluded(rel) || excluded(`${rel}/_`)) continue;
        const real = await fsp.realpath(full).catch(() => undefined);
        if (!real) {
          problems.push(problem('FERRY_PATH_NOT_FOUND', `${rel} is a broken symlink`, { location: { file: path.relative(root, full) }, hint: 'Remove the link or point it at an existing file.' }));
          continue;
        }
        if (!isInside(realRoot, real)) {
          problems.push(problem('FERRY_SYMLINK_ESCAPES', `${rel} is a symlink to ${real}, outside the project`, { location: { file: path.relative(root, full) } }));
          continue;
        }
        isDir = (await fsp.stat(real)).isDirectory();
        if (isDir && seen.has(real)) continue; // a link back up the tree
      }
      if (isDir) {
        if (!excluded(`${rel}/_`)) await walk(full, `${rel}/`);
      } else if (included(rel) && !excluded(rel)) {
        files.push(rel);
      }
    }
  };
  await walk(dir, '');
  return { files: files.sort(), problems };
}
