import { githubError, type GitHubClient } from '@ferry/github';
import type { Vote } from './policy.js';

/**
 * The reviews of this run's deployment to `environment` (GET
 * /actions/runs/{run_id}/approvals): `approved` approves, `rejected` denies.
 * GitHub does not say when a review was given, so `at` is when ferry read it.
 * Environment names are case-insensitive on GitHub.
 */
export async function runReviews(gh: GitHubClient, repo: { owner: string; repo: string }, runId: number, environment: string, now: Date, runUrl?: string): Promise<Vote[]> {
  let reviews: Awaited<ReturnType<GitHubClient['rest']['actions']['getReviewsForRun']>>['data'];
  try {
    ({ data: reviews } = await gh.rest.actions.getReviewsForRun({ ...repo, run_id: runId }));
  } catch (e) {
    throw githubError(`reading the reviews of run ${runId}`, e);
  }
  const at = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return reviews
    .filter((r) => r.environments.some((e) => e.name?.toLowerCase() === environment.toLowerCase()) && (r.state === 'approved' || r.state === 'rejected') && r.user)
    .map((r) => ({ login: r.user.login, decision: r.state === 'approved' ? 'approve' : 'deny', at, ...(r.comment ? { reason: r.comment } : {}), ...(runUrl ? { url: runUrl } : {}) }));
}

/** The GitHub login of the release commit's author, when the commit's email is linked to an account. */
export async function commitAuthor(gh: GitHubClient, repo: { owner: string; repo: string }, sha: string): Promise<string | undefined> {
  try {
    const { data } = await gh.rest.repos.getCommit({ ...repo, ref: sha });
    return data.author && 'login' in data.author ? data.author.login : undefined;
  } catch (e) {
    const status = (e as { status?: number }).status;
    // A commit GitHub does not have (a local release, a rewritten history): no author to exclude.
    if (status === 404 || status === 422) return undefined;
    throw githubError(`reading the author of commit ${sha.slice(0, 12)}`, e);
  }
}
