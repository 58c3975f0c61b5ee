/**
 * Router + schema normaliser + validator for Airflow's two API descriptions.
 *
 * Mirrors test/github-server's openapi-router.ts, openapi-normalize.ts and
 * openapi-validator.ts (same approach: ajv v8, schemas normalised in place and
 * compiled lazily per operation, a coercing ajv for parameters), adapted
 * rather than shared because Airflow's documents differ where those modules
 * are GitHub-specific:
 *  - v1's paths are relative to `servers[0].url` (/api/v1) and declare
 *    parameters on path items as well as on operations;
 *  - v2 is OpenAPI 3.1 (validated with ajv's draft 2020-12 dialect) yet marks
 *    nullability OpenAPI-3.0-style (`nullable: true`, 535 places), also beside
 *    `$ref` (`latest_dag_version: {$ref, nullable}`), which both documents do
 *    and which is rewritten to `anyOf: [{type: null}, {$ref}]` instead of
 *    being ignored;
 *  - there are no GitHub-style global error statuses: every status a fake
 *    answers must be documented for the operation;
 *  - header parameters (v2's `accept` enum) are checked too, and
 *    `explode: false` arrays (v1's update_mask) are split on commas.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { basePath, resolveLocalRef, type JsonSchema, type OpenApiDocument, type OpenApiOperation, type OpenApiParameter, type OpenApiResponse } from './spec.js';

export type ViolationWhere = 'route' | 'unimplemented' | 'path' | 'query' | 'header' | 'body' | 'response' | 'server';

export interface Violation {
  operationId: string | null;
  method: string;
  path: string;
  where: ViolationWhere;
  status?: number;
  message: string;
  errors: ErrorObject[];
}

export interface Problem {
  message: string;
  errors: ErrorObject[];
}

export interface IndexedOperation {
  operationId: string;
  method: string;
  template: string;
  operation: OpenApiOperation;
  parameters: OpenApiParameter[];
  regex: RegExp;
  paramNames: string[];
  literalSegments: number;
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

// ---------------------------------------------------------------- routing

export class OpenApiRouter {
  private readonly byMethod = new Map<string, IndexedOperation[]>();
  readonly byOperationId = new Map<string, IndexedOperation>();

  constructor(doc: OpenApiDocument) {
    const base = basePath(doc);
    for (const [template, item] of Object.entries(doc.paths)) {
      const shared = (item.parameters ?? []).map((p) => resolveLocalRef<OpenApiParameter>(doc, p));
      for (const [method, value] of Object.entries(item)) {
        if (!HTTP_METHODS.has(method)) continue;
        const operation = value as OpenApiOperation;
        const own = (operation.parameters ?? []).map((p) => resolveLocalRef<OpenApiParameter>(doc, p));
        // Operation parameters override path-item ones of the same name and location.
        const parameters = [...shared.filter((s) => !own.some((o) => o.name === s.name && o.in === s.in)), ...own];
        // `/auth/token` is served beside the API, not under its base path.
        const full = template.startsWith('/auth/') ? template : base + template;
        const indexed = index(method.toUpperCase(), full, operation, parameters);
        this.byMethod.set(indexed.method, [...(this.byMethod.get(indexed.method) ?? []), indexed]);
        this.byOperationId.set(indexed.operationId, indexed);
      }
    }
    for (const list of this.byMethod.values()) list.sort((a, b) => b.literalSegments - a.literalSegments);
  }

  match(method: string, pathname: string): { op: IndexedOperation; pathParams: Record<string, string> } | undefined {
    for (const op of this.byMethod.get(method.toUpperCase()) ?? []) {
      const m = op.regex.exec(pathname);
      if (!m) continue;
      try {
        const pathParams = Object.fromEntries(op.paramNames.map((name, i) => [name, decodeURIComponent(m[i + 1] ?? '')]));
        return { op, pathParams };
      } catch {
        continue;
      }
    }
    return undefined;
  }
}

function index(method: string, template: string, operation: OpenApiOperation, parameters: OpenApiParameter[]): IndexedOperation {
  const paramNames: string[] = [];
  let literalSegments = 0;
  const pattern = template
    .split('/')
    .map((segment) => {
      const param = /^\{([^}]+)\}$/.exec(segment);
      if (!param?.[1]) {
        literalSegments++;
        return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      }
      paramNames.push(param[1]);
      return '([^/]+)';
    })
    .join('/');
  return { operationId: operation.operationId, method, template, operation, parameters, regex: new RegExp(`^${pattern}$`), paramNames, literalSegments };
}

// ---------------------------------------------------------------- normalising

const SCHEMA_KEYWORDS = ['items', 'additionalProperties', 'not'] as const;
const SCHEMA_LIST_KEYWORDS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'] as const;
const SCHEMA_MAP_KEYWORDS = ['properties', 'patternProperties'] as const;

/** Rewrites `nullable` and local refs in place; registers each referenced component once. */
class SchemaNormalizer {
  private readonly done = new WeakSet<object>();
  readonly formats = new Set<string>();

