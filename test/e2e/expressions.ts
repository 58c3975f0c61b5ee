/**
 * `${{ }}` evaluation with GitHub's own expression engine (npm @actions/expressions,
 * from actions/languageservices): lexer, parser, evaluator and the built-in functions
 * (contains, startsWith, format, join, toJSON, fromJSON, …) are theirs. This file only
 * finds the `${{ … }}` spans in a string, converts contexts to and from the engine's
 * data types, and supplies the runner's own functions (status functions, hashFiles).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { data, Evaluator, Lexer, Parser } from '@actions/expressions';
import type { FunctionDefinition } from '@actions/expressions/funcs/info';

export type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

export interface StatusFunctions {
  success(): boolean;
  failure(): boolean;
  cancelled(): boolean;
}

export interface EvalScope {
  /** Context name → value (github, inputs, secrets, vars, env, needs, steps, matrix, job, runner, strategy). */
  contexts: Record<string, unknown>;
  status?: StatusFunctions;
  /** For hashFiles(): the workspace. */
  workspace?: string;
}

const STATUS = ['success', 'failure', 'always', 'cancelled'];

function toData(value: unknown): data.ExpressionData {
  if (value === undefined) return new data.Null();
  return JSON.parse(JSON.stringify(value), data.reviver) as data.ExpressionData;
}

export function fromData(d: data.ExpressionData): Json {
  return JSON.parse(JSON.stringify(d, data.replacer) ?? 'null') as Json;
}

function functions(scope: EvalScope): Map<string, FunctionDefinition> {
  const status = scope.status;
  const fn = (name: string, call: (...args: data.ExpressionData[]) => data.ExpressionData, minArgs = 0, maxArgs = 0): [string, FunctionDefinition] => [
    name.toLowerCase(),
    { name, minArgs, maxArgs, call },
  ];
  const needStatus = (name: string) => {
    if (!status) throw new Error(`${name}() is not allowed here (GitHub allows status functions only in if:)`);
    return status;
  };
  return new Map([
    fn('success', () => new data.BooleanData(needStatus('success').success())),
    fn('failure', () => new data.BooleanData(needStatus('failure').failure())),
    fn('cancelled', () => new data.BooleanData(needStatus('cancelled').cancelled())),
    fn('always', () => new data.BooleanData(true)),
    fn(
      'hashFiles',
      (...patterns) => {
        if (!scope.workspace) throw new Error('hashFiles() needs a workspace');
        return new data.StringData(hashFiles(scope.workspace, patterns.map((p) => p.coerceString())));
      },
      1,
      255,
    ),
  ]);
}

/** hashFiles: sha256 over the sha256 of each matching file, in path order; '' when nothing matches (GitHub's rule).
 *  Patterns: literal paths, or a folder followed by `/**` (every file under it); anything else is refused. */
function hashFiles(workspace: string, patterns: string[]): string {
  const matches = new Set<string>();
  const walk = (p: string) => {
    if (!fs.existsSync(p)) return;
    if (fs.statSync(p).isDirectory()) for (const e of fs.readdirSync(p)) walk(path.join(p, e));
    else matches.add(p);
  };
  for (const pattern of patterns) {
    const folder = pattern.endsWith('/**') ? pattern.slice(0, -3) : undefined;
    if (/[*?[\]!]/.test(folder ?? pattern)) throw new Error(`hashFiles: this runner supports literal paths and "folder/**" only, not ${pattern}`);
    const full = path.join(workspace, folder ?? pattern);
    if (folder !== undefined || (fs.existsSync(full) && fs.statSync(full).isFile())) walk(full);
  }
  if (matches.size === 0) return '';
  const outer = createHash('sha256');
  for (const f of [...matches].sort()) outer.update(createHash('sha256').update(fs.readFileSync(f)).digest());
  return outer.digest('hex');
}

