import fs from 'node:fs';
import path from 'node:path';
import { glob } from 'tinyglobby';
import { isInside, problem, type Problem } from '@ferry/core';

/**
 * Files of an artifact folder matching include/exclude globs, sorted, with a
 * problem for every symlink that leads outside the project (a release must
 * not carry files from elsewhere on the build machine).
 */
export async function selectFiles(dir: string, root: string, include: string[], exclude: string[]): Promise<{ files: string[]; problems: Problem[] }> {
  const found = await glob(include, { cwd: dir, ignore: exclude, dot: true, onlyFiles: true, followSymbolicLinks: false, expandDirectories: false });
  const realRoot = fs.realpathSync(root);
  const problems: Problem[] = [];
  const files: string[] = [];
  for (const rel of found.sort()) {
    const abs = path.join(dir, rel);
    if (fs.lstatSync(abs).isSymbolicLink()) {
      let real: string | undefined;
      try {
        real = fs.realpathSync(abs);
      } catch {
        problems.push(problem('FERRY_PATH_NOT_FOUND', `symlink ${rel} is broken`, { location: { file: abs } }));
        continue;
      }
      if (!isInside(realRoot, real)) {
        problems.push(problem('FERRY_SYMLINK_ESCAPES', `${rel} is a symlink to ${real}, outside the project`, { location: { file: abs } }));
        continue;
      }
      if (!fs.statSync(real).isFile()) continue;
    }
    files.push(rel);
  }
  return { files, problems };
}
