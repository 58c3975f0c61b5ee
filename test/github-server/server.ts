/**
 * The HTTP server: authenticates, finds the operation in GitHub's OpenAPI
 * description, validates the request, runs the route, validates the
 * response, and records both requests and violations for tests.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GENERIC_DOCS, json, notFound, validationFailed, type FieldError, type RouteContext, type RouteResult } from './http.js';
import { Representer } from './objects.js';
import { OpenApiValidator, formatErrors, type Problem, type Violation, type ViolationWhere } from './openapi-validator.js';
import type { IndexedOperation } from './openapi-router.js';
import { routes } from './routes/index.js';
import { seedRunDeployment } from './routes/deployments.js';
import { serveDownload } from './routes/releases.js';
import { loadSpec } from './spec.js';
import {
  GITHUB_ACTIONS_BOT,
  GitHubState,
  type ApprovalSeed,
  type RepositoryRole,
  type TeamMemberSeed,
  type DeploymentRecord,
  type UserRecord,
} from './state.js';

export interface GitHubServerOptions {
  owner: string;
  repo: string;
  /** The token clients must send (`Authorization: token …` or `Bearer …`). */
  token: string;
  /** Login the main token acts as. Default `github-actions[bot]`, like a workflow's GITHUB_TOKEN. */
  tokenUser?: string;
  /** Extra tokens → the login each acts as (e.g. a reviewer's PAT). */
  tokens?: Record<string, string>;
  defaultBranch?: string;
  /** Default 127.0.0.1 and a free port. */
  host?: string;
  port?: number;
  /** Clock for every timestamp (created_at, since filters...). */
  now?: () => Date;
}

export interface RequestLogEntry {
  method: string;
  /** Path without the query string, e.g. `/repos/acme/data/deployments`. */
  path: string;
  /** The query string including `?`, or ''. */
  query: string;
  status: number;
  /** The spec's operationId, or null when no operation matched (or a download URL). */
  operationId: string | null;
}

/** Test-only: rewrites a response body before it is validated and sent. */
export type ResponseTamper = (body: unknown, info: { operationId: string; status: number }) => unknown;

const RATE_LIMIT = 5000;

/** One validator (parsed spec + compiled schemas) per process: it is the slow part. */
let sharedValidator: OpenApiValidator | undefined;
function validator(): OpenApiValidator {
  sharedValidator ??= new OpenApiValidator(loadSpec());
  return sharedValidator;
}

export class GitHubServer {
  readonly state: GitHubState;
  readonly requests: RequestLogEntry[] = [];
  readonly violations: Violation[] = [];
  /** How long startGitHubServer took (spec load on first use, indexing, listen). */
  startupMs = 0;

  private readonly validator = validator();
  private readonly tokens = new Map<string, UserRecord>();
  private readonly tampers = new Map<string, ResponseTamper>();
  private readonly http: Server;
  private objects!: Representer;
  private baseUrl = '';
  private rateLimitUsed = 0;
  private readonly rateLimitReset = Math.floor(Date.now() / 1000) + 3600;

