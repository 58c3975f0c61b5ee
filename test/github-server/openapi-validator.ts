/**
 * Validates requests and responses against GitHub's OpenAPI description.
 *
 * - ajv v8 + ajv-formats, `strict: false` (the description carries OpenAPI-only
 *   keywords such as `example`, `discriminator`, `x-github`).
 * - Schemas are normalised (see openapi-normalize.ts), registered with ajv
 *   and compiled only when an operation is first used, then cached per operation/location/status — compiling the
 *   whole spec up front would take many seconds.
 * - Parameters are validated with a second ajv instance that coerces types
 *   (`"42"` → 42), because path and query values always arrive as strings.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { SchemaNormalizer } from './openapi-normalize.js';
import { OpenApiRouter, type IndexedOperation } from './openapi-router.js';
import { resolveLocalRef, type JsonSchema, type OpenApiDocument, type OpenApiResponse } from './spec.js';

export type ViolationWhere = 'route' | 'unimplemented' | 'path' | 'query' | 'body' | 'response' | 'server';

export interface Violation {
  /** null when no operation of the spec matches the request. */
  operationId: string | null;
  method: string;
  path: string;
  where: ViolationWhere;
  /** The response status, for `where: 'response'`. */
  status?: number;
  message: string;
  errors: ErrorObject[];
}

/** A problem found by one check; the server adds method/path/operation to make a Violation. */
export interface Problem {
  message: string;
  errors: ErrorObject[];
}

export interface ParameterResult {
  /** Values after type coercion (only those that validated or were coerced). */
  values: Record<string, unknown>;
  problems: Problem[];
  /** Query parameters the operation does not declare. GitHub ignores them, so they are only reported. */
  unknownQuery: string[];
}

/**
 * Error statuses GitHub can answer on any operation (bad credentials, rate
 * limit, not found, conditional request...), even where the description does
 * not list them. Their bodies are still checked, against `basic-error`.
 */
const GLOBAL_STATUSES = new Set([304, 400, 401, 403, 404, 409, 410, 422, 500, 502, 503]);

export class OpenApiValidator {
  readonly router: OpenApiRouter;
  private readonly normalizer: SchemaNormalizer;
  private readonly ajv: Ajv;
  private readonly coercingAjv: Ajv;
  private readonly cache = new Map<string, ValidateFunction>();
  private readonly registeredFormats = new Set<string>();

  constructor(private readonly doc: OpenApiDocument) {
    this.router = new OpenApiRouter(doc);
    this.ajv = createAjv(false);
    this.coercingAjv = createAjv(true);
    this.normalizer = new SchemaNormalizer(doc, (id, schema) => {
      this.ajv.addSchema(schema, id, undefined, false);
      this.coercingAjv.addSchema(schema, id, undefined, false);
    });
  }

  get version(): string {
    return this.doc.info.version;
  }

  /** Validates path and query parameters, returning coerced values. */
  validateParameters(
    op: IndexedOperation,
    pathParams: Record<string, string>,
    query: URLSearchParams,
  ): { path: ParameterResult; query: ParameterResult } {
    const declaredQuery = op.parameters.filter((p) => p.in === 'query');
    const queryValues: Record<string, unknown> = {};
    const unknownQuery: string[] = [];
    for (const key of new Set(query.keys())) {
      const param = declaredQuery.find((p) => p.name === key);
      if (!param) unknownQuery.push(key);
      else queryValues[key] = [param.schema?.type].flat().includes('array') ? query.getAll(key) : query.get(key);
    }
    return {
      path: { ...this.checkParams(op, 'path', { ...pathParams }), unknownQuery: [] },
      query: { ...this.checkParams(op, 'query', queryValues), unknownQuery },
    };
  }

  /**
   * Validates a request body: parsed JSON, a Buffer for binary uploads, or
   * undefined when the request had none. `contentType` is the request's header.
   */
  validateRequestBody(op: IndexedOperation, contentType: string | undefined, body: unknown): Problem[] {
    const requestBody = op.operation.requestBody;
    if (body === undefined) {
      return requestBody?.required ? [{ message: 'request body is required', errors: [] }] : [];
    }
    if (!requestBody) return [{ message: 'operation takes no request body', errors: [] }];
    // GitHub parses a JSON body whatever Content-Type says (its own curl examples
    // send none, i.e. form-urlencoded), so parsed JSON meets the JSON schema.
    const media = Buffer.isBuffer(body)
      ? pickMediaType(requestBody.content, contentType)
      : pickMediaType(requestBody.content, 'application/json');
    if (!media) {
      return [
        {
          message: `request content type ${contentType ?? '(none)'} is not one of ${Object.keys(requestBody.content).join(', ')}`,
          errors: [],
        },
      ];
    }
    const schema = requestBody.content[media]?.schema;
    if (!schema || isBinarySchema(schema)) return [];
    const validate = this.compile(`${op.operationId} request ${media}`, schema, this.ajv);
    return validate(body) ? [] : [{ message: 'request body does not match the schema', errors: validate.errors ?? [] }];
  }

