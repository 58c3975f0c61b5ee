import fs from 'node:fs';
import path from 'node:path';
import { fail, type Location } from '../errors/index.js';

/** True when `child` is `parent` or inside it (both absolute, normalised). */
export function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Resolves a path written in ferry.yml against `root` and refuses anything that
 * leaves it, lexically (`..`, absolute paths) or through a symlink.
 */
export function resolveInside(root: string, rel: string, where: Location): string {
  if (path.isAbsolute(rel)) {
    fail('FERRY_PATH_ESCAPES', `"${rel}" is an absolute path; artifact paths are relative to the project folder`, { location: where });
  }
  const abs = path.resolve(root, rel);
  if (!isInside(root, abs)) {
    fail('FERRY_PATH_ESCAPES', `"${rel}" points outside the project folder ${root}`, { location: where });
  }
  if (fs.existsSync(abs)) {
    const real = fs.realpathSync(abs);
    const realRoot = fs.realpathSync(root);
    if (!isInside(realRoot, real)) {
      fail('FERRY_SYMLINK_ESCAPES', `"${rel}" resolves through a symlink to ${real}, outside the project folder`, { location: where });
    }
  }
  return abs;
}

/** Requires `abs` to be an existing directory. */
export function requireDirectory(abs: string, where: Location): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch {
    fail('FERRY_PATH_NOT_FOUND', `folder ${abs} does not exist`, { location: where });
  }
  if (!st.isDirectory()) fail('FERRY_PATH_NOT_DIR', `${abs} is a file, not a folder`, { location: where });
}

/** POSIX-style relative path, as stored in releases. */
export function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}
