import { Octokit } from '@octokit/rest';
import { retry } from '@octokit/plugin-retry';
import { FerryError, problem } from '@ferry/core';

const RetryingOctokit = Octokit.plugin(retry);
export type GitHubClient = InstanceType<typeof RetryingOctokit>;

/** An Octokit that retries transient failures (5xx, secondary rate limits) and never logs the token. */
export function createClient(token: string, baseUrl: string, opts: { retries?: number } = {}): GitHubClient {
  return new RetryingOctokit({
    auth: token,
    baseUrl,
    userAgent: 'ferry',
    // Not `request: { retries }`: the plugin then retries every error, 404 and 422 included.
    retry: { retries: opts.retries ?? 3 },
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  });
}

/** Turns an Octokit error into FERRY_GITHUB_API with what was being done and how to fix it. */
export function githubError(doing: string, e: unknown): FerryError {
  const err = e as { status?: number; message?: string; response?: { data?: { message?: string } } };
  const status = err.status;
  const detail = err.response?.data?.message ?? err.message ?? String(e);
  const hint =
    status === 401 ? 'The token is invalid or expired.'
    : status === 403 ? 'The token lacks a permission: add `permissions: deployments: write, contents: write` to the job.'
    : status === 404 ? 'Check the repository name and that the token can see it.'
    : undefined;
  return new FerryError(problem('FERRY_GITHUB_API', `${doing}: ${status ? `HTTP ${status}: ` : ''}${detail}`, hint ? { hint } : {}));
}
