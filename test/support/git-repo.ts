import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Throw-away git repositories for tests: builds read the commit and refs, so
 * most tests need a real checkout. Identity and branch are fixed here so tests
 * pass on machines without git configuration.
 */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=ferry tests', '-c', 'user.email=tests@ferry.invalid', '-c', 'init.defaultBranch=main', '-c', 'commit.gpgsign=false', ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
}

export function commitAll(dir: string, message: string): string {
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', message);
  return git(dir, 'rev-parse', 'HEAD');
}

/** A new repository in a temp folder holding `files` (or a copy of `from`), committed. */
export function gitRepo(files: Record<string, string>, opts: { prefix?: string; from?: string } = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), opts.prefix ?? 'ferry-test-'));
  if (opts.from) fs.cpSync(opts.from, dir, { recursive: true });
  writeFiles(dir, files);
  git(dir, 'init', '-q');
  commitAll(dir, 'initial');
  return dir;
}
