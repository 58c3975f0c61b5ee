import { githubError, type GitHubClient } from '@ferry/github';
import type { Vote } from './policy.js';

type Repo = { owner: string; repo: string };

/** The approval request: a comment (or an issue ferry opened) carrying a hidden marker for env + release. */
export interface ApprovalRequest {
  issueNumber: number;
  /** The request comment's id; undefined when the request is the body of an issue ferry opened. */
  commentId?: number;
  createdAt: string;
  url: string;
  /** Logins recorded with the request (the requesting run's actor and triggering actor, the release's author): never approvers. */
  self: string[];
}

export const APPROVAL_LABEL = 'ferry:approval';

/** `<!-- ferry:approval-request env=prod release=<id> self=a,b -->` on the request's first line. */
export function requestMarker(environment: string, releaseId: string, self: readonly string[] = []): string {
  return `<!-- ferry:approval-request env=${environment} release=${releaseId}${self.length ? ` self=${self.join(',')}` : ''} -->`;
}

const MARKER = /^<!-- ferry:approval-request env=(\S+) release=([0-9a-f]+)(?: self=(\S+))? -->/;

function parseMarker(body: string | null | undefined, environment: string, releaseId: string): string[] | undefined {
  const m = MARKER.exec(body ?? '');
  // The request names the full id; a run may be given a prefix of it (at least 12 characters, checked by the caller).
  if (!m || m[1] !== environment || !m[2]!.startsWith(releaseId)) return undefined;
  return m[3] ? m[3].split(',') : [];
}

/**
 * Finds this release's request for `environment` (by its marker) on the issue,
 * or on an open `ferry:approval` issue when no issue is given. Reading only.
 */
export async function findRequest(gh: GitHubClient, repo: Repo, environment: string, releaseId: string, issueNumber?: number): Promise<ApprovalRequest | undefined> {
  try {
    if (issueNumber === undefined) {
      for await (const page of gh.paginate.iterator(gh.rest.issues.listForRepo, { ...repo, labels: APPROVAL_LABEL, state: 'open', per_page: 100 })) {
        for (const issue of page.data) {
          const self = parseMarker(issue.body, environment, releaseId);
          if (self) return { issueNumber: issue.number, createdAt: issue.created_at, url: issue.html_url, self };
        }
      }
      return undefined;
    }
    const { data: issue } = await gh.rest.issues.get({ ...repo, issue_number: issueNumber });
    const own = parseMarker(issue.body, environment, releaseId);
    if (own) return { issueNumber, createdAt: issue.created_at, url: issue.html_url, self: own };
    for await (const page of gh.paginate.iterator(gh.rest.issues.listComments, { ...repo, issue_number: issueNumber, per_page: 100 })) {
      for (const c of page.data) {
        const self = parseMarker(c.body, environment, releaseId);
        if (self) return { issueNumber, commentId: c.id, createdAt: c.created_at, url: c.html_url, self };
      }
    }
    return undefined;
  } catch (e) {
    throw githubError(`looking for the approval request${issueNumber ? ` on #${issueNumber}` : ''}`, e);
  }
}

/** Posts the request: a comment on `issueNumber`, or a new issue labelled ferry:approval. */
export async function postRequest(gh: GitHubClient, repo: Repo, body: string, opts: { title: string; issueNumber?: number; self: string[] }): Promise<ApprovalRequest> {
  try {
    if (opts.issueNumber !== undefined) {
      const { data } = await gh.rest.issues.createComment({ ...repo, issue_number: opts.issueNumber, body });
      return { issueNumber: opts.issueNumber, commentId: data.id, createdAt: data.created_at, url: data.html_url, self: opts.self };
    }
    const { data } = await gh.rest.issues.create({ ...repo, title: opts.title, body, labels: [APPROVAL_LABEL] });
    return { issueNumber: data.number, createdAt: data.created_at, url: data.html_url, self: opts.self };
  } catch (e) {
    throw githubError(opts.issueNumber !== undefined ? `posting the approval request on #${opts.issueNumber}` : 'opening the approval issue', e);
  }
}

const APPROVE = /^\s*\/(approve|deny)\b[ \t]*([0-9a-fA-F]*)[ \t]*(.*)$/m;

/** `/approve <id>` or `/deny <id> [reason]` on a line of its own; anything else is discussion. */
export function parseVote(body: string): { decision: 'approve' | 'deny'; releaseRef: string; reason?: string } | undefined {
  const m = APPROVE.exec(body);
  if (!m) return undefined;
  const reason = m[3]?.trim();
  return { decision: m[1] === 'approve' ? 'approve' : 'deny', releaseRef: (m[2] ?? '').toLowerCase(), ...(reason ? { reason } : {}) };
}

type Comment = Awaited<ReturnType<GitHubClient['rest']['issues']['listComments']>>['data'][number];

/**
 * Reads the comments on the request's issue since the request, with
 * `If-None-Match` per page: an unchanged page is a 304, which costs no rate
 * limit, so polling is free while nobody answers.
 */
export class CommentReader {
  private readonly pages = new Map<number, { etag?: string; data: Comment[] }>();
  /** Requests answered 304 (for tests and the log). */
  notModified = 0;

  constructor(
    private readonly gh: GitHubClient,
    private readonly repo: Repo,
    private readonly request: ApprovalRequest,
  ) {}

  async votes(): Promise<Vote[]> {
    const comments: Comment[] = [];
    for (let page = 1; ; page++) {
      const cached = this.pages.get(page);
      let data: Comment[];
      let next = false;
      try {
        const res = await this.gh.rest.issues.listComments({
          ...this.repo,
          issue_number: this.request.issueNumber,
          since: this.request.createdAt,
          per_page: 100,
          page,
          ...(cached?.etag ? { headers: { 'if-none-match': cached.etag } } : {}),
        });
        data = res.data;
        next = /rel="next"/.test(res.headers.link ?? '');
        this.pages.set(page, { etag: res.headers.etag, data });
      } catch (e) {
        if ((e as { status?: number }).status !== 304 || !cached) throw githubError(`reading comments on #${this.request.issueNumber}`, e);
        this.notModified++;
        data = cached.data;
        next = data.length === 100;
      }
      comments.push(...data);
      if (!next) break;
    }
    return comments
      .filter((c) => c.id !== this.request.commentId && c.created_at >= this.request.createdAt && c.user && c.user.type !== 'Bot' && !MARKER.test(c.body ?? ''))
      .flatMap((c) => {
        const v = parseVote(c.body ?? '');
        return v ? [{ login: c.user!.login, at: c.created_at, url: c.html_url, association: c.author_association, ...v }] : [];
      });
  }
}
