import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fail } from '@ferry/core';

const run = promisify(execFile);

export interface GitInfo {
  commit: string;
  ref: string;
  dirty: boolean;
  /** Committer date, YYYY-MM-DD. */
  date: string;
}

/** Runs git without a shell; failures become FERRY_GIT with git's own message. */
export async function git(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  try {
    const { stdout } = await run('git', args, { cwd, env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
    return stdout.trim();
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    return fail('FERRY_GIT', `git ${args[0]} failed: ${(err.stderr || err.message).trim().split('\n')[0]}`);
  }
}

/** Commit, ref and cleanliness of the checkout holding `dir`. GITHUB_REF wins for the ref (detached checkouts on runners). */
export async function gitInfo(dir: string): Promise<GitInfo> {
  const commit = await git(dir, ['rev-parse', 'HEAD']).catch(() =>
    fail('FERRY_GIT', `${dir} is not inside a git checkout with at least one commit`, { hint: 'ferry versions everything from git: run `git init && git add -A && git commit` (or actions/checkout on a runner).' }),
  );
  const symbolic = await git(dir, ['symbolic-ref', '-q', 'HEAD']).catch(() => '');
  const status = await git(dir, ['status', '--porcelain', '--', '.']);
  const date = await git(dir, ['log', '-1', '--format=%cs', 'HEAD']);
  return { commit, ref: process.env.GITHUB_REF || symbolic || 'HEAD', dirty: status.length > 0, date };
}
