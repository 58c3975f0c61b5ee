/** Shared by the *.test.ts files of this folder. */
import { Octokit } from '@octokit/rest';
import type { GitHubServer } from './server.js';

export const OWNER = 'acme';
export const REPO = 'data';
export const TOKEN = 'test-token';
export const repo = { owner: OWNER, repo: REPO } as const;

/** An Octokit pointed at the fake, with request logging silenced (expected 4xx would be noisy). */
export function octokitFor(gh: GitHubServer, token: string = TOKEN): Octokit {
  const quiet = (): void => undefined;
  return new Octokit({
    auth: token,
    baseUrl: gh.url,
    log: { debug: quiet, info: quiet, warn: quiet, error: quiet },
  });
}

/** The HTTP status of a rejected Octokit call. */
export async function statusOf(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
  } catch (error) {
    return (error as { status?: number }).status ?? -1;
  }
  throw new Error('expected the request to fail');
}

export function sha(n: number): string {
  return n.toString(16).padStart(40, 'a');
}
