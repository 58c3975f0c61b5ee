/**
 * Loads GitHub's official OpenAPI description for api.github.com from the npm
 * package `@octokit/openapi`.
 *
 * We read `generated/api.github.com.json` (13 MB, uses `$ref`) rather than the
 * package's `index.js` (which would parse all ten bundled descriptions, ~400 MB)
 * or the `.deref.json` variant (73 MB, 5x slower to parse, and its inlined
 * copies would be compiled by ajv again for every place they appear). Keeping
 * the `$ref`s lets ajv compile each component schema once and share it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** The parts of an OpenAPI 3.0 document this server reads. Schemas stay untyped JSON. */
export interface OpenApiDocument {
  openapi: string;
  info: { version: string; title: string };
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: {
    schemas: Record<string, JsonSchema>;
    parameters: Record<string, OpenApiParameter>;
    responses: Record<string, OpenApiResponse>;
  };
}

export type JsonSchema = Record<string, unknown>;

export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: JsonSchema;
  /** GitHub's extension: this path parameter may contain `/` (e.g. `{ref}` = `tags/v1`). */
  'x-multi-segment'?: boolean;
}

export interface OpenApiMediaType {
  schema?: JsonSchema;
}

export interface OpenApiResponse {
  description?: string;
  content?: Record<string, OpenApiMediaType>;
}

export interface OpenApiOperation {
  operationId: string;
  summary?: string;
  externalDocs?: { url: string };
  parameters?: Array<OpenApiParameter | { $ref: string }>;
  requestBody?: { required?: boolean; content: Record<string, OpenApiMediaType> };
  responses: Record<string, OpenApiResponse | { $ref: string }>;
  /** Only set on operations served from another host (the release asset upload). */
  servers?: Array<{ url: string }>;
}

export const SPEC_FILE = 'api.github.com.json';

/** Absolute path of the description inside the installed package. */
export function specPath(): string {
  const require = createRequire(import.meta.url);
  return require.resolve(`@octokit/openapi/generated/${SPEC_FILE}`);
}

let cached: OpenApiDocument | undefined;

/**
 * Parsed once per module registry and then shared: the validator normalises
 * schemas in place as it compiles them, so every server in a process reuses
 * that work (and ajv's compiled functions).
 */
export function loadSpec(): OpenApiDocument {
  cached ??= JSON.parse(readFileSync(specPath(), 'utf8')) as OpenApiDocument;
  return cached;
}

/** Resolves a local `#/components/...` reference (parameters and responses are `$ref`ed). */
export function resolveLocalRef<T>(doc: OpenApiDocument, value: T | { $ref: string }): T {
  let current: unknown = value;
  // Follow chains of refs; the spec has none deeper than one level, but be safe.
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
