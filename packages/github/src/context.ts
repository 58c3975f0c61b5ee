import { fail } from '@ferry/core';

/** What a workflow run tells its steps about itself, read from the runner's environment. */
export interface GitHubContext {
  owner: string;
  repo: string;
  serverUrl: string;
  apiUrl: string;
  sha?: string;
  ref?: string;
  runId?: string;
  actor?: string;
}

export function githubContext(env: NodeJS.ProcessEnv = process.env): GitHubContext {
  const full = env.GITHUB_REPOSITORY ?? '';
  const [owner, repo] = full.split('/');
  if (!owner || !repo) fail('FERRY_INPUT', 'GITHUB_REPOSITORY is not set (expected owner/name)', { hint: 'Run on GitHub Actions, or set GITHUB_REPOSITORY.' });
  return {
    owner,
    repo,
    serverUrl: env.GITHUB_SERVER_URL || 'https://github.com',
    apiUrl: env.GITHUB_API_URL || 'https://api.github.com',
    sha: env.GITHUB_SHA,
    ref: env.GITHUB_REF,
    runId: env.GITHUB_RUN_ID,
    actor: env.GITHUB_ACTOR,
  };
}

/** Link to the run, for deployment statuses and messages. */
export function runUrl(ctx: GitHubContext): string | undefined {
  return ctx.runId ? `${ctx.serverUrl}/${ctx.owner}/${ctx.repo}/actions/runs/${ctx.runId}` : undefined;
}
