import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/** What a workflow run says about itself (GITHUB_* variables and the event payload), for messages. */
export interface RunContext {
  repository?: string;
  sha?: string;
  actor?: string;
  runUrl?: string;
}

export function runContext(env: NodeJS.ProcessEnv = process.env): RunContext {
  const server = env.GITHUB_SERVER_URL || 'https://github.com';
  const repo = env.GITHUB_REPOSITORY;
  const attempt = env.GITHUB_RUN_ATTEMPT && env.GITHUB_RUN_ATTEMPT !== '1' ? `/attempts/${env.GITHUB_RUN_ATTEMPT}` : '';
  return {
    repository: repo || undefined,
    sha: env.GITHUB_SHA || undefined,
    actor: env.GITHUB_TRIGGERING_ACTOR || env.GITHUB_ACTOR || undefined,
    runUrl: repo && env.GITHUB_RUN_ID ? `${server}/${repo}/actions/runs/${env.GITHUB_RUN_ID}${attempt}` : undefined,
  };
}

/**
 * The first line of a commit's message: from the event payload (push:
 * head_commit / commits), else `git log` in the workspace; undefined when
 * neither knows it (a message without it is still a message).
 */
export function commitSubject(sha: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (!/^[0-9a-f]{7,64}$/i.test(sha)) return undefined;
  try {
    const event = JSON.parse(fs.readFileSync(env.GITHUB_EVENT_PATH ?? '', 'utf8')) as { head_commit?: { id?: string; message?: string }; commits?: { id?: string; message?: string }[] };
    const c = [event.head_commit, ...(event.commits ?? [])].find((x) => x?.id && typeof x.message === 'string' && x.id.startsWith(sha.toLowerCase()));
    if (c?.message) return firstLine(c.message);
  } catch {
    // no event file (local runs) or not JSON: try git
  }
  try {
    const out = execFileSync('git', ['log', '-1', '--format=%B', sha, '--'], { cwd: env.GITHUB_WORKSPACE || process.cwd(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
    return firstLine(out) || undefined;
  } catch {
    return undefined;
  }
}

const firstLine = (s: string) => s.split(/\r?\n/).find((l) => l.trim() !== '')?.trim();
