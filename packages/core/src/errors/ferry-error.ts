import { ERROR_CODES, type ErrorCode } from './codes.js';

/** Where a problem is: a file, and inside it a key path and/or a line. */
export interface Location {
  file?: string;
  /** Key path inside a YAML/JSON document, e.g. `environments[2].targets.dags`. */
  key?: string;
  line?: number;
  column?: number;
}

export interface Problem {
  code: ErrorCode;
  message: string;
  location?: Location;
  hint?: string;
  severity?: 'error' | 'warning';
}

/**
 * One or more problems, reported together. Everything ferry refuses to do is
 * thrown as a FerryError so entry points can print code, location and fix
 * instead of a stack trace.
 */
export class FerryError extends Error {
  readonly problems: Problem[];

  constructor(problems: Problem | Problem[]) {
    const list = Array.isArray(problems) ? problems : [problems];
    if (list.length === 0) throw new Error('FerryError needs at least one problem');
    super(list.length === 1 ? formatProblem(list[0]!) : `${list.length} problems:\n${list.map((p) => '  ' + formatProblem(p)).join('\n')}`);
    this.name = 'FerryError';
    this.problems = list;
  }

  get code(): ErrorCode {
    return this.problems[0]!.code;
  }

  static is(e: unknown): e is FerryError {
    return e instanceof FerryError;
  }
}

export function problem(code: ErrorCode, message: string, extra: Omit<Problem, 'code' | 'message'> = {}): Problem {
  return { code, message, ...extra };
}

/** Throws a FerryError with one problem. */
export function fail(code: ErrorCode, message: string, extra: Omit<Problem, 'code' | 'message'> = {}): never {
  throw new FerryError(problem(code, message, extra));
}

export function formatLocation(loc: Location | undefined): string {
  if (!loc) return '';
  let s = loc.file ?? '';
  if (loc.line !== undefined) s += `:${loc.line}${loc.column !== undefined ? `:${loc.column}` : ''}`;
  if (loc.key) s += `${s ? ' ' : ''}(${loc.key})`;
  return s;
}

/** `CODE file:line (key): message — hint` on one line. */
export function formatProblem(p: Problem): string {
  const where = formatLocation(p.location);
  const hint = p.hint ?? ERROR_CODES[p.code];
  return `${p.code}${where ? ` ${where}` : ''}: ${p.message}${hint ? `\n    fix: ${hint}` : ''}`;
}

/** Problems from any thrown value; unknown errors become FERRY_INTERNAL. */
export function toProblems(e: unknown): Problem[] {
  if (e instanceof FerryError) return e.problems;
  const message = e instanceof Error ? e.message : String(e);
  return [{ code: 'FERRY_INTERNAL', message }];
}