  constructor(
    private readonly doc: OpenApiDocument,
    private readonly register: (id: string, schema: JsonSchema) => void,
  ) {}

  normalize(schema: unknown): void {
    if (!isObject(schema) || this.done.has(schema)) return;
    this.done.add(schema);
    if (typeof schema.$ref === 'string') {
      const nullable = schema.nullable === true;
      const ref = schema.$ref;
      if (ref.startsWith('#/')) {
        const target = resolveLocalRef<unknown>(this.doc, { $ref: ref });
        if (!isObject(target)) throw new Error(`unresolvable $ref ${ref}`);
        const id = `spec:${ref.slice(2)}`;
        if (!this.done.has(target)) this.register(id, target);
        this.normalize(target);
        for (const key of Object.keys(schema)) delete schema[key];
        if (nullable) schema.anyOf = [{ type: 'null' }, { $ref: id }];
        else schema.$ref = id;
      }
      return;
    }
    if ('nullable' in schema) rewriteNullable(schema);
    if (typeof schema.format === 'string') this.formats.add(schema.format);
    for (const key of SCHEMA_KEYWORDS) this.normalize(schema[key]);
    for (const key of SCHEMA_LIST_KEYWORDS) {
      const list = schema[key];
      if (Array.isArray(list)) list.forEach((item) => this.normalize(item));
    }
    for (const key of SCHEMA_MAP_KEYWORDS) {
      const map = schema[key];
      if (isObject(map)) Object.values(map).forEach((item) => this.normalize(item));
    }
  }
}

