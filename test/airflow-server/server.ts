/**
 * The HTTP pipeline: find the operation in the API description, check
 * authentication, validate parameters and body, run the handler, validate
 * the answer, record requests and violations.
 *
 * Authentication, as the real servers do it:
 *  - Airflow 2 (`api: 'v1'`): HTTP basic auth against `users`, or a bearer
 *    token from `tokens` (Composer/OpenID-style). get_version is public (real
 *    Airflow 2 serves it without auth; the description's global `security`
 *    would say otherwise).
 *  - Airflow 3 (`api: 'v2'`): operations that declare `security` take a
 *    bearer token, issued by `POST /auth/token` for a user of `users`, or one
 *    of `tokens`; basic auth is not accepted. Operations without `security`
 *    (get_version, /auth/token itself) are public.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { formatErrors, OpenApiValidator, type IndexedOperation, type Problem, type Violation, type ViolationWhere } from './openapi.js';
import { Objects } from './objects.js';
import { DagProcessor, type ProcessorOptions } from './processor.js';
import { v1Error, v1Routes, v2Error, v2Routes, type RouteResult, type RouteTable } from './routes.js';
import { loadSpec, type SpecName } from './spec.js';
import { AirflowState } from './state.js';

export interface AirflowServerOptions extends ProcessorOptions {
  api: SpecName;
  /** username → password (basic auth on v1, /auth/token on v2). */
  users?: Record<string, string>;
  /** Bearer tokens accepted as they are. */
  tokens?: string[];
  now?: () => Date;
  /** Polls of a DAG run before it succeeds (default 2). */
  runPolls?: number;
  host?: string;
  port?: number;
}

export interface RequestLogEntry {
  method: string;
  path: string;
  query: string;
  status: number;
  operationId: string | null;
  /** What authenticated the request: `basic:<user>`, `bearer`, or none. */
  auth: string | null;
}

const validators = new Map<SpecName, OpenApiValidator>();
function validatorFor(api: SpecName): OpenApiValidator {
  let v = validators.get(api);
  if (!v) {
    v = new OpenApiValidator(loadSpec(api));
    validators.set(api, v);
  }
  return v;
}

/** Operations real Airflow 2 serves without authentication. */
const V1_PUBLIC = new Set(['get_version', 'get_health']);

export class AirflowServer {
  readonly state: AirflowState;
  readonly processor: DagProcessor;
  readonly requests: RequestLogEntry[] = [];
  readonly violations: Violation[] = [];
  private readonly validator: OpenApiValidator;
  private readonly routes: RouteTable;
  private readonly objects: Objects;
  private readonly http: Server;
  private baseUrl = '';
  private readonly tampers = new Map<string, (body: unknown) => unknown>();