  /**
   * Validates a response. `body` is the JSON value sent (undefined for no
   * body; binary downloads are not passed here).
   */
  validateResponse(op: IndexedOperation, status: number, contentType: string | undefined, body: unknown): Problem[] {
    const declared = findResponse(this.doc, op, status);
    if (!declared) {
      if (!GLOBAL_STATUSES.has(status)) {
        return [{ message: `status ${status} is not documented for ${op.operationId}`, errors: [] }];
      }
      return this.validateErrorBody(status, body);
    }
    const content = declared.content;
    if (!content) {
      if (body === undefined) return [];
      // Some errors are documented without a body (`git/delete-ref` 422, the
      // upload's 422) although GitHub sends its usual error JSON there.
      if (status >= 400) return this.validateErrorBody(status, body);
      return [{ message: `status ${status} is documented without a body`, errors: [] }];
    }
    if (body === undefined) return [];
    const media = pickMediaType(content, contentType);
    if (!media) {
      return [{ message: `response content type ${contentType} is not one of ${Object.keys(content).join(', ')}`, errors: [] }];
    }
    const schema = content[media]?.schema;
    if (!schema) return [];
    const validate = this.compile(`${op.operationId} response ${status} ${media}`, schema, this.ajv);
    return validate(body)
      ? []
      : [{ message: `response body does not match the ${status} schema`, errors: validate.errors ?? [] }];
  }

  /** GitHub's generic error bodies: `validation-error` for 422, `basic-error` otherwise. */
  private validateErrorBody(status: number, body: unknown): Problem[] {
    if (body === undefined) return [];
    const name = status === 422 ? 'validation-error' : 'basic-error';
    const validate = this.compile(`#${name}`, { $ref: `#/components/schemas/${name}` }, this.ajv);
    return validate(body) ? [] : [{ message: `error body does not match ${name}`, errors: validate.errors ?? [] }];
  }

  /** True when the operation's request body is raw bytes (release asset upload), not JSON. */
  takesBinaryBody(op: IndexedOperation): boolean {
    const content = op.operation.requestBody?.content ?? {};
    const media = Object.values(content);
    return media.length > 0 && media.every((m) => isBinarySchema(m.schema));
  }

  private checkParams(
    op: IndexedOperation,
    location: 'path' | 'query',
    values: Record<string, unknown>,
  ): Omit<ParameterResult, 'unknownQuery'> {
    const params = op.parameters.filter((p) => p.in === location);
    if (params.length === 0) return { values, problems: [] };
    const schema: JsonSchema = {
      type: 'object',
      properties: Object.fromEntries(params.map((p) => [p.name, p.schema ?? {}])),
      required: params.filter((p) => p.required).map((p) => p.name),
    };
    const validate = this.compile(`${op.operationId} ${location}`, schema, this.coercingAjv);
    // The coercing validator rewrites `values` in place ("42" → 42).
    return validate(values)
      ? { values, problems: [] }
      : { values, problems: [{ message: `invalid ${location} parameters`, errors: validate.errors ?? [] }] };
  }

  private compile(key: string, schema: JsonSchema, ajv: Ajv): ValidateFunction {
    const cacheKey = `${ajv === this.ajv ? 'plain' : 'coerce'} ${key}`;
    let validate = this.cache.get(cacheKey);
    if (!validate) {
      this.normalizer.normalize(schema);
      this.registerFormats();
      validate = ajv.compile(schema);
      this.cache.set(cacheKey, validate);
    }
    return validate;
  }

  /** Formats ajv-formats does not know (`repo.nwo`, `timestamp`) are accepted as-is rather than warned about. */
  private registerFormats(): void {
    for (const format of this.normalizer.formats) {
      if (this.registeredFormats.has(format)) continue;
      this.registeredFormats.add(format);
      for (const ajv of [this.ajv, this.coercingAjv]) {
        if (!ajv.formats[format]) ajv.addFormat(format, true);
      }
    }
  }
}

function createAjv(coerce: boolean): Ajv {
  // inlineRefs: false compiles each component (simple-user appears dozens of
  // times in one issue) into one shared function: first compiles ~2x faster.
  const ajv = new Ajv({ strict: false, allErrors: true, inlineRefs: false, coerceTypes: coerce ? 'array' : false });
  addFormats(ajv);
  // GitHub returns "" for unset URL fields (deployment status `target_url`,
  // `log_url`, `environment_url`), and its own request schemas default them to
  // "". The description still marks them `format: uri`; accept the empty string.
  const uri = addFormats.get('uri', 'full');
  const matchesUri = (value: string): boolean =>
    typeof uri === 'function' ? uri(value) : uri instanceof RegExp ? uri.test(value) : true;
  ajv.addFormat('uri', { type: 'string', validate: (value: string) => value === '' || matchesUri(value) });
  return ajv;
}

/** The response object for a status: exact code, then `2XX`-style ranges, then `default`. */
function findResponse(doc: OpenApiDocument, op: IndexedOperation, status: number): OpenApiResponse | undefined {
  const responses = op.operation.responses;
  const entry = responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses.default;
  return entry ? resolveLocalRef<OpenApiResponse>(doc, entry) : undefined;
}

/** Matches a media type against declared content: exact, then any JSON flavour, then wildcards. */
function pickMediaType(content: Record<string, unknown>, contentType: string | undefined): string | undefined {
  const declared = Object.keys(content);
  const actual = contentType?.split(';')[0]?.trim().toLowerCase();
  if (actual && declared.includes(actual)) return actual;
  if (actual && /[/+]json$/.test(actual)) {
    const json = declared.find((m) => /[/+]json$/.test(m));
    if (json) return json;
  }
  if (declared.includes('*/*')) return '*/*';
  // A body declared as raw binary (release asset upload) may use any media
  // type: GitHub's own description says the Content-Type names the asset's type.
  const binary = declared.find((m) => isBinarySchema((content[m] as { schema?: JsonSchema }).schema));
  return binary;
}

function isBinarySchema(schema: JsonSchema | undefined): boolean {
  return schema?.type === 'string' && schema.format === 'binary';
}

/** One line per ajv error, for humans. */
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