function rewriteNullable(schema: JsonSchema): void {
  const nullable = schema.nullable === true;
  delete schema.nullable;
  if (!nullable) return;
  if (typeof schema.type === 'string') {
    schema.type = [schema.type, 'null'];
    if (Array.isArray(schema.enum) && !schema.enum.includes(null)) schema.enum = [...schema.enum, null];
    return;
  }
  const rest: JsonSchema = { ...schema };
  for (const key of Object.keys(schema)) delete schema[key];
  schema.anyOf = [{ type: 'null' }, rest];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------- validating

export class OpenApiValidator {
  readonly router: OpenApiRouter;
  private readonly normalizer: SchemaNormalizer;
  private readonly ajv: Ajv;
  private readonly coercingAjv: Ajv;
  private readonly cache = new Map<string, ValidateFunction>();
  private readonly registeredFormats = new Set<string>();

  constructor(readonly doc: OpenApiDocument) {
    this.router = new OpenApiRouter(doc);
    const dialect2020 = doc.openapi.startsWith('3.1');
    this.ajv = createAjv(dialect2020, false);
    this.coercingAjv = createAjv(dialect2020, true);
    this.normalizer = new SchemaNormalizer(doc, (id, schema) => {
      this.ajv.addSchema(schema, id, undefined, false);
      this.coercingAjv.addSchema(schema, id, undefined, false);
    });
  }

  /** Path, query and header parameters; returns coerced values. */
  validateParameters(
    op: IndexedOperation,
    pathParams: Record<string, string>,
    query: URLSearchParams,
    headers: Record<string, string | string[] | undefined>,
  ): { values: Record<string, unknown>; problems: Array<{ where: ViolationWhere; problem: Problem }> } {
    const problems: Array<{ where: ViolationWhere; problem: Problem }> = [];
    const queryValues: Record<string, unknown> = {};
    const declared = op.parameters.filter((p) => p.in === 'query');
    const unknown: string[] = [];
    for (const key of new Set(query.keys())) {
      const param = declared.find((p) => p.name === key);
      if (!param) {
        unknown.push(key);
        continue;
      }
      const isArray = [param.schema?.type].flat().includes('array');
      queryValues[key] = !isArray ? query.get(key) : param.explode === false ? query.getAll(key).flatMap((v) => v.split(',')) : query.getAll(key);
    }
    if (unknown.length) problems.push({ where: 'query', problem: { message: `undeclared query parameter(s): ${unknown.join(', ')}`, errors: [] } });
    const headerValues: Record<string, unknown> = {};
    for (const p of op.parameters.filter((x) => x.in === 'header')) {
      const v = headers[p.name.toLowerCase()];
      if (v !== undefined) headerValues[p.name] = Array.isArray(v) ? v[0] : v;
    }
    const pathValues: Record<string, unknown> = { ...pathParams };
    const path = this.checkParams(op, 'path', pathValues);
    const q = this.checkParams(op, 'query', queryValues);
    const h = this.checkParams(op, 'header', headerValues);
    for (const [where, r] of [['path', path], ['query', q], ['header', h]] as const) r.forEach((problem) => problems.push({ where, problem }));
    return { values: { ...queryValues, ...pathValues }, problems };
  }

  validateRequestBody(op: IndexedOperation, contentType: string | undefined, body: unknown): Problem[] {
    const requestBody = op.operation.requestBody;
    if (body === undefined) return requestBody?.required ? [{ message: 'request body is required', errors: [] }] : [];
    if (!requestBody) return [{ message: 'operation takes no request body', errors: [] }];
    const media = pickMediaType(requestBody.content, contentType);
    if (!media) return [{ message: `request content type ${contentType ?? '(none)'} is not one of ${Object.keys(requestBody.content).join(', ')}`, errors: [] }];
    const schema = requestBody.content[media]?.schema;
    if (!schema) return [];
    const validate = this.compile(`${op.operationId} request ${media}`, schema, this.ajv);
    return validate(body) ? [] : [{ message: 'request body does not match the schema', errors: validate.errors ?? [] }];
  }

  validateResponse(op: IndexedOperation, status: number, contentType: string | undefined, body: unknown): Problem[] {
    const entry = op.operation.responses[String(status)] ?? op.operation.responses[`${String(status)[0]}XX`] ?? op.operation.responses.default;
    if (!entry) return [{ message: `status ${status} is not documented for ${op.operationId}`, errors: [] }];
    const declared = resolveLocalRef<OpenApiResponse>(this.doc, entry);
    if (!declared.content) return body === undefined ? [] : [{ message: `status ${status} is documented without a body`, errors: [] }];
    if (body === undefined) return [{ message: `status ${status} is documented with a body, but none was sent`, errors: [] }];
    const media = pickMediaType(declared.content, contentType);
    if (!media) return [{ message: `response content type ${contentType} is not one of ${Object.keys(declared.content).join(', ')}`, errors: [] }];
    const schema = declared.content[media]?.schema;
    if (!schema) return [];
    const validate = this.compile(`${op.operationId} response ${status} ${media}`, schema, this.ajv);
    return validate(body) ? [] : [{ message: `response body does not match the ${status} schema`, errors: validate.errors ?? [] }];
  }

  private checkParams(op: IndexedOperation, location: 'path' | 'query' | 'header', values: Record<string, unknown>): Problem[] {
    const params = op.parameters.filter((p) => p.in === location);
    if (params.length === 0) return [];
    const schema: JsonSchema = {
      type: 'object',
      properties: Object.fromEntries(params.map((p) => [p.name, p.schema ?? {}])),
      required: params.filter((p) => p.required).map((p) => p.name),
    };
    const validate = this.compile(`${op.operationId} ${location}`, schema, this.coercingAjv);
    return validate(values) ? [] : [{ message: `invalid ${location} parameters`, errors: validate.errors ?? [] }];
  }

  private compile(key: string, schema: JsonSchema, ajv: Ajv): ValidateFunction {
    const cacheKey = `${ajv === this.ajv ? 'plain' : 'coerce'} ${key}`;
    let validate = this.cache.get(cacheKey);
    if (!validate) {
      this.normalizer.normalize(schema);
      for (const format of this.normalizer.formats) {
        if (this.registeredFormats.has(format)) continue;
        this.registeredFormats.add(format);
        // Formats ajv-formats does not know (`datetime` in v1's ImportError, `password`) are accepted as they are.
        for (const a of [this.ajv, this.coercingAjv]) if (!a.formats[format]) a.addFormat(format, true);
      }
      validate = ajv.compile(schema);
      this.cache.set(cacheKey, validate);
    }
    return validate;
  }
}

function createAjv(dialect2020: boolean, coerce: boolean): Ajv {
  const options = { strict: false, allErrors: true, inlineRefs: false, coerceTypes: coerce ? ('array' as const) : false };
  const ajv = dialect2020 ? (new Ajv2020(options) as unknown as Ajv) : new Ajv(options);
  addFormats(ajv);
  return ajv;
}

function pickMediaType(content: Record<string, unknown>, contentType: string | undefined): string | undefined {
  const declared = Object.keys(content);
  const actual = contentType?.split(';')[0]?.trim().toLowerCase();
  if (actual && declared.includes(actual)) return actual;
  if (actual && /[/+]json$/.test(actual)) return declared.find((m) => /[/+]json$/.test(m));
  if (declared.includes('*/*')) return '*/*';
  return undefined;
}

export function formatErrors(errors: ErrorObject[]): string[] {
  return errors.map((e) => {
    const where = e.instancePath || '(root)';
    const extra =
      e.keyword === 'additionalProperties'
        ? ` (${String((e.params as { additionalProperty?: string }).additionalProperty)})`
        : e.keyword === 'enum'
          ? ` (${JSON.stringify((e.params as { allowedValues?: unknown }).allowedValues)})`
          : '';
    return `${where} ${e.message ?? e.keyword}${extra}`;
  });
}
