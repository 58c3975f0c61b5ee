import fs from 'node:fs';
import { githubError, type GitHubClient } from './client.js';
import type { GitHubContext } from './context.js';

/** The pull request a workflow run is about, from its event file; undefined for other events. */
export function pullRequestNumber(eventPath = process.env.GITHUB_EVENT_PATH): number | undefined {
  if (!eventPath || !fs.existsSync(eventPath)) return undefined;
  const event = JSON.parse(fs.readFileSync(eventPath, 'utf8')) as { pull_request?: { number?: number }; issue?: { number?: number; pull_request?: unknown } };
  return event.pull_request?.number ?? (event.issue?.pull_request ? event.issue.number : undefined);
}

/**
 * One comment per `key` on a pull request, updated in place on every push
 * instead of piling up: found by a hidden marker on its first line.
 */
export async function upsertComment(gh: GitHubClient, ctx: GitHubContext, issueNumber: number, key: string, body: string): Promise<{ url: string; created: boolean }> {
  const marker = `<!-- ferry:${key} -->`;
  const repo = { owner: ctx.owner, repo: ctx.repo };
  try {
    let existing: { id: number } | undefined;
    for await (const page of gh.paginate.iterator(gh.rest.issues.listComments, { ...repo, issue_number: issueNumber, per_page: 100 })) {
      existing = page.data.find((c) => c.body?.startsWith(marker)) ?? existing;
    }
    const text = `${marker}\n${body}`;
    if (existing) {
      const { data } = await gh.rest.issues.updateComment({ ...repo, comment_id: existing.id, body: text });
      return { url: data.html_url, created: false };
    }
    const { data } = await gh.rest.issues.createComment({ ...repo, issue_number: issueNumber, body: text });
    return { url: data.html_url, created: true };
  } catch (e) {
    throw githubError(`commenting on pull request #${issueNumber}`, e);
  }
}