/** Evaluates one expression (no `${{ }}`), returning plain JSON. */
export function evaluate(expr: string, scope: EvalScope): Json {
  const fns = functions(scope);
  const tokens = new Lexer(expr).lex().tokens;
  const parsed = new Parser(tokens, Object.keys(scope.contexts), [...fns.values()]).parse();
  const ctx = new data.Dictionary();
  for (const [k, v] of Object.entries(scope.contexts)) ctx.add(k, toData(v));
  return fromData(new Evaluator(parsed, ctx, fns).evaluate());
}

/** GitHub's truthiness: false, 0, -0, '', null are falsy. */
export function truthy(v: Json): boolean {
  return !(v === false || v === 0 || v === '' || v === null || (typeof v === 'number' && Number.isNaN(v)));
}

/** Whether an expression calls a status function (if it does not, GitHub wraps it as `success() && (…)`). */
export function callsStatusFunction(expr: string): boolean {
  const tokens = new Lexer(expr).lex().tokens;
  return tokens.some((t, i) => t.lexeme !== undefined && STATUS.includes(t.lexeme.toLowerCase()) && tokens[i + 1]?.lexeme === '(');
}

/** Splits a string into literal text and `${{ … }}` spans (a `}}` inside a single-quoted string does not close one). */
export function splitTemplate(text: string): ({ text: string } | { expr: string })[] {
  const parts: ({ text: string } | { expr: string })[] = [];
  let i = 0;
  while (i < text.length) {
    const start = text.indexOf('${{', i);
    if (start < 0) break;
    if (start > i) parts.push({ text: text.slice(i, start) });
    let j = start + 3;
    let inString = false;
    for (; j < text.length; j++) {
      if (text[j] === "'") inString = !inString;
      else if (!inString && text.startsWith('}}', j)) break;
    }
    if (j >= text.length) throw new Error(`unclosed \${{ in: ${text}`);
    parts.push({ expr: text.slice(start + 3, j).trim() });
    i = j + 2;
  }
  if (i < text.length) parts.push({ text: text.slice(i) });
  return parts;
}

/** String as the runner coerces it: null → '', booleans/numbers → text, objects → JSON. */
export function coerceString(v: Json): string {
  if (v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v, null, 2);
}

/**
 * A YAML value with `${{ }}`: a string that is exactly one expression keeps the
 * expression's type (so `matrix: ${{ fromJSON(x) }}` gives an object); text with
 * embedded expressions becomes a string; objects and arrays are walked.
 */
export function interpolate(value: unknown, scope: EvalScope): Json {
  if (typeof value === 'string') {
    const parts = splitTemplate(value);
    if (parts.length === 1 && 'expr' in parts[0]!) return evaluate(parts[0].expr, scope);
    return parts.map((p) => ('expr' in p ? coerceString(evaluate(p.expr, scope)) : p.text)).join('');
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, scope));
  if (value && typeof value === 'object') {
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(value)) out[interpolate(k, scope) as string] = interpolate(v, scope);
    return out;
  }
  return (value ?? null) as Json;
}

export function interpolateString(value: unknown, scope: EvalScope): string {
  return coerceString(interpolate(value, scope));
}

/** An `if:` condition: with or without `${{ }}`, implicit `success() &&` when no status function is called. */
export function evaluateCondition(cond: unknown, scope: EvalScope & { status: StatusFunctions }): boolean {
  if (cond === undefined || cond === null) return scope.status.success();
  if (typeof cond === 'boolean') return cond && scope.status.success();
  let expr = String(cond).trim();
  const parts = splitTemplate(expr);
  if (parts.length === 1 && 'expr' in parts[0]!) expr = parts[0].expr;
  else if (parts.some((p) => 'expr' in p)) {
    // GitHub: text around ${{ }} in if: makes a non-empty string, which is truthy.
    return truthy(interpolateString(expr, scope)) && scope.status.success();
  }
  if (!callsStatusFunction(expr)) expr = `success() && (${expr})`;
  return truthy(evaluate(expr, scope));
}