  constructor(private readonly options: AirflowServerOptions) {
    this.state = new AirflowState(options.now ?? (() => new Date()));
    this.processor = new DagProcessor(this.state, options);
    this.objects = new Objects(this.state, this.processor);
    this.validator = validatorFor(options.api);
    this.routes = options.api === 'v1' ? v1Routes : v2Routes;
    this.http = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        this.violations.push({ operationId: null, method: req.method ?? '', path: req.url ?? '', where: 'server', message: String((error as Error).stack ?? error), errors: [] });
        res.statusCode = 500;
        res.end(String(error));
      });
    });
  }

  get api(): SpecName {
    return this.options.api;
  }

  get url(): string {
    return this.baseUrl;
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => resolve());
    });
    const address = this.http.address() as AddressInfo;
    this.baseUrl = `http://${address.address}:${address.port}`;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
  }

  /** Test-only: rewrites the JSON body of answers to `operationId` before they are validated and sent. Returns an undo. */
  tamper(operationId: string, fn: (body: unknown) => unknown): () => void {
    this.tampers.set(operationId, fn);
    return () => this.tampers.delete(operationId);
  }

  /** Forgets every token /auth/token issued (as if they expired). */
  expireTokens(): void {
    this.state.issuedTokens.clear();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', this.baseUrl);
    const raw = await readBody(req);
    const match = this.validator.router.match(method, url.pathname);
    const op = match?.op;
    let rejected = false;
    const violation = (where: ViolationWhere, problem: Problem): void => {
      this.violations.push({ operationId: op?.operationId ?? null, method, path: url.pathname, where, ...problem });
    };
    const send = (result: RouteResult, auth: string | null): void => this.send(res, method, url, op, result, auth, rejected);
    const error = (status: number, title: string, detail: string): RouteResult => (this.options.api === 'v1' ? v1Error(status, title, detail) : v2Error(status, detail));

    if (!match && !url.pathname.startsWith(`/api/${this.options.api}/`) && !url.pathname.startsWith('/auth/')) {
      // Outside this API (a client probing /api/v2 on Airflow 2, say): a plain 404, as the real server answers.
      rejected = true;
      send(error(404, 'Not Found', 'The requested URL was not found on the server.'), null);
      return;
    }
    if (!match || !op) {
      violation('route', { message: `no operation in the ${this.options.api} description matches ${method} ${url.pathname}`, errors: [] });
      rejected = true;
      send(error(404, 'Not Found', 'Not Found'), null);
      return;
    }
    const auth = this.authenticate(op, req.headers.authorization);
    if (auth === false) {
      send(error(401, 'Unauthorized', this.options.api === 'v1' ? 'Invalid credentials' : 'Not authenticated'), null);
      return;
    }
    const handler = op.operationId === 'create_token' ? this.createToken : this.routes[op.operationId];
    if (!handler) {
      violation('unimplemented', { message: `${op.operationId} is in the description but this fake does not implement it`, errors: [] });
      rejected = true;
      send(error(404, 'Not Found', 'not implemented by the fake'), auth);
      return;
    }
    const params = this.validator.validateParameters(op, match.pathParams, url.searchParams, req.headers);
    for (const p of params.problems) violation(p.where, p.problem);
    let body: unknown;
    if (raw.length > 0) {
      const type = req.headers['content-type'] ?? '';
      try {
        body = type.includes('application/x-www-form-urlencoded') ? Object.fromEntries(new URLSearchParams(raw.toString('utf8'))) : JSON.parse(raw.toString('utf8'));
      } catch {
        violation('body', { message: 'request body is not valid JSON', errors: [] });
        rejected = true;
        send(error(400, 'Bad Request', 'invalid JSON'), auth);
        return;
      }
    }
    const bodyProblems = this.validator.validateRequestBody(op, req.headers['content-type'], body);
    bodyProblems.forEach((p) => violation('body', p));
    if (params.problems.some((p) => p.where !== 'query' || p.problem.errors.length) || bodyProblems.length) {
      rejected = true;
      const detail = [...params.problems.map((p) => p.problem), ...bodyProblems].flatMap((p) => [p.message, ...formatErrors(p.errors)]).join('; ');
      send(this.options.api === 'v1' ? v1Error(400, 'Bad Request', detail) : { status: 422, body: { detail: [{ loc: ['body'], msg: detail, type: 'value_error' }] } }, auth);
      return;
    }
    const result = await handler({ state: this.state, processor: this.processor, objects: this.objects, params: params.values, body, headers: req.headers, runPolls: this.options.runPolls ?? 2 });
    send(result, auth);
  }

  /** POST /auth/token: LoginBody → 201 {access_token}, 401 for a wrong username or password. */
  private readonly createToken = (ctx: { body: unknown }): RouteResult => {
    const { username, password } = (ctx.body ?? {}) as { username?: string; password?: string };
    if (!username || this.options.users?.[username] === undefined || this.options.users[username] !== password) {
      return v2Error(401, 'Invalid credentials');
    }
    const token = `eyJ.fake.${randomBytes(12).toString('hex')}`;
    this.state.issuedTokens.set(token, username);
    return { status: 201, body: { access_token: token } };
  };

  /** The caller, `null` for a public operation without credentials, or false when refused. */
  private authenticate(op: IndexedOperation, header: string | undefined): string | null | false {
    const isPublic = this.options.api === 'v1' ? V1_PUBLIC.has(op.operationId) : !op.operation.security || op.operationId === 'create_token';
    const bearer = /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
    const basic = /^Basic\s+(\S+)$/i.exec(header ?? '')?.[1];
    let who: string | false = false;
    if (bearer && (this.options.tokens?.includes(bearer) || this.state.issuedTokens.has(bearer))) who = 'bearer';
    else if (basic && this.options.api === 'v1') {
      const [user, ...rest] = Buffer.from(basic, 'base64').toString('utf8').split(':');
      if (user && this.options.users?.[user] !== undefined && this.options.users[user] === rest.join(':')) who = `basic:${user}`;
    }
    if (isPublic) return who || null;
    return who;
  }

  private send(res: ServerResponse, method: string, url: URL, op: IndexedOperation | undefined, result: RouteResult, auth: string | null, rejected: boolean): void {
    const tamper = op && this.tampers.get(op.operationId);
    if (tamper && result.body !== undefined) result = { ...result, body: tamper(structuredClone(result.body)) };
    const payload = result.body === undefined ? undefined : Buffer.from(JSON.stringify(result.body));
    const contentType = payload ? (this.options.api === 'v1' && result.status >= 400 ? 'application/problem+json' : 'application/json') : undefined;
    // An answer to a request already recorded as invalid is not checked again (its status may be one the operation never documents).
    if (op && !rejected) {
      for (const problem of this.validator.validateResponse(op, result.status, contentType, result.body)) {
        this.violations.push({ operationId: op.operationId, method, path: url.pathname, where: 'response', status: result.status, ...problem });
      }
    }
    this.requests.push({ method, path: url.pathname, query: url.search, status: result.status, operationId: op?.operationId ?? null, auth });
    res.writeHead(result.status, { ...(contentType ? { 'content-type': contentType } : {}), ...(payload ? { 'content-length': String(payload.length) } : {}) });
    res.end(payload);
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
