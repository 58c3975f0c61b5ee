import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { fail } from '../errors/ferry-error.js';
import type { Runner } from '../runner/runner.js';

export type SecretValues = Record<string, string>;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Secrets from a mounted file or folder, the way CI systems and Kubernetes
 * hand them over: a folder of files (one secret per file, its name the file
 * name), a JSON or YAML mapping, or a dotenv file (NAME=value). Every value is
 * masked before this returns; parse errors never quote the file's content.
 */
export function readSecretsFile(file: string, runner: Runner): SecretValues {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return fail('FERRY_INPUT', `secrets file ${file} does not exist`, { hint: 'Point the secrets file at a mounted file or folder, or leave it unset to use environment variables only.' });
  }
  const out: SecretValues = {};
  if (stat.isDirectory()) {
    for (const name of fs.readdirSync(file)) {
      const p = path.join(file, name);
      if (!NAME.test(name) || !fs.statSync(p).isFile()) continue; // Kubernetes adds ..data links and dot folders
      out[name] = fs.readFileSync(p, 'utf8').replace(/\r?\n$/, '');
    }
  } else {
    const text = fs.readFileSync(file, 'utf8');
    const parsed = /\.(ya?ml|json)$/i.test(file) ? parseMapping(text, file) : parseDotenv(text, file);
    Object.assign(out, parsed);
  }
  for (const v of Object.values(out)) runner.mask(v);
  return out;
}

function parseMapping(text: string, file: string): SecretValues {
  let data: unknown;
  try {
    data = parseYaml(text); // JSON is YAML
  } catch {
    return fail('FERRY_INPUT', `secrets file ${file} is not valid JSON/YAML (its content is not shown)`);
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) fail('FERRY_INPUT', `secrets file ${file} must be a mapping of NAME: value`);
  const out: SecretValues = {};
  for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
    if (v === null || v === undefined) continue;
    out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return out;
}

function parseDotenv(text: string, file: string): SecretValues {
  const out: SecretValues = {};
  text.split(/\r?\n/).forEach((line, i) => {
    const t = line.trim();
    if (!t || t.startsWith('#')) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(t);
    if (!m) fail('FERRY_INPUT', `secrets file ${file}: line ${i + 1} is not NAME=value (its content is not shown)`, { location: { file, line: i + 1 } });
    let v = m[2]!;
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1);
    out[m[1]!] = v;
  });
  return out;
}

/**
 * The lookup kinds get as `ctx.secret`: the given sources first (in order),
 * then environment variables (how GitHub passes secrets to a step). Masks
 * every value it hands out.
 */
export function secretLookup(sources: SecretValues[], runner: Runner, env: NodeJS.ProcessEnv = process.env): (name: string) => string | undefined {
  return (name) => {
    const v = sources.map((s) => s[name]).find((x) => x !== undefined) ?? env[name];
    if (v) runner.mask(v);
    return v;
  };
}
