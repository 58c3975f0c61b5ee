import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Every property name the JSON Schema of ferry.yml allows, at any depth. */
function keysOf(schema: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(schema)) schema.forEach((s) => keysOf(s, out));
  else if (schema && typeof schema === 'object') {
    const o = schema as Record<string, unknown>;
    if (o.properties && typeof o.properties === 'object') for (const k of Object.keys(o.properties)) out.add(k);
    for (const v of Object.values(o)) keysOf(v, out);
  }
  return out;
}

describe('docs/ferry-yml.md', () => {
  it('mentions every key ferry.yml accepts', () => {
    const doc = fs.readFileSync(path.join(root, 'docs/ferry-yml.md'), 'utf8');
    const schema = JSON.parse(fs.readFileSync(path.join(root, 'ferry.schema.json'), 'utf8'));
    const missing = [...keysOf(schema)].filter((k) => k !== '$schema' && !new RegExp(`\\b${k}\\b`).test(doc));
    expect(missing).toEqual([]);
  });
});
