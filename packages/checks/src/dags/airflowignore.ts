import fs from 'node:fs';
import path from 'node:path';

/**
 * Which files Airflow's DAG processor skips because of `.airflowignore`
 * (default `regexp` syntax: each line a regular expression searched in the
 * path relative to the DAG folder; `#` starts a comment; a file applies to
 * its own folder and every folder below; a matching folder is not entered).
 * DAGs in skipped files are never registered, so they neither count nor
 * clash. The `glob` syntax ([core] dag_ignore_file_syntax = glob) is not
 * read: ferry cannot see the Airflow configuration. Python-only regex syntax
 * that JavaScript rejects is skipped, as Airflow skips invalid patterns.
 *
 * `files` are POSIX paths relative to `dagDir`; returns the ignored ones.
 */
export function airflowIgnored(dagDir: string, files: readonly string[]): Set<string> {
  const cache = new Map<string, RegExp[]>();
  const patternsIn = (dir: string): RegExp[] => {
    let list = cache.get(dir);
    if (!list) {
      list = [];
      let text: string | undefined;
      try {
        text = fs.readFileSync(path.join(dagDir, dir, '.airflowignore'), 'utf8');
      } catch {
        text = undefined;
      }
      for (const raw of text?.split('\n') ?? []) {
        const line = raw.replace(/\s*#.*/, '');
        if (!line) continue;
        const re = toRegExp(line);
        if (re) list.push(re);
      }
      cache.set(dir, list);
    }
    return list;
  };

  const ignored = new Set<string>();
  for (const file of files) {
    const parts = file.split('/');
    const active: RegExp[] = [];
    for (let i = 0; i < parts.length; i++) {
      // Patterns of the folders above this path component (root included) decide about it.
      active.push(...patternsIn(parts.slice(0, i).join('/')));
      const candidate = parts.slice(0, i + 1).join('/');
      if (active.some((re) => re.test(candidate))) {
        ignored.add(file);
        break;
      }
    }
  }
  return ignored;
}

function toRegExp(pattern: string): RegExp | undefined {
  let flags = '';
  let source = pattern;
  const inline = /^\(\?([aiLmsux]+)\)/.exec(source);
  if (inline) {
    if (inline[1]!.includes('i')) flags += 'i';
    if (inline[1]!.includes('s')) flags += 's';
    if (inline[1]!.includes('m')) flags += 'm';
    source = source.slice(inline[0].length);
  }
  try {
    return new RegExp(source, flags);
  } catch {
    return undefined;
  }
}
