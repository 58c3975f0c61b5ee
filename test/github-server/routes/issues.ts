/**
 * Issues and issue comments. Comments are listed oldest first (GitHub's order)
 * and `since` keeps those updated at or after the given time. ETag /
 * If-None-Match → 304 is handled by the server for every GET.
 */
import { field, json, noContent, notFound, paginate, type RouteContext, type RouteTable } from '../http.js';
import type { CommentRecord, IssueRecord } from '../state.js';

function findIssue(ctx: RouteContext): IssueRecord | undefined {
  return ctx.state.issue(Number(ctx.params.issue_number));
}

function findComment(ctx: RouteContext): CommentRecord | undefined {
  return ctx.state.comment(Number(ctx.params.comment_id));
}

/** `labels` items may be names or `{name}` objects (the spec allows both). */
function labelNames(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value.flatMap((item: unknown) =>
    typeof item === 'string' ? [item] : item && typeof item === 'object' && 'name' in item ? [String(item.name)] : [],
  );
}

function assigneeLogins(body: unknown): string[] | undefined {
  const many = field<string[]>(body, 'assignees');
  if (many) return many;
  const one = field<string | null>(body, 'assignee');
  return one === undefined ? undefined : one === null ? [] : [one];
}

function matchesListFilters(ctx: RouteContext, issue: IssueRecord): boolean {
  const { state, labels, creator, assignee, since } = ctx.params;
  if (state !== 'all' && issue.state !== (state ?? 'open')) return false;
  if (typeof labels === 'string' && labels !== '') {
    const wanted = labels.split(',').map((l) => l.trim());
    if (!wanted.every((name) => issue.labels.some((l) => l.name === name))) return false;
  }
  if (typeof creator === 'string' && issue.user.login !== creator) return false;
  if (assignee === 'none' && issue.assignees.length > 0) return false;
  if (assignee === '*' && issue.assignees.length === 0) return false;
  if (typeof assignee === 'string' && !['none', '*'].includes(assignee) && !issue.assignees.some((u) => u.login === assignee)) {
    return false;
  }
  if (typeof since === 'string' && issue.updatedAt < normalizeTime(since)) return false;
  return true;
}

/** Compares ISO timestamps as strings, so bring `since` to GitHub's second precision in UTC. */
function normalizeTime(value: string): string {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export const issueRoutes: RouteTable = {
  'issues/create': (ctx) => {
    const now = ctx.state.now();
    const issue: IssueRecord = {
      id: ctx.state.nextId('issue'),
      number: ctx.state.nextIssueNumber(),
      title: String(field<string | number>(ctx.body, 'title') ?? ''),
      body: field<string>(ctx.body, 'body') ?? null,
      state: 'open',
      stateReason: null,
      labels: (labelNames(field(ctx.body, 'labels')) ?? []).map((name) => ctx.state.label(name)),
      assignees: (assigneeLogins(ctx.body) ?? []).map((login) => ctx.state.user(login)),
      user: ctx.user,
      locked: false,
      createdAt: now,
      updatedAt: now,
      closedAt: null,
      closedBy: null,
    };
    ctx.state.issues.push(issue);
    const out = ctx.objects.issue(issue);
    return json(201, out, { location: String(out.url) });
  },

  'issues/get': (ctx) => {
    const issue = findIssue(ctx);
    return issue ? json(200, ctx.objects.issue(issue)) : notFound(ctx.documentationUrl);
  },

  'issues/update': (ctx) => {
    const issue = findIssue(ctx);
    if (!issue) return notFound(ctx.documentationUrl);
    const now = ctx.state.now();
    const title = field<string | number | null>(ctx.body, 'title');
    if (title !== undefined && title !== null) issue.title = String(title);
    const body = field<string | null>(ctx.body, 'body');
    if (body !== undefined) issue.body = body;
    const labels = labelNames(field(ctx.body, 'labels'));
    if (labels) issue.labels = labels.map((name) => ctx.state.label(name));
    const assignees = assigneeLogins(ctx.body);
    if (assignees) issue.assignees = assignees.map((login) => ctx.state.user(login));
    const state = field<'open' | 'closed'>(ctx.body, 'state');
    const reason = field<IssueRecord['stateReason']>(ctx.body, 'state_reason');
    if (state === 'closed' && issue.state === 'open') {
      Object.assign(issue, { state, stateReason: reason ?? 'completed', closedAt: now, closedBy: ctx.user });
    } else if (state === 'open' && issue.state === 'closed') {
      Object.assign(issue, { state, stateReason: 'reopened', closedAt: null, closedBy: null });
    }
    issue.updatedAt = now;
    return json(200, ctx.objects.issue(issue));
  },

  'issues/list-for-repo': (ctx) => {
    const sort = ctx.params.sort ?? 'created';
    const key = (i: IssueRecord): string | number =>
      sort === 'updated' ? i.updatedAt : sort === 'comments' ? ctx.state.comments.filter((c) => c.issueNumber === i.number).length : i.number;
    const direction = ctx.params.direction === 'asc' ? 1 : -1;
    const issues = ctx.state.issues
      .filter((issue) => matchesListFilters(ctx, issue))
      .sort((a, b) => (key(a) < key(b) ? -direction : key(a) > key(b) ? direction : b.number - a.number));
    return paginate(ctx, issues.map((i) => ctx.objects.issue(i)));
  },

  'issues/create-comment': (ctx) => {
    const issue = findIssue(ctx);
    if (!issue) return notFound(ctx.documentationUrl);
    const now = ctx.state.now();
    const comment: CommentRecord = {
      id: ctx.state.nextId('comment'),
      issueNumber: issue.number,
      body: field<string>(ctx.body, 'body') ?? '',
      user: ctx.user,
      createdAt: now,
      updatedAt: now,
    };
    ctx.state.comments.push(comment);
    issue.updatedAt = now;
    const out = ctx.objects.comment(comment);
    return json(201, out, { location: String(out.url) });
  },

  'issues/list-comments': (ctx) => {
    const issue = findIssue(ctx);
    if (!issue) return notFound(ctx.documentationUrl);
    const since = typeof ctx.params.since === 'string' ? normalizeTime(ctx.params.since) : undefined;
    const comments = ctx.state.comments.filter(
      (c) => c.issueNumber === issue.number && (since === undefined || c.updatedAt >= since),
    );
    return paginate(ctx, comments.map((c) => ctx.objects.comment(c)));
  },

  'issues/get-comment': (ctx) => {
    const comment = findComment(ctx);
    return comment ? json(200, ctx.objects.comment(comment)) : notFound(ctx.documentationUrl);
  },

  'issues/update-comment': (ctx) => {
    const comment = findComment(ctx);
    if (!comment) return notFound(ctx.documentationUrl);
    comment.body = field<string>(ctx.body, 'body') ?? comment.body;
    comment.updatedAt = ctx.state.now();
    return json(200, ctx.objects.comment(comment));
  },

  'issues/delete-comment': (ctx) => {
    const comment = findComment(ctx);
    if (!comment) return notFound(ctx.documentationUrl);
    ctx.state.comments.splice(ctx.state.comments.indexOf(comment), 1);
    return noContent();
  },
};
