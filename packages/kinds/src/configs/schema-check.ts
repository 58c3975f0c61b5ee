import fs from 'node:fs';
import path from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import picomatch from 'picomatch';
import { problem, type Problem } from '@ferry/core';
import type { ConfigUnit } from './render.js';

export interface SchemaRule {
  files: string;
  schema: string;
}

/** Compiles the JSON Schemas named in ferry.yml once; reports unreadable or invalid schemas. */
export function compileSchemas(rules: SchemaRule[], configFile: string): { check: (u: ConfigUnit, value: unknown, env: string) => Problem[]; problems: Problem[] } {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  (addFormats as unknown as (a: Ajv2020) => void)(ajv);
  const problems: Problem[] = [];
  const compiled: { match: (p: string) => boolean; validate: ValidateFunction; schema: string }[] = [];
  rules.forEach((rule, i) => {
    const where = { file: path.basename(configFile), key: `artifacts.configs.schemas[${i}].schema` };
    try {
      const schema = JSON.parse(fs.readFileSync(rule.schema, 'utf8')) as object;
      compiled.push({ match: picomatch(rule.files), validate: ajv.compile(schema), schema: rule.schema });
    } catch (e) {
      problems.push(problem('FERRY_CONFIG_SCHEMA_INVALID', `cannot use JSON Schema ${rule.schema}: ${(e as Error).message}`, { location: where }));
    }
  });
  const check = (u: ConfigUnit, value: unknown, env: string): Problem[] => {
    const out: Problem[] = [];
    for (const c of compiled) {
      if (!c.match(u.rel) || c.validate(value)) continue;
      for (const err of c.validate.errors ?? []) {
        const keyPath = err.instancePath.split('/').filter(Boolean).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
        const extra = err.keyword === 'additionalProperties' ? ` ("${(err.params as { additionalProperty: string }).additionalProperty}")` : '';
        const src = locate(u, keyPath);
        out.push(
          problem('FERRY_CONFIG_FILE_SCHEMA', `as rendered for ${env}: ${err.instancePath || '(root)'} ${err.message}${extra} (schema ${path.basename(c.schema)})`, {
            location: src,
          }),
        );
      }
    }
    return out;
  };
  return { check, problems };
}

/** The file and line that set a value: the overlay when it has the key, else the base. */
function locate(u: ConfigUnit, keyPath: string[]): { file: string; key: string; line?: number } {
  const key = keyPath.join('.');
  for (const f of [u.overlay, u.base]) {
    if (!f) continue;
    for (let depth = keyPath.length; depth >= 0; depth--) {
      const node = f.doc.getIn(keyPath.slice(0, depth).map((k) => (/^\d+$/.test(k) ? Number(k) : k)), true) as { range?: [number, number, number] } | undefined;
      if (node?.range && (depth === keyPath.length || f === u.base)) return { file: f.rel, key, line: f.counter.linePos(node.range[0]).line };
    }
  }
  return { file: u.rel, key };
}
