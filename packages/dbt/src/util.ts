import { createHash } from 'node:crypto';

export type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** JSON with object keys sorted, so equal values give equal text whatever the key order. */
export function stableJson(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (isObject(v)) {
    const keys = Object.keys(v).sort();
    return `{${keys.filter((k) => v[k] !== undefined).map((k) => `${JSON.stringify(k)}:${stableJson(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    if (ka.length !== kb.length) return false;
    for (const k of ka) if (!deepEqual(a[k], b[k])) return false;
    return true;
  }
  return false;
}

/** A value as shown in a reason: JSON, or "(unset)". */
export const show = (v: unknown): string => (v === undefined || v === null ? '(unset)' : stableJson(v));

/** The first 8 hex digits of a checksum, for humans. */
export const short = (checksum: string | undefined): string => (checksum ? checksum.slice(0, 8) : '(none)');

/** The one empty array of a read manifest's nodes (frozen: pushing to it throws), so 25,000 nodes do not hold 75,000 empty arrays. */
export const NONE = Object.freeze([]) as unknown as string[];

/** Names read through `var('name')` / `var("name", default)` in Jinja. */
export function varsIn(code: unknown): string[] {
  if (typeof code !== 'string' || !code.includes('var(')) return NONE;
  const out = new Set<string>();
  for (const m of code.matchAll(/\bvar\(\s*(['"])([^'"]+)\1/g)) out.add(m[2]!);
  return out.size ? [...out].sort() : NONE;
}

export const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
