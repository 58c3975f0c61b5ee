import { FerryError, problem, type ErrorCode } from '@ferry/core';
import type { CredentialLookup, Credentials } from './credentials.js';
import { apiHost, isLoopback } from './reference.js';

export interface RetryOptions {
  /** Tries in all, the first included (default 4). */
  attempts?: number;
  /** First back-off in ms, doubled each time, with jitter (default 250). */
  baseDelayMs?: number;
  /** Longest single wait in ms, `Retry-After` included (default 30,000). */
  maxDelayMs?: number;
}

export interface TransportOptions {
  credentials?: CredentialLookup;
  /**
   * Registries ("localhost:5000") spoken to over plain http://. Only loopback
   * hosts are accepted; everything else is https, always.
   */
  insecure?: readonly string[];
  retry?: RetryOptions;
  /** Per request, until the response headers (default 60 s); blob bodies stream without it. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  debug?: (message: string) => void;
  userAgent?: string;
}

export interface RequestSpec {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
  registry: string;
  /** A path under the registry (`/v2/…`) or an absolute URL the registry gave (upload `Location`). */
  path: string;
  /** Token scopes the request needs, e.g. `repository:acme/etl:pull`. */
  scopes: string[];
  headers?: Record<string, string>;
  body?: Buffer;
  /** Statuses the caller handles; anything else becomes a FerryError. */
  expect: number[];
  /** What is asked for, for messages ("manifest ghcr.io/acme/etl:1.4"). */
  what: string;
  /** The body is streamed by the caller: no timeout after the headers. */
  stream?: boolean;
}

interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

type AuthState = { scheme: 'none' } | { scheme: 'basic'; realm?: string } | { scheme: 'bearer'; realm: string; service?: string };

const RETRY_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

/** `repository:acme/etl:pull,push` → resource and actions. */
function splitScope(scope: string): { resource: string; actions: string[] } {
  const i = scope.lastIndexOf(':');
  return i < 0 ? { resource: scope, actions: [] } : { resource: scope.slice(0, i), actions: scope.slice(i + 1).split(',').filter(Boolean) };
}

/** Scopes merged per resource, actions united and sorted: the cache key of a token. */
export function mergeScopes(...lists: string[][]): string[] {
  const by = new Map<string, Set<string>>();
  for (const s of lists.flat()) {
    const { resource, actions } = splitScope(s);
    const set = by.get(resource) ?? new Set<string>();
    actions.forEach((a) => set.add(a));
    by.set(resource, set);
  }
  return [...by.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([r, a]) => `${r}:${[...a].sort().join(',')}`);
}

/**
 * RFC 7235 challenges: `Bearer realm="…",service="…",scope="…", Basic realm="…"`.
 * Several challenges may share one header (fetch joins repeated headers with ", ").
 */
