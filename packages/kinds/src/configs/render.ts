import fs from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument, stringify, type Document } from 'yaml';
import { closest, editDistance, problem, yamlMessage, type Problem } from '@ferry/core';
import { selectFiles } from '../shared/select.js';

export interface ParsedFile {
  /** Path relative to the config folder. */
  rel: string;
  text: string;
  doc: Document;
  counter: LineCounter;
  format: 'yaml' | 'json';
}

/** A config file as one environment gets it: its base, and that environment's overlay if any. */
export interface ConfigUnit {
  /** The deployed file name (the base name), relative to the config folder. */
  rel: string;
  base?: ParsedFile;
  overlay?: ParsedFile;
}

const CONFIG_GLOBS = ['**/*.yml', '**/*.yaml', '**/*.json'];

/**
 * Parses every YAML/JSON file in the config folder (except JSON Schemas
 * ferry.yml names), collecting syntax errors; `failed` lists files that did
 * not parse, so nothing built on them is reported twice.
 */
export async function readConfigFolder(dir: string, root: string, skip: Set<string>): Promise<{ files: ParsedFile[]; failed: Set<string>; problems: Problem[] }> {
  const selected = await selectFiles(dir, root, CONFIG_GLOBS, ['**/.*', '**/.*/**']);
  const rels = selected.files.filter((r) => !skip.has(path.join(dir, r)));
  const files: ParsedFile[] = [];
  const problems: Problem[] = [...selected.problems];
  const failed = new Set<string>();
  for (const rel of rels) {
    const text = fs.readFileSync(path.join(dir, rel), 'utf8');
    const format = rel.endsWith('.json') ? 'json' : 'yaml';
    const counter = new LineCounter();
    const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: true });
    const errors = [...doc.errors];
    if (format === 'json' && errors.length === 0) {
      try {
        JSON.parse(text);
      } catch (e) {
        // YAML accepts some things JSON does not (trailing commas, comments): report JSON's own error, at its line.
        const message = (e as Error).message;
        const at = /at position (\d+)/.exec(message);
        const pos = at ? counter.linePos(Number(at[1])) : undefined;
        problems.push(problem('FERRY_CONFIG_FILE_PARSE', `invalid JSON: ${message.replace(/ in JSON at position \d+.*$/, '')}`, { location: { file: rel, line: pos?.line, column: pos?.col } }));
        failed.add(rel);
        continue;
      }
    }
    if (errors.length) {
      // Later parse errors are almost always echoes of the first.
      const pos = errors[0]!.linePos?.[0];
      problems.push(problem('FERRY_CONFIG_FILE_PARSE', yamlMessage(errors[0]!.message), { location: { file: rel, line: pos?.line, column: pos?.col } }));
      failed.add(rel);
      continue;
    }
    files.push({ rel, text, doc, counter, format });
  }
  return { files, failed, problems };
}

/**
 * Splits files into units for one environment: `name.<env>.ext` overlays
 * `name.ext` for <env>; overlays of other environments are left out.
 */
export function unitsFor(files: ParsedFile[], env: string, envNames: string[]): ConfigUnit[] {
  const units = new Map<string, ConfigUnit>();
  for (const f of files) {
    const overlayOf = overlayEnv(f.rel, envNames);
    if (!overlayOf) {
      const u = units.get(f.rel) ?? { rel: f.rel };
      u.base = f;
      units.set(f.rel, u);
    } else if (overlayOf.env === env) {
      const u = units.get(overlayOf.base) ?? { rel: overlayOf.base };
      u.overlay = f;
      units.set(overlayOf.base, u);
    }
  }
  return [...units.values()].sort((a, b) => (a.rel < b.rel ? -1 : 1));
}

/**
 * `pipelines.stagin.yml` looks like an overlay for an environment that does
 * not exist: almost certainly a typo that would silently ship the file to
 * every environment instead.
 */
export function misspeltOverlays(files: ParsedFile[], envNames: string[]): Problem[] {
  const out: Problem[] = [];
  for (const f of files) {
    const m = /^(.*)\.([^./]+)(\.(ya?ml|json))$/.exec(f.rel);
    if (!m || envNames.includes(m[2]!)) continue;
    const guess = closest(m[2]!, envNames);
    // Tighter than "did you mean" elsewhere, so names like config.v2.yml stay ordinary files.
    if (guess && m[2]!.length >= 3 && editDistance(m[2]!, guess) <= Math.max(1, Math.floor(m[2]!.length / 4))) {
      out.push(problem('FERRY_UNKNOWN_ENV', `${f.rel} looks like an overlay for environment "${m[2]}", which does not exist; did you mean "${guess}"?`, {
        location: { file: f.rel },
        hint: `Rename it to ${m[1]}.${guess}${m[3]} (overlays are <name>.<environment>.<ext>), or give it a name that is not close to an environment.`,
      }));
    }
  }
  return out;
}

function overlayEnv(rel: string, envNames: string[]): { env: string; base: string } | undefined {
  const m = /^(.*)\.([^./]+)(\.(ya?ml|json))$/.exec(rel);
  if (!m || !envNames.includes(m[2]!)) return undefined;
  return { env: m[2]!, base: m[1]! + m[3]! };
}

/** The unit's content with the overlay applied: text (comments of the base kept for YAML) and value. */
export function renderUnit(u: ConfigUnit): { text: string; value: unknown } {
  if (!u.overlay) return { text: u.base!.text, value: u.base!.doc.toJS() };
  if (!u.base) return { text: u.overlay.text, value: u.overlay.doc.toJS() };
  const value = deepMerge(u.base.doc.toJS(), u.overlay.doc.toJS());
  if (u.base.format === 'json') return { text: JSON.stringify(value, null, 2) + '\n', value };
  try {
    const doc = u.base.doc.clone();
    for (const [p, v] of leaves(u.overlay.doc.toJS())) doc.setIn(p, v);
    return { text: doc.toString(), value };
  } catch {
    // The overlay turns a scalar or list into a mapping: the base's layout cannot be kept.
    return { text: stringify(value), value };
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Objects merge key by key; anything else (arrays included) is replaced by the overlay. */
export function deepMerge(base: unknown, overlay: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(overlay)) return overlay;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(overlay)) out[k] = k in base ? deepMerge(base[k], v) : v;
  return out;
}

function leaves(v: unknown, p: string[] = []): [string[], unknown][] {
  if (!isPlainObject(v) || (p.length > 0 && Object.keys(v).length === 0)) return [[p, v]];
  return Object.entries(v).flatMap(([k, x]) => leaves(x, [...p, k]));
}