  constructor(private readonly options: GitHubServerOptions) {
    this.state = new GitHubState({
      owner: options.owner,
      repo: options.repo,
      defaultBranch: options.defaultBranch,
      now: options.now,
    });
    this.tokens.set(options.token, options.tokenUser ? this.state.user(options.tokenUser) : GITHUB_ACTIONS_BOT);
    for (const [token, login] of Object.entries(options.tokens ?? {})) this.tokens.set(token, this.state.user(login));
    this.http = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        // Only reached on a bug in the server itself (handlers' errors are caught below).
        res.statusCode = 500;
        res.end(String(error));
      });
    });
  }

  /** Base URL: use as Octokit's `baseUrl` and as GITHUB_API_URL. */
  get url(): string {
    return this.baseUrl;
  }

  /** Number of operations in the description (the router's index). */
  get specOperations(): number {
    return this.validator.router.operationCount;
  }

  /** The operationIds this fake implements. */
  get implementedOperations(): string[] {
    return Object.keys(routes).sort();
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => resolve());
    });
    const address = this.http.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.baseUrl = `http://${host}:${address.port}`;
    this.objects = new Representer(this.state, this.baseUrl);
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve());
      // Clients keep connections alive; do not wait for them to time out.
      this.http.closeAllConnections();
    });
  }

  /**
   * What GitHub does when a job runs under `environment:`: a deployment by
   * github-actions[bot] (task "deploy", payload {}) with an `in_progress`
   * status whose log/target URL is the job's page.
   */
  seedRunDeployment(input: { environment: string; sha: string; ref?: string; runId: number }): DeploymentRecord {
    return seedRunDeployment(this.state, input);
  }

  /** Reviews returned by GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals (replaces earlier ones). */
  seedRunApprovals(runId: number, approvals: ApprovalSeed[]): void {
    this.state.runApprovals.set(
      runId,
      approvals.map((a) => ({
        environments: Array.isArray(a.environments) ? a.environments : [a.environments],
        state: a.state,
        user: this.state.user(a.user),
        comment: a.comment ?? '',
        createdAt: this.state.now(),
      })),
    );
  }

  /** Members of `@org/team_slug` (GET /orgs/{org}/teams/{team_slug}/memberships/{username}); replaces earlier ones. */
  seedTeam(org: string, slug: string, members: TeamMemberSeed[]): void {
    this.state.teams.set(
      `${org}/${slug}`.toLowerCase(),
      new Map(members.map((m) => (typeof m === 'string' ? { login: m } : m)).map((m) => [m.login.toLowerCase(), { role: m.role ?? 'member', state: m.state ?? 'active' }])),
    );
  }

  /** The role `login` has on the repository (GET /collaborators/{username}/permission); replaces an earlier one. */
  seedPermission(login: string, role: RepositoryRole): void {
    this.state.permissions.set(login.toLowerCase(), role);
  }

  /** A commit whose author is the GitHub user `author` (null: an email linked to no account), for GET /commits/{ref}. */
  seedCommit(sha: string, input: { author: string | null; message?: string }): void {
    this.state.commits.set(sha.toLowerCase(), {
      sha: sha.toLowerCase(),
      message: input.message ?? 'change',
      author: input.author ? this.state.user(input.author) : null,
      authorName: input.author ?? 'Someone',
      authorEmail: input.author ? `${input.author}@users.noreply.github.com` : 'someone@example.com',
      date: this.state.now(),
    });
  }

  /**
   * Test-only hook: rewrite the JSON body of every response to `operationId`
   * (before validation), e.g. to prove the response validator catches a
   * broken object. Returns a function that removes the hook.
   */
  tamper(operationId: string, fn: ResponseTamper): () => void {
    this.tampers.set(operationId, fn);
    return () => this.tampers.delete(operationId);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', this.baseUrl);
    const raw = await readBody(req);

    // Asset downloads live on other hosts at GitHub (no token, not in the REST description).
    if (url.pathname.startsWith('/_downloads/')) {
      const result = (method === 'GET' && serveDownload(this.state, url.pathname)) || notFound();
      this.send(req, res, url, undefined, result);
      return;
    }

    const match = this.validator.router.match(method, url.pathname);
    const op = match?.op;
    const violation = (where: ViolationWhere, problem: Problem): void => {
      this.violations.push({ operationId: op?.operationId ?? null, method, path: url.pathname, where, ...problem });
    };

    const user = this.authenticate(req.headers.authorization);
    if (!user) {
      this.send(req, res, url, op, json(401, { message: 'Bad credentials', documentation_url: GENERIC_DOCS, status: '401' }));
      return;
    }
    if (!match || !op) {
      violation('route', { message: `no operation in GitHub's description matches ${method} ${url.pathname}`, errors: [] });
      this.send(req, res, url, undefined, notFound());
      return;
    }
    const documentationUrl = op.operation.externalDocs?.url ?? GENERIC_DOCS;
    const handler = routes[op.operationId];
    if (!handler) {
      violation('unimplemented', { message: `${op.operationId} exists in the description but this fake does not implement it`, errors: [] });
      this.send(req, res, url, op, notFound(documentationUrl));
      return;
    }

    const params = this.validator.validateParameters(op, match.pathParams, url.searchParams);
    if (params.path.problems.length) {
      // A path that does not fit the parameter types (`/deployments/abc`) is simply not found on GitHub.
      params.path.problems.forEach((p) => violation('path', p));
      this.send(req, res, url, op, notFound(documentationUrl));
      return;
    }
    if (params.query.unknownQuery.length) {
      // GitHub ignores unknown query parameters, so only report them.
      violation('query', { message: `undeclared query parameter(s): ${params.query.unknownQuery.join(', ')}`, errors: [] });
    }
    if (params.query.problems.length) {
      params.query.problems.forEach((p) => violation('query', p));
      this.send(req, res, url, op, validationFailed({ documentationUrl }, toFieldErrors(params.query.problems)));
      return;
    }
    const values = { ...params.query.values, ...params.path.values };
    if (!this.isOurRepo(values)) {
      this.send(req, res, url, op, notFound(documentationUrl));
      return;
    }

    let body: unknown;
    if (raw.length > 0) {
      if (this.validator.takesBinaryBody(op)) body = raw;
      else {
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          violation('body', { message: 'request body is not valid JSON', errors: [] });
          this.send(req, res, url, op, json(400, { message: 'Problems parsing JSON', documentation_url: documentationUrl, status: '400' }));
          return;
        }
      }
    }
    const bodyProblems = this.validator.validateRequestBody(op, req.headers['content-type'], body);
    if (bodyProblems.length) {
      bodyProblems.forEach((p) => violation('body', p));
      this.send(req, res, url, op, validationFailed({ documentationUrl }, toFieldErrors(bodyProblems)));
      return;
    }

    const ctx: RouteContext = {
      state: this.state,
      objects: this.objects,
      params: values,
      body,
      headers: req.headers,
      user,
      url,
      documentationUrl,
    };
    let result: RouteResult;
    try {
      result = handler(ctx);
    } catch (error) {
      violation('server', { message: `route ${op.operationId} threw: ${(error as Error).stack ?? String(error)}`, errors: [] });
      result = json(500, { message: `fake GitHub server error: ${String(error)}`, documentation_url: documentationUrl, status: '500' });
    }
    this.send(req, res, url, op, result);
  }

  /** Writes the result; JSON bodies are tampered (tests), ETagged, validated and logged. */
  private send(req: IncomingMessage, res: ServerResponse, url: URL, op: IndexedOperation | undefined, result: RouteResult): void {
    const method = (req.method ?? 'GET').toUpperCase();
    let status = result.status;
    let body = result.body;
    const tamper = op && this.tampers.get(op.operationId);
    if (tamper && body !== undefined) body = tamper(structuredClone(body), { operationId: op.operationId, status });

    const headers: Record<string, string> = { ...this.commonHeaders(), ...result.headers };
    let payload: Buffer | undefined;
    if (result.raw) {
      payload = result.raw.data;
      headers['content-type'] = result.raw.contentType;
    } else if (body !== undefined) {
      payload = Buffer.from(JSON.stringify(body));
      headers['content-type'] = 'application/json; charset=utf-8';
      if (method === 'GET' && status === 200) {
        // GitHub ETags every GET; a matching If-None-Match gets an empty 304
        // (which does not count against the rate limit).
        const etag = `W/"${createHash('sha1').update(payload).digest('hex')}"`;
        headers.etag = etag;
        const ifNoneMatch = req.headers['if-none-match'];
        if (ifNoneMatch && ifNoneMatch.split(',').some((t) => t.trim() === etag || t.trim() === '*')) {
          status = 304;
          body = undefined;
          payload = undefined;
          delete headers['content-type'];
        }
      }
    }

    if (status !== 304) this.rateLimitUsed++;
    headers['x-ratelimit-remaining'] = String(Math.max(RATE_LIMIT - this.rateLimitUsed, 0));
    headers['x-ratelimit-used'] = String(this.rateLimitUsed);

    if (op && !result.raw) {
      for (const problem of this.validator.validateResponse(op, status, headers['content-type'], body)) {
        this.violations.push({ operationId: op.operationId, method, path: url.pathname, where: 'response', status, ...problem });
      }
    }
    this.requests.push({ method, path: url.pathname, query: url.search, status, operationId: op?.operationId ?? null });

    if (payload) headers['content-length'] = String(payload.length);
    res.writeHead(status, headers);
    res.end(payload);
  }

  private commonHeaders(): Record<string, string> {
    return {
      'x-ratelimit-limit': String(RATE_LIMIT),
      'x-ratelimit-reset': String(this.rateLimitReset),
      'x-ratelimit-resource': 'core',
      'x-github-api-version-selected': '2022-11-28',
      'x-github-media-type': 'github.v3; format=json',
      'x-github-request-id': randomUUID().toUpperCase(),
    };
  }

  private authenticate(header: string | undefined): UserRecord | undefined {
    const token = /^(?:token|bearer)\s+(\S+)$/i.exec(header ?? '')?.[1];
    return token ? this.tokens.get(token) : undefined;
  }

  /** Owner and repo names are case-insensitive on GitHub. */
  private isOurRepo(params: Record<string, unknown>): boolean {
    const { owner, repo } = params;
    if (owner === undefined && repo === undefined) return true;
    return (
      String(owner).toLowerCase() === this.state.owner.toLowerCase() &&
      String(repo).toLowerCase() === this.state.repo.toLowerCase()
    );
  }
}

/** ajv errors → GitHub's `errors` array in a 422. */
function toFieldErrors(problems: Problem[]): FieldError[] {
  return problems.flatMap((problem): FieldError[] => {
    if (problem.errors.length === 0) return [{ resource: 'Request', code: 'invalid', message: problem.message }];
    return problem.errors.map((error): FieldError => {
      const missing = error.keyword === 'required' ? (error.params as { missingProperty?: string }).missingProperty : undefined;
      const fieldPath = [error.instancePath.replace(/^\//, '').replace(/\//g, '.'), missing].filter(Boolean).join('.');
      const out: FieldError = {
        resource: 'Request',
        code: missing ? 'missing_field' : 'invalid',
        message: formatErrors([error])[0] ?? problem.message,
      };
      if (fieldPath) out.field = fieldPath;
      return out;
    });
  });
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