export function parseChallenges(header: string | null): Challenge[] {
  if (!header) return [];
  const out: Challenge[] = [];
  const re = /\s*([A-Za-z][A-Za-z0-9_-]*)(?:\s+|$)|\s*([A-Za-z0-9_.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?/y;
  let i = 0;
  let current: Challenge | undefined;
  while (i < header.length) {
    re.lastIndex = i;
    const m = re.exec(header);
    if (!m || m[0] === '') {
      i++;
      continue;
    }
    i = re.lastIndex;
    if (m[2] !== undefined && current) current.params[m[2].toLowerCase()] = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : (m[4] ?? '');
    else if (m[1] !== undefined) {
      // `Bearer` followed by a parameter: a new challenge; a bare word after "," also is one.
      current = { scheme: m[1].toLowerCase(), params: {} };
      out.push(current);
    }
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * HTTP to OCI registries: base URL per registry, the auth handshake
 * (anonymous, Basic, and the Bearer token challenge flow of
 * distribution/GHCR/Docker Hub/ECR, tokens cached per registry and scope),
 * and retries with exponential back-off and jitter on 408/429/5xx and
 * network errors, honouring `Retry-After` (a small loop, no library).
 */
export class Transport {
  private readonly insecure: Set<string>;
  private readonly auth = new Map<string, Promise<AuthState>>();
  private readonly tokens = new Map<string, { token: Promise<string>; expires: number }>();
  private readonly fetch: typeof fetch;
  private readonly debug: (m: string) => void;
  /** Token requests made (each cache miss); for tests and debugging. */
  tokenRequests = 0;

  constructor(private readonly opts: TransportOptions = {}) {
    for (const r of opts.insecure ?? []) {
      if (!isLoopback(r)) {
        throw new FerryError(problem('FERRY_REGISTRY_INSECURE', `registry ${r} cannot be used over plain http: only registries on this machine (localhost, 127.0.0.0/8, [::1]) may be`));
      }
    }
    this.insecure = new Set((opts.insecure ?? []).map((r) => r.toLowerCase()));
    this.fetch = opts.fetch ?? globalThis.fetch;
    this.debug = opts.debug ?? (() => {});
  }

  baseUrl(registry: string): string {
    return `${this.insecure.has(registry.toLowerCase()) ? 'http' : 'https'}://${apiHost(registry)}`;
  }

  credentials(registry: string): Credentials | undefined {
    return this.opts.credentials?.(registry);
  }

  async request(spec: RequestSpec): Promise<Response> {
    const state = await this.authState(spec.registry);
    let scopes = spec.scopes;
    let authorization = await this.authorization(spec.registry, state, scopes, false);
    let res = await this.send(spec, authorization);
    if (res.status === 401) {
      const challenges = parseChallenges(res.headers.get('www-authenticate'));
      const bearer = challenges.find((c) => c.scheme === 'bearer');
      const basic = challenges.find((c) => c.scheme === 'basic');
      await res.body?.cancel().catch(() => {});
      let retry = false;
      if (bearer?.params.realm) {
        const next: AuthState = { scheme: 'bearer', realm: bearer.params.realm, service: bearer.params.service };
        this.auth.set(spec.registry, Promise.resolve(next));
        if (bearer.params.error === 'insufficient_scope' && authorization && bearer.params.scope && mergeScopes(scopes).join(' ') === mergeScopes(scopes, bearer.params.scope.split(' ')).join(' ')) {
          // The token already asked for everything the registry wants: asking again gives the same answer.
          this.fail(res.status, spec, bearer, undefined);
        }
        scopes = mergeScopes(scopes, bearer.params.scope ? bearer.params.scope.split(' ') : []);
        authorization = await this.authorization(spec.registry, next, scopes, true);
        retry = true;
      } else if (basic && !authorization?.startsWith('Basic ')) {
        this.auth.set(spec.registry, Promise.resolve({ scheme: 'basic', realm: basic.params.realm }));
        authorization = await this.authorization(spec.registry, { scheme: 'basic' }, scopes, true);
        retry = authorization !== undefined;
      }
      if (retry) res = await this.send(spec, authorization);
    }
    if (spec.expect.includes(res.status)) return res;
    const challenge = parseChallenges(res.headers.get('www-authenticate')).find((c) => c.scheme === 'bearer' || c.scheme === 'basic');
    const body = spec.method === 'HEAD' ? undefined : await res.text().catch(() => undefined);
    return this.fail(res.status, spec, challenge, body);
  }

  /** What the registry wants (learned once per registry from `GET /v2/`). */
  private authState(registry: string): Promise<AuthState> {
    let p = this.auth.get(registry);
    if (!p) {
      p = this.ping(registry);
      this.auth.set(registry, p);
      p.catch(() => this.auth.delete(registry));
    }
    return p;
  }

  private async ping(registry: string): Promise<AuthState> {
    const res = await this.send({ method: 'GET', registry, path: '/v2/', scopes: [], expect: [], what: `registry ${registry}` }, undefined);
    await res.body?.cancel().catch(() => {});
    if (res.status === 200) return { scheme: 'none' };
    if (res.status === 401) {
      const cs = parseChallenges(res.headers.get('www-authenticate'));
      const bearer = cs.find((c) => c.scheme === 'bearer' && c.params.realm);
      if (bearer) return { scheme: 'bearer', realm: bearer.params.realm!, service: bearer.params.service };
      const basic = cs.find((c) => c.scheme === 'basic');
      if (basic) return { scheme: 'basic', realm: basic.params.realm };
      return { scheme: 'none' };
    }
    if (res.status === 404) {
      throw new FerryError(problem('FERRY_REGISTRY_HTTP', `${this.baseUrl(registry)}/v2/ answered 404: ${registry} does not serve the OCI distribution API there`));
    }
    // Some registries answer /v2/ oddly but serve the API; let the real request tell.
    this.debug(`registry ${registry}: GET /v2/ answered ${res.status}`);
    return { scheme: 'none' };
  }

  private async authorization(registry: string, state: AuthState, scopes: string[], fresh: boolean): Promise<string | undefined> {
    if (state.scheme === 'none') return undefined;
    const creds = this.credentials(registry);
    if (state.scheme === 'basic') return creds ? `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}` : undefined;
    return `Bearer ${await this.token(registry, state, scopes, fresh)}`;
  }

  /**
   * A bearer token for exactly these scopes, from the cache unless `fresh`.
   * Requests in flight share one token request (parallel blob copies ask at once).
   */
  private token(registry: string, state: Extract<AuthState, { scheme: 'bearer' }>, scopes: string[], fresh: boolean): Promise<string> {
    const merged = mergeScopes(scopes);
    const key = `${registry}\n${state.realm}\n${state.service ?? ''}\n${merged.join(' ')}`;
    const hit = this.tokens.get(key);
    if (hit && !fresh && hit.expires > Date.now()) return hit.token;
    const entry: { token: Promise<string>; expires: number } = { token: Promise.resolve(''), expires: Number.POSITIVE_INFINITY };
    entry.token = this.fetchToken(registry, state, merged).then(
      ({ token, lifetimeMs }) => {
        entry.expires = Date.now() + lifetimeMs - 5_000;
        return token;
      },
      (e: unknown) => {
        if (this.tokens.get(key) === entry) this.tokens.delete(key);
        throw e;
      },
    );
    this.tokens.set(key, entry);
    return entry.token;
  }

  private async fetchToken(registry: string, state: Extract<AuthState, { scheme: 'bearer' }>, merged: string[]): Promise<{ token: string; lifetimeMs: number }> {
    const url = new URL(state.realm);
    if (url.protocol === 'http:' && !isLoopback(url.host)) {
      throw new FerryError(problem('FERRY_REGISTRY_INSECURE', `registry ${registry} sends ferry to a token service over plain http (${url.origin}); ferry sends credentials over https only`));
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new FerryError(problem('FERRY_REGISTRY_HTTP', `registry ${registry} names a token service that is not a web address: ${state.realm}`));
    if (state.service) url.searchParams.set('service', state.service);
    for (const s of merged) url.searchParams.append('scope', s);
    const creds = this.credentials(registry);
    if (creds) url.searchParams.set('account', creds.username);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (creds) headers.authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString('base64')}`;
    this.tokenRequests++;
    this.debug(`registry ${registry}: token for ${merged.join(' ') || '(no scope)'} from ${url.origin}${url.pathname}`);
    const res = await this.withRetry(`token service of ${registry}`, () => this.fetch(url, { headers, signal: AbortSignal.timeout(this.opts.timeoutMs ?? 60_000) }));
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel().catch(() => {});
      const who = creds ? `the credentials of user "${creds.username}" (from ${creds.source})` : 'anonymous access';
      throw new FerryError(
        problem('FERRY_REGISTRY_UNAUTHORIZED', `the token service of ${registry} (${url.origin}${url.pathname}) refused ${who} for ${merged.join(' ') || 'the registry'} (HTTP ${res.status})`, creds ? {} : { hint: credentialsHint(registry) }),
      );
    }
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      throw new FerryError(problem('FERRY_REGISTRY_HTTP', `the token service of ${registry} answered HTTP ${res.status}${text ? `: ${clip(text)}` : ''}`));
    }
    const body = (await res.json().catch(() => ({}))) as { token?: string; access_token?: string; expires_in?: number };
    const token = body.token ?? body.access_token;
    if (!token) throw new FerryError(problem('FERRY_REGISTRY_HTTP', `the token service of ${registry} answered without a token`));
    // The spec's default lifetime is 60 s; keep a margin for clock skew and slow requests.
    return { token, lifetimeMs: Math.max(10, Number(body.expires_in) || 60) * 1000 };
  }

  private async send(spec: RequestSpec, authorization: string | undefined): Promise<Response> {
    const url = /^https?:\/\//.test(spec.path) ? new URL(spec.path) : new URL(spec.path, this.baseUrl(spec.registry));
    const base = new URL(this.baseUrl(spec.registry));
    // An upload Location on another origin (a storage redirect) gets no registry credentials.
    const sameOrigin = url.origin === base.origin;
    if (url.protocol === 'http:' && !isLoopback(url.host)) {
      throw new FerryError(problem('FERRY_REGISTRY_INSECURE', `registry ${spec.registry} sent ferry to ${url.origin} over plain http`));
    }
    const headers: Record<string, string> = { 'user-agent': this.opts.userAgent ?? 'ferry', ...spec.headers };
    if (authorization && sameOrigin) headers.authorization = authorization;
    this.debug(`${spec.method} ${url.pathname}${url.search ? '?…' : ''} (${spec.registry})`);
    return this.withRetry(spec.what, () =>
      this.fetch(url, {
        method: spec.method,
        headers,
        body: spec.body,
        redirect: 'follow',
        ...(spec.stream ? {} : { signal: AbortSignal.timeout(this.opts.timeoutMs ?? 60_000) }),
      }),
    );
  }

  /** Runs `call` until it gives a response that is not worth retrying, or tries run out. */
  private async withRetry(what: string, call: () => Promise<Response>): Promise<Response> {
    const attempts = Math.max(1, this.opts.retry?.attempts ?? 4);
    const base = this.opts.retry?.baseDelayMs ?? 250;
    const max = this.opts.retry?.maxDelayMs ?? 30_000;
    for (let attempt = 1; ; attempt++) {
      let res: Response | undefined;
      let error: unknown;
      try {
        res = await call();
      } catch (e) {
        error = e;
      }
      const last = attempt >= attempts;
      if (res && (!RETRY_STATUSES.has(res.status) || last)) return res;
      if (!res && last) {
        const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
        const why = cause?.code ?? cause?.message ?? (error as Error)?.message ?? String(error);
        throw new FerryError(problem('FERRY_REGISTRY_HTTP', `${what}: the registry could not be reached (${why})${attempts > 1 ? ` after ${attempts} tries` : ''}`));
      }
      let wait = Math.min(max, base * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
      const after = res?.headers.get('retry-after');
      if (after) {
        const secs = /^\d+$/.test(after) ? Number(after) * 1000 : Date.parse(after) - Date.now();
        if (Number.isFinite(secs) && secs >= 0) wait = Math.min(max, secs);
      }
      await res?.body?.cancel().catch(() => {});
      this.debug(`${what}: ${res ? `HTTP ${res.status}` : (error as Error)?.message}; retrying in ${Math.round(wait)} ms (${attempt}/${attempts})`);
      await sleep(wait);
    }
  }

  private fail(status: number, spec: RequestSpec, challenge: Challenge | undefined, body: string | undefined): never {
    const errors = registryErrors(body);
    const codes = errors.map((e) => e.code).filter(Boolean);
    const detail = errors.length ? `: ${errors.map((e) => [e.code, e.message].filter(Boolean).join(' ')).join('; ')}` : '';
    const creds = this.credentials(spec.registry);
    const scope = mergeScopes(spec.scopes).join(' ');
    const who = creds ? `user "${creds.username}" (from ${creds.source})` : 'anonymous access';
    let code: ErrorCode = 'FERRY_REGISTRY_HTTP';
    let message = `${spec.what}: ${spec.method} answered HTTP ${status}${detail}`;
    let hint: string | undefined;
    if (status === 401 && challenge?.params.error === 'insufficient_scope' && creds) {
      code = 'FERRY_REGISTRY_DENIED';
      message = `${spec.what}: ${spec.registry} denies ${who} ${scope || 'this access'} (insufficient_scope)`;
    } else if (status === 401) {
      code = 'FERRY_REGISTRY_UNAUTHORIZED';
      message = creds
        ? `${spec.what}: ${spec.registry} rejected the credentials of ${who} for ${scope || 'this request'}${detail}`
        : `${spec.what}: ${spec.registry} needs credentials for ${scope || 'this request'}, and none were found`;
      hint = creds ? 'Check the username and password (or token) for this registry; a token also needs the right scopes (read:packages / write:packages for GHCR).' : credentialsHint(spec.registry);
    } else if (status === 403 || codes.includes('DENIED')) {
      code = 'FERRY_REGISTRY_DENIED';
      message = `${spec.what}: ${spec.registry} denies ${who} ${scope || 'this access'}${detail}`;
    } else if (status === 404) {
      code = 'FERRY_REGISTRY_NOT_FOUND';
      message = `${spec.what}: not found in ${spec.registry}${detail}`;
    } else if (RETRY_STATUSES.has(status)) {
      message += ` (gave up after ${this.opts.retry?.attempts ?? 4} tries)`;
    }
    throw new FerryError(problem(code, message, hint ? { hint } : {}));
  }
}

export function credentialsHint(registry: string): string {
  const key = registry.toUpperCase().replace(/[^A-Z0-9]/g, '_');
  return `Set FERRY_REGISTRY_${key}_USERNAME and FERRY_REGISTRY_${key}_PASSWORD for the step, or log in first (docker login ${registry}, or docker/login-action), which writes ~/.docker/config.json.`;
}

/** The `errors` array of a distribution error body. */
function registryErrors(body: string | undefined): { code?: string; message?: string }[] {
  if (!body) return [];
  try {
    const parsed = JSON.parse(body) as { errors?: { code?: string; message?: string }[] };
    return Array.isArray(parsed.errors) ? parsed.errors.map((e) => ({ code: e.code, message: e.message })) : [];
  } catch {
    return [{ message: clip(body) }];
  }
}

function clip(s: string): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > 200 ? `${t.slice(0, 197)}...` : t;
}
