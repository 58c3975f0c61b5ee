/**
 * Finds the OpenAPI operation for a method + concrete path, using the path
 * templates of the description itself (so "is this a real GitHub endpoint?"
 * is answered by GitHub's spec, not by our route table).
 *
 * Path parameters match one segment, except those GitHub marks with
 * `x-multi-segment: true` (`{ref}` in `/git/ref/{ref}`, `{tag}` in
 * `/releases/tags/{tag}`, `{path}` in contents, ...), which may span several
 * (`/git/ref/tags/ferry/x/1.0`). Octokit sends such values percent-encoded
 * (`tags%2Fferry%2Fx%2F1.0`), which fits in one segment; both forms work.
 */
import type { OpenApiDocument, OpenApiOperation, OpenApiParameter } from './spec.js';
import { resolveLocalRef } from './spec.js';

export interface IndexedOperation {
  operationId: string;
  method: string;
  /** The path template, e.g. `/repos/{owner}/{repo}/git/ref/{ref}`. */
  template: string;
  operation: OpenApiOperation;
  parameters: OpenApiParameter[];
  regex: RegExp;
  paramNames: string[];
  /** Used to prefer `/releases/latest` over `/releases/{release_id}`. */
  literalSegments: number;
  multiSegmentParams: number;
}

export interface RouteMatch {
  op: IndexedOperation;
  /** Decoded path parameter values (still strings; the validator coerces them). */
  pathParams: Record<string, string>;
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

export class OpenApiRouter {
  private readonly byMethod = new Map<string, IndexedOperation[]>();
  readonly byOperationId = new Map<string, IndexedOperation>();

  constructor(doc: OpenApiDocument) {
    for (const [template, item] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        if (!HTTP_METHODS.has(method)) continue;
        const parameters = (operation.parameters ?? []).map((p) => resolveLocalRef<OpenApiParameter>(doc, p));
        const indexed = indexOperation(method.toUpperCase(), template, operation, parameters);
        const list = this.byMethod.get(indexed.method) ?? [];
        list.push(indexed);
        this.byMethod.set(indexed.method, list);
        this.byOperationId.set(indexed.operationId, indexed);
      }
    }
    // Most specific first: more literal segments, then fewer greedy parameters.
    for (const list of this.byMethod.values()) {
      list.sort((a, b) => b.literalSegments - a.literalSegments || a.multiSegmentParams - b.multiSegmentParams);
    }
  }

  get operationCount(): number {
    return this.byOperationId.size;
  }

  match(method: string, pathname: string): RouteMatch | undefined {
    for (const op of this.byMethod.get(method.toUpperCase()) ?? []) {
      const m = op.regex.exec(pathname);
      if (!m) continue;
      const pathParams: Record<string, string> = {};
      try {
        op.paramNames.forEach((name, i) => {
          pathParams[name] = decodeURIComponent(m[i + 1] ?? '');
        });
      } catch {
        continue; // malformed percent-encoding: not this route
      }
      return { op, pathParams };
    }
    return undefined;
  }
}

function indexOperation(
  method: string,
  template: string,
  operation: OpenApiOperation,
  parameters: OpenApiParameter[],
): IndexedOperation {
  const multi = new Set(parameters.filter((p) => p.in === 'path' && p['x-multi-segment']).map((p) => p.name));
  const paramNames: string[] = [];
  let literalSegments = 0;
  let multiSegmentParams = 0;
  const pattern = template
    .split('/')
    .map((segment) => {
      const param = /^\{([^}]+)\}$/.exec(segment);
      if (!param?.[1]) {
        // Segments such as `{owner}.github.io` do not occur in paths; literals are escaped.
        literalSegments++;
        return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      }
      paramNames.push(param[1]);
      if (multi.has(param[1])) {
        multiSegmentParams++;
        return '(.+)';
      }
      return '([^/]+)';
    })
    .join('/');
  return {
    operationId: operation.operationId,
    method,
    template,
    operation,
    parameters,
    regex: new RegExp(`^${pattern}$`),
    paramNames,
    literalSegments,
    multiSegmentParams,
  };
}
