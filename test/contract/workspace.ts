/** Temp checkouts of examples/data-platform and a test server per test, for the contract tests. */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeEach } from '@jest/globals';
import { commitAll, git } from '../support/git-repo.js';
import { expectNoViolations, startGitHubServer, type GitHubServer } from '../github-server/index.js';
import { OWNER, REPO, ROOT, TOKEN, tempDir, tempDirs } from './run-action.js';

/** Values for the ${secret:NAME} references in examples/data-platform/config. */
export const SECRETS = {
  WAREHOUSE_PASSWORD: 'wh-Pa55-q7Zr',
  APP_DB_PASSWORD: 'appdb-9Xk2-pw',
  ORDERS_API_TOKEN: 'orders-tok-4Lm8',
  CRM_API_TOKEN: 'crm-tok-Vb31',
};

export { git };

/** A fresh git repository holding a copy of examples/data-platform, committed on main. */
export function exampleWorkspace(): string {
  const dir = tempDir('ferry-contract-');
  const src = path.join(ROOT, 'examples/data-platform');
  fs.cpSync(src, dir, { recursive: true, filter: (p) => !/(^|\/)(\.ferry|node_modules|__pycache__)(\/|$)/.test(path.relative(src, p)) });
  git(dir, 'init', '-q');
  commitAll(dir, 'data platform');
  return dir;
}

/** Changes a file and commits it; returns the new HEAD. */
export function commitChange(dir: string, rel: string, append: string): string {
  fs.appendFileSync(path.join(dir, rel), append);
  git(dir, 'commit', '-q', '-am', `change ${rel}`);
  return git(dir, 'rev-parse', 'HEAD');
}

/** Files under `dir` (recursively, following the target's live symlink), path → content. */
export function readTree(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!fs.existsSync(dir)) return out;
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (fs.statSync(p).isDirectory()) walk(p);
      else out.set(path.relative(dir, p), fs.readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

/** A test server per test, checked against GitHub's description and closed after it; temp folders go after the file. */
export function useGitHubServer(): () => GitHubServer {
  let gh: GitHubServer | undefined;
  afterAll(() => {
    for (const d of tempDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });
  beforeEach(async () => {
    gh = await startGitHubServer({ owner: OWNER, repo: REPO, token: TOKEN });
  });
  afterEach(async () => {
    const server = gh!;
    gh = undefined;
    await server.close();
    expectNoViolations(server);
  });
  return () => gh ?? (() => { throw new Error('no test server outside a test'); })();
}
