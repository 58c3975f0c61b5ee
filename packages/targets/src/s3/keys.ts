import path from 'node:path';
import { fail } from '@ferry/core';

/** Where ferry keeps its own objects under a target's prefix; release paths may not use it. */
export const RESERVED = '.ferry/';
/** The marker object's key, relative to the prefix. */
export const MARKER_PATH = `${RESERVED}release.json`;

/** S3's limit for a key, in UTF-8 bytes. */
const MAX_KEY_BYTES = 1024;

/**
 * `""` stays `""` (the whole bucket); anything else loses leading slashes and
 * gets exactly one trailing slash, so `dags` and `dags/` are the same prefix
 * and `dags2/…` is never under `dags`.
 */
export function normalisePrefix(prefix: string, bucket: string): string {
  const p = prefix.replace(/^\/+/, '').replace(/\/+$/, '');
  if (p === '') return '';
  const bad = p.split('/').find((s) => s === '' || s === '.' || s === '..');
  if (bad !== undefined || /[\u0000-\u001f\u007f\\]/.test(p)) {
    fail('FERRY_CONFIG_INVALID', `S3 target s3://${bucket}: prefix "${prefix}" has an empty, "." or ".." segment, a backslash or a control character`, {
      hint: 'Write the prefix as plain folder names separated by "/", e.g. "dags/".',
    });
  }
  return `${p}/`;
}

/**
 * Refuses a release path that is not a plain POSIX relative path: S3 would
 * store `a/../b` or `a//b` as written, and a reader syncing the prefix to a
 * folder (MWAA, `aws s3 sync`) could then write outside it or collide.
 */
export function checkPath(rel: string, prefix: string, where: string): void {
  const why =
    rel === ''
      ? 'is empty'
      : rel.startsWith('/')
        ? 'is absolute'
        : rel.endsWith('/')
          ? 'ends with "/"'
          : /[\u0000-\u001f\u007f]/.test(rel)
            ? 'contains a control character'
            : rel.includes('\\')
              ? 'contains a backslash'
              : rel.split('/').some((s) => s === '' || s === '.' || s === '..')
                ? 'has an empty, "." or ".." segment'
                : rel === RESERVED.slice(0, -1) || rel.startsWith(RESERVED)
                  ? `is under ${RESERVED}, which ferry reserves for its marker`
                  : Buffer.byteLength(prefix + rel) > MAX_KEY_BYTES
                    ? `makes a key longer than S3's ${MAX_KEY_BYTES} bytes`
                    : undefined;
  if (why) fail('FERRY_PATH_ESCAPES', `${where}: file "${rel}" ${why}; refusing to write it as an S3 key`, { hint: 'Rename the file to a plain relative path (folders separated by "/").' });
}

const TYPES: Record<string, string> = {
  '.py': 'text/x-python; charset=utf-8',
  '.sql': 'application/sql; charset=utf-8',
  '.json': 'application/json',
  '.yml': 'application/yaml; charset=utf-8',
  '.yaml': 'application/yaml; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.cfg': 'text/plain; charset=utf-8',
  '.ini': 'text/plain; charset=utf-8',
  '.toml': 'application/toml; charset=utf-8',
  '.sh': 'text/x-shellscript; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.zip': 'application/zip',
  '.gz': 'application/gzip',
};

/** Content-Type by extension (what the S3 console and browsers show); bytes are never transformed. */
export function contentType(rel: string): string {
  if (path.posix.basename(rel) === '.airflowignore') return 'text/plain; charset=utf-8';
  return TYPES[path.posix.extname(rel).toLowerCase()] ?? 'application/octet-stream';
}
