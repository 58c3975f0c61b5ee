import { isMap, isPair, isScalar, LineCounter, type Document, type Node } from 'yaml';
import { z } from 'zod';

export type KeyPath = (string | number)[];

/** `environments[2].targets.dags` from ['environments', 2, 'targets', 'dags']. */
export function formatKeyPath(p: readonly PropertyKey[]): string {
  return p.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), '');
}

/** 1-based line and column of the YAML node at `path` (or its nearest existing ancestor). */
export function lineOf(doc: Document, counter: LineCounter, path: KeyPath, key?: string): { line: number; column: number } | undefined {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth), true) as Node | undefined;
    if (!node || !node.range) continue;
    if (key !== undefined && depth === path.length && isMap(node)) {
      const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && it.key.value === key);
      const keyNode = pair && (pair.key as Node | undefined);
      if (keyNode?.range) return toLineCol(counter.linePos(keyNode.range[0]));
    }
    return toLineCol(counter.linePos(node.range[0]));
  }
  return undefined;
}

function toLineCol(p: { line: number; col: number }): { line: number; column: number } {
  return { line: p.line, column: p.col };
}

/** Keys the schema allows at `path`, for "did you mean". */
export function knownKeysAt(schema: z.ZodType, path: KeyPath, data: unknown): string[] {
  let s: z.ZodType | undefined = schema;
  let value: unknown = data;
  for (const seg of path) {
    s = unwrap(s);
    if (s instanceof z.ZodArray) s = s.element as z.ZodType;
    else if (s instanceof z.ZodObject) s = (s.shape as Record<string, z.ZodType>)[String(seg)];
    else if (s instanceof z.ZodDiscriminatedUnion) s = pickOption(s, value)?.shape[String(seg)];
    else return [];
    value = value && typeof value === 'object' ? (value as Record<string, unknown>)[String(seg)] : undefined;
  }
  s = unwrap(s);
  if (s instanceof z.ZodObject) return Object.keys(s.shape);
  if (s instanceof z.ZodDiscriminatedUnion) {
    const opt = pickOption(s, value);
    return opt ? Object.keys(opt.shape) : [];
  }
  return [];
}

function unwrap(s: z.ZodType | undefined): z.ZodType | undefined {
  while (s instanceof z.ZodOptional || s instanceof z.ZodDefault) s = s.unwrap() as z.ZodType;
  return s;
}

function pickOption(u: z.ZodDiscriminatedUnion, value: unknown): z.ZodObject | undefined {
  const disc = (u.def as { discriminator: string }).discriminator;
  const v = value && typeof value === 'object' ? (value as Record<string, unknown>)[disc] : undefined;
  const options = u.options as z.ZodObject[];
  return options.find((o) => {
    const d = o.shape[disc] as z.ZodType;
    return d instanceof z.ZodLiteral && d.values.has(v as never);
  }) ?? options[0];
}
