/**
 * Turns the OpenAPI 3.0 flavour of JSON Schema used by GitHub's description
 * into plain JSON Schema that ajv understands, in place and lazily (only the
 * schemas reachable from an operation we actually validate).
 *
 * Why not ajv's own `nullable` support: GitHub's description marks nullability
 * only with OpenAPI 3.0 `nullable: true` (no `type: "null"`, no type arrays),
 * and uses it in two ways ajv rejects or mis-reads:
 *  - on schemas without `type` (`{nullable: true, allOf: [...]}` / `oneOf` /
 *    `anyOf`, 135 places) — ajv throws "nullable cannot be used without type";
 *  - together with an `enum` that does not list `null` (71 places, e.g.
 *    `issue.state_reason`) — ajv would still reject `null` through `enum`.
 * Rewriting to `type: [T, "null"]` (+ `null` in the enum) or
 * `anyOf: [{type: "null"}, <schema>]` keeps the validation honest instead of
 * switching it off.
 *
 * Local refs (`#/components/schemas/x`) are rewritten to absolute ids
 * (`gh:components/schemas/x`) and each referenced component is handed to
 * `register` once, so ajv only ever sees the schemas in use. (Registering the
 * whole 13 MB document with ajv instead costs ~250 ms per ajv instance: ajv
 * walks every key of a schema it is given, looking for `$id`s.)
 */
import type { JsonSchema, OpenApiDocument } from './spec.js';

/** `#/components/schemas/x` → `gh:components/schemas/x` (a URI with a scheme, so it never resolves relative to anything). */
export function componentId(localRef: string): string {
  return `gh:${localRef.slice(2)}`;
}

/** Keywords whose value is one schema / a list of schemas / a map of schemas. */
const SCHEMA_KEYWORDS = ['items', 'additionalProperties', 'not'] as const;
const SCHEMA_LIST_KEYWORDS = ['allOf', 'anyOf', 'oneOf'] as const;
const SCHEMA_MAP_KEYWORDS = ['properties', 'patternProperties'] as const;

export class SchemaNormalizer {
  private readonly done = new WeakSet<object>();
  /** Every `format` seen, so the validator can register unknown ones (e.g. `repo.nwo`). */
  readonly formats = new Set<string>();

  constructor(
    private readonly doc: OpenApiDocument,
    /** Called once per referenced component, before anything that uses it is compiled. */
    private readonly register: (id: string, schema: JsonSchema) => void,
  ) {}

  /** Normalises `schema` and everything it references; safe to call repeatedly. */
  normalize(schema: unknown): void {
    if (!isObject(schema) || this.done.has(schema)) return;
    this.done.add(schema);

    if (typeof schema.$ref === 'string') {
      const ref = schema.$ref;
      if (ref.startsWith('#/')) {
        const target = this.resolve(ref);
        if (!isObject(target)) throw new Error(`unresolvable $ref ${ref}`);
        const id = componentId(ref);
        schema.$ref = id;
        // Register before descending: recursive schemas (a comment's
        // `pinned_comment`...) reach this ref again while it is in progress.
        if (!this.done.has(target)) this.register(id, target);
        this.normalize(target);
      }
      // OpenAPI 3.0 ignores siblings of $ref, so there is nothing else to do.
      return;
    }

    if ('nullable' in schema) this.rewriteNullable(schema);
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

  private rewriteNullable(schema: JsonSchema): void {
    const nullable = schema.nullable === true;
    delete schema.nullable;
    if (!nullable) return;
    if (typeof schema.type === 'string') {
      schema.type = [schema.type, 'null'];
      if (Array.isArray(schema.enum) && !schema.enum.includes(null)) schema.enum = [...schema.enum, null];
      return;
    }
    // No `type` (a composition such as allOf/oneOf): wrap it.
    const rest: JsonSchema = { ...schema };
    for (const key of Object.keys(schema)) delete schema[key];
    schema.anyOf = [{ type: 'null' }, rest];
  }

  private resolve(ref: string): unknown {
    return ref
      .slice(2)
      .split('/')
      .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<unknown>((node, key) => (isObject(node) ? node[key] : undefined), this.doc);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
