/**
 * Loads Airflow's API descriptions from shared/specs/airflow (read-only inputs):
 *   v1-airflow-2.10.yaml — Airflow 2 stable API, OpenAPI 3.0, paths relative to `servers[0].url` (/api/v1);
 *   v2-airflow-3.yaml    — Airflow 3 public API, OpenAPI 3.1, paths include /api/v2.
 *
 * `POST /auth/token` (how Airflow 3 clients get a JWT) is not in
 * v2-airflow-3.yaml: the document only names it as the OAuth2 password flow's
 * tokenUrl. It is served by the auth manager's own sub-application; its
 * operation is added to the loaded v2 document here, copied from the simple
 * auth manager's description (apache/airflow,
 * airflow-core/src/airflow/api_fastapi/auth/managers/simple/openapi/v2-simple-auth-manager-generated.yaml:
 * `create_token`, LoginBody → 201 LoginResponse). The file on disk is never changed.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export interface OpenApiDocument {
  openapi: string;
  info: { version: string; title: string };
  servers?: Array<{ url: string }>;
  security?: Array<Record<string, string[]>>;
  paths: Record<string, OpenApiPathItem>;
  components: { schemas: Record<string, JsonSchema>; parameters?: Record<string, OpenApiParameter>; responses?: Record<string, OpenApiResponse> };
}

export type OpenApiPathItem = Record<string, OpenApiOperation> & { parameters?: Array<OpenApiParameter | { $ref: string }> };

export type JsonSchema = Record<string, unknown>;

export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  explode?: boolean;
  style?: string;
  schema?: JsonSchema;
}

export interface OpenApiResponse {
  description?: string;
  content?: Record<string, { schema?: JsonSchema }>;
}

export interface OpenApiOperation {
  operationId: string;
  parameters?: Array<OpenApiParameter | { $ref: string }>;
  requestBody?: { required?: boolean; content: Record<string, { schema?: JsonSchema }> };
  responses: Record<string, OpenApiResponse | { $ref: string }>;
  security?: Array<Record<string, string[]>>;
}

export type SpecName = 'v1' | 'v2';

/** shared/specs/airflow, found from the repository (shared/ sits beside the work tree). */
export function specDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [process.env.FERRY_SPECS_DIR && path.join(process.env.FERRY_SPECS_DIR, 'airflow'), path.resolve(here, '../../../shared/specs/airflow'), '/work/shared/specs/airflow'];
  for (const dir of candidates) {
    if (dir && existsSync(path.join(dir, 'v2-airflow-3.yaml'))) return dir;
  }
  throw new Error(`Airflow API descriptions not found (looked in ${candidates.filter(Boolean).join(', ')})`);
}

export const SPEC_FILES: Record<SpecName, string> = { v1: 'v1-airflow-2.10.yaml', v2: 'v2-airflow-3.yaml' };

const cache = new Map<SpecName, OpenApiDocument>();

/** Parsed once per process (the validator normalises schemas in place, so servers share that work). */
export function loadSpec(name: SpecName): OpenApiDocument {
  let doc = cache.get(name);
  if (!doc) {
    doc = parse(readFileSync(path.join(specDir(), SPEC_FILES[name]), 'utf8')) as OpenApiDocument;
    if (name === 'v2') addTokenEndpoint(doc);
    cache.set(name, doc);
  }
  return doc;
}

/** The base path the document's paths are relative to (`/api/v1` for v1, '' for v2 whose paths carry it). */
export function basePath(doc: OpenApiDocument): string {
  const url = doc.servers?.[0]?.url ?? '';
  return url.startsWith('/') ? url.replace(/\/$/, '') : '';
}

function addTokenEndpoint(doc: OpenApiDocument): void {
  const json = (ref: string) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } });
  doc.components.schemas.LoginBody = {
    additionalProperties: false,
    properties: { username: { type: 'string', title: 'Username' }, password: { type: 'string', title: 'Password' } },
    required: ['username', 'password'],
    title: 'LoginBody',
    type: 'object',
  };
  doc.components.schemas.LoginResponse = {
    properties: { access_token: { type: 'string', title: 'Access Token' } },
    required: ['access_token'],
    title: 'LoginResponse',
    type: 'object',
  };
  doc.paths['/auth/token'] = {
    post: {
      operationId: 'create_token',
      requestBody: { required: true, content: { ...json('LoginBody'), 'application/x-www-form-urlencoded': { schema: { $ref: '#/components/schemas/LoginBody' } } } },
      responses: {
        '201': { description: 'Successful Response', content: json('LoginResponse') },
        '400': { description: 'Bad Request', content: json('HTTPExceptionResponse') },
        '401': { description: 'Unauthorized', content: json('HTTPExceptionResponse') },
        '415': { description: 'Unsupported Media Type', content: json('HTTPExceptionResponse') },
        '422': { description: 'Validation Error', content: json('HTTPValidationError') },
      },
    },
  } as unknown as OpenApiPathItem;
}

/** Resolves a local `#/components/...` reference (parameters and responses are `$ref`ed). */
export function resolveLocalRef<T>(doc: OpenApiDocument, value: T | { $ref: string }): T {
  let current: unknown = value;
  for (let depth = 0; depth < 10; depth++) {
    if (!current || typeof current !== 'object' || !('$ref' in current)) return current as T;
    const ref = (current as { $ref: string }).$ref;
    if (!ref.startsWith('#/')) throw new Error(`unsupported $ref ${ref}`);
    current = ref
      .slice(2)
      .split('/')
      .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], doc);
    if (current === undefined) throw new Error(`unresolvable $ref ${ref}`);
  }
  throw new Error('$ref chain too deep');
}
