/**
 * The HTTP layer both API versions share: Node's fetch, JSON in and out, a
 * per-request timeout, a small retry with exponential backoff for answers that
 * mean "not processed, try again" (429, 502, 503, 504: honouring Retry-After)
 * and for network errors on requests that are safe to repeat, and Airflow's
 * error bodies turned into FerryErrors that say which call failed and why.
 */
import { FerryError, problem, type ErrorCode } from '@ferry/core';

export type Fetch = typeof fetch;
export type Sleep = (ms: number) => Promise<void>;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export interface HttpOptions {
  /** Base URL of the Airflow webserver / API server (no trailing slash). */
  baseUrl: string;
  fetch?: Fetch;
  sleep?: Sleep;
  /** Per-request timeout in ms (default 30 s). */
  timeoutMs?: number;
  /** Retries after the first attempt (default 3: waits of 0.5, 1 and 2 s). */
  retries?: number;
}

export interface Request {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Path below the base URL, starting with `/` (query string included). */
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Response<T = unknown> {
  status: number;
  /** Parsed JSON, or the text when the answer is not JSON; undefined when empty. */
  body: T;
  contentType: string;
}

const RETRY_STATUSES = new Set([429, 502, 503, 504]);

export class Http {
  readonly baseUrl: string;
  private readonly fetch: Fetch;
  readonly sleep: Sleep;
  private readonly timeoutMs: number;
  private readonly retries: number;

  constructor(options: HttpOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetch = options.fetch ?? globalThis.fetch;
    this.sleep = options.sleep ?? realSleep;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.retries = options.retries ?? 3;
  }

  /** Sends one request (retrying where that is safe) and returns whatever status came back. */
  async send<T = unknown>(req: Request): Promise<Response<T>> {
    const url = this.baseUrl + req.path;
    const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
    if (req.body !== undefined) headers['content-type'] = 'application/json';
    for (let attempt = 0; ; attempt++) {
      let res: globalThis.Response;
      try {
        res = await this.fetch(url, {
          method: req.method,
          headers,
          body: req.body === undefined ? undefined : JSON.stringify(req.body),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
      } catch (e) {
        // A POST may have been processed before the connection broke: never repeat it blindly.
        if (req.method !== 'POST' && attempt < this.retries) {
          await this.sleep(backoff(attempt));
          continue;
        }
        const cause = (e as { cause?: { code?: string; message?: string } }).cause;
        const why = cause?.code ?? cause?.message ?? (e as Error).message;
        throw new FerryError(
          problem('FERRY_AIRFLOW_API', `${req.method} ${url} failed: ${why}${(e as Error).name === 'TimeoutError' ? ` (no answer within ${this.timeoutMs / 1000} s)` : ''}`),
        );
      }
      if (RETRY_STATUSES.has(res.status) && attempt < this.retries) {
        await res.arrayBuffer().catch(() => undefined);
        await this.sleep(retryAfter(res.headers.get('retry-after')) ?? backoff(attempt));
        continue;
      }
      const contentType = res.headers.get('content-type') ?? '';
      const text = await res.text();
      let body: unknown = text === '' ? undefined : text;
      if (text !== '' && /[/+]json/.test(contentType)) {
        try {
          body = JSON.parse(text);
        } catch {
          // Keep the text: the error message shows it.
        }
      }
      return { status: res.status, body: body as T, contentType };
    }
  }
}

function backoff(attempt: number): number {
  return 500 * 2 ** attempt;
}

/** Retry-After in seconds (capped at 30 s); HTTP dates are not worth the bother here. */
function retryAfter(value: string | null): number | undefined {
  if (!value || !/^\d+$/.test(value.trim())) return undefined;
  return Math.min(Number(value), 30) * 1000;
}

/**
 * What Airflow said, in one line: v1 answers RFC 7807 bodies
 * (`{title, detail, status, type}`), v2 FastAPI bodies (`{detail: string |
 * object}` or, for 422, `{detail: [{loc, msg, type}]}`).
 */
export function airflowDetail(body: unknown): string {
  if (typeof body === 'string') return body.slice(0, 300);
  if (!body || typeof body !== 'object') return '';
  const b = body as { title?: unknown; detail?: unknown };
  const detail = b.detail;
  if (Array.isArray(detail)) {
    return detail
      .map((d) => (d && typeof d === 'object' ? `${((d as { loc?: unknown[] }).loc ?? []).join('.')}: ${String((d as { msg?: unknown }).msg ?? '')}` : String(d)))
      .join('; ');
  }
  const text = typeof detail === 'string' ? detail : detail && typeof detail === 'object' ? JSON.stringify(detail) : '';
  const title = typeof b.title === 'string' ? b.title : '';
  return [title, text].filter(Boolean).join(': ').slice(0, 300);
}

/** A FerryError for an unexpected answer: authentication and permission problems get their own code. */
export function apiError(req: Pick<Request, 'method' | 'path'>, res: Response, what: string, baseUrl: string): FerryError {
  const detail = airflowDetail(res.body);
  const code: ErrorCode = res.status === 401 || res.status === 403 ? 'FERRY_AIRFLOW_AUTH' : 'FERRY_AIRFLOW_API';
  const why =
    res.status === 401
      ? 'Airflow did not accept the credentials'
      : res.status === 403
        ? 'the Airflow user lacks the permission for this'
        : `Airflow answered ${res.status}`;
  return new FerryError(problem(code, `${what}: ${why} (${req.method} ${baseUrl}${req.path.split('?')[0]} → ${res.status}${detail ? `: ${detail}` : ''})`));
}
