/**
 * What route handlers receive and return, and the GitHub-shaped answers they
 * share: errors, pagination.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Representer } from './objects.js';
import type { GitHubState, UserRecord } from './state.js';

export interface RouteContext {
  state: GitHubState;
  objects: Representer;
  /** Path and query parameters, already validated and type-coerced against the spec. */
  params: Record<string, unknown>;
  /** Parsed JSON body (or the raw Buffer for binary uploads); undefined when none was sent. */
  body: unknown;
  headers: IncomingHttpHeaders;
  /** The user the request's token belongs to. */
  user: UserRecord;
  /** Absolute request URL, used to build pagination links. */
  url: URL;
  /** The operation's documentation page, echoed in error bodies as GitHub does. */
  documentationUrl: string;
}

export interface RouteResult {
  status: number;
  /** JSON body; omitted for 204/302. */
  body?: unknown;
  headers?: Record<string, string>;
  /** A non-JSON body (asset downloads). Not validated against the spec. */
  raw?: { data: Buffer; contentType: string };
}

export type RouteHandler = (ctx: RouteContext) => RouteResult;

/** Handlers keyed by the spec's operationId (e.g. `repos/create-deployment`). */
export type RouteTable = Record<string, RouteHandler>;

export const GENERIC_DOCS = 'https://docs.github.com/rest';

export function json(status: number, body: unknown, headers?: Record<string, string>): RouteResult {
  return { status, body, headers };
}

export function noContent(): RouteResult {
  return { status: 204 };
}

export function notFound(documentationUrl = GENERIC_DOCS): RouteResult {
  return json(404, { message: 'Not Found', documentation_url: documentationUrl, status: '404' });
}

export interface FieldError {
  resource: string;
  code: 'missing' | 'missing_field' | 'invalid' | 'already_exists' | 'unprocessable' | 'custom';
  field?: string;
  message?: string;
}

/** GitHub's 422: `{message: "Validation Failed", errors: [...]}`. */
export function validationFailed(ctx: Pick<RouteContext, 'documentationUrl'>, errors: FieldError[]): RouteResult {
  return json(422, {
    message: 'Validation Failed',
    errors,
    documentation_url: ctx.documentationUrl,
    status: '422',
  });
}

/** A 422 with only a message, as the git endpoints answer ("Reference already exists"). */
export function unprocessable(ctx: Pick<RouteContext, 'documentationUrl'>, message: string): RouteResult {
  return json(422, { message, documentation_url: ctx.documentationUrl, status: '422' });
}

export const DEFAULT_PER_PAGE = 30;
export const MAX_PER_PAGE = 100;

/**
 * One page of `items` with GitHub's `Link` header (first/prev/next/last).
 * `per_page` defaults to 30 and is capped at 100, as on GitHub.
 */
export function paginate(ctx: RouteContext, items: readonly unknown[]): RouteResult {
  const perPage = Math.min(Math.max(Number(ctx.params.per_page ?? DEFAULT_PER_PAGE) || DEFAULT_PER_PAGE, 1), MAX_PER_PAGE);
  const page = Math.max(Number(ctx.params.page ?? 1) || 1, 1);
  const lastPage = Math.max(Math.ceil(items.length / perPage), 1);
  const pageItems = items.slice((page - 1) * perPage, page * perPage);

  const link = (n: number, rel: string): string => {
    const url = new URL(ctx.url);
    url.searchParams.set('per_page', String(perPage));
    url.searchParams.set('page', String(n));
    return `<${url.toString()}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (page > 1) links.push(link(Math.min(page - 1, lastPage), 'prev'));
  if (page < lastPage) links.push(link(page + 1, 'next'), link(lastPage, 'last'));
  if (page > 1) links.push(link(1, 'first'));
  return json(200, pageItems, links.length ? { link: links.join(', ') } : undefined);
}

/** Reads a string field of a JSON body (the spec has already checked its type). */
export function field<T>(body: unknown, name: string): T | undefined {
  return body && typeof body === 'object' ? ((body as Record<string, unknown>)[name] as T | undefined) : undefined;
}
