import type { Check, Finding } from '../types.js';
import { execute, failedFinding, linterOutcome, notConfigured, pathArgs, pos, relFile, showArgv, toolConfig } from './common.js';
import { isFatalPythonCode } from './python-codes.js';

/** One diagnostic of `ruff check --output-format json`. */
export interface RuffDiagnostic {
  /** null for syntax errors in recent ruff versions (E999 in older ones). */
  code: string | null;
  message: string;
  filename: string;
  location?: { row?: number; column?: number } | null;
  end_location?: { row?: number; column?: number } | null;
  fix?: { message?: string | null } | null;
  url?: string | null;
}

export function readRuffJson(stdout: string): RuffDiagnostic[] | undefined {
  try {
    const data: unknown = JSON.parse(stdout.trim());
    return Array.isArray(data) ? (data as RuffDiagnostic[]) : undefined;
  } catch {
    return undefined;
  }
}

export function parseRuff(diagnostics: RuffDiagnostic[], opts: { root: string; severity: 'error' | 'warning' }): Finding[] {
  return diagnostics.map((d) => {
    const syntax = d.code === null || d.code === undefined || d.code === 'E999' || d.code === 'invalid-syntax';
    const f: Finding = {
      check: 'ruff',
      rule: d.code ?? 'invalid-syntax',
      severity: syntax || isFatalPythonCode(d.code ?? '') ? 'error' : opts.severity,
      message: d.message,
      file: relFile(opts.root, d.filename),
      line: pos(d.location?.row),
      column: pos(d.location?.column),
    };
    const endLine = pos(d.end_location?.row);
    const endColumn = pos(d.end_location?.column);
    if (endLine) f.endLine = endLine;
    if (endColumn) f.endColumn = endColumn;
    const hint = [d.fix?.message ? `${d.fix.message} (ruff check --fix)` : undefined, d.url ? `See ${d.url}` : undefined].filter(Boolean).join('. ');
    if (hint) f.hint = hint;
    return f;
  });
}

export const ruffCheck: Check = {
  id: 'ruff',
  title: 'ruff',
  notApplicable: (config) => (toolConfig(config, 'ruff') ? undefined : notConfigured('ruff')),
  async run({ config }) {
    const cfg = config.checks.ruff;
    if (!cfg) return { findings: [], skipped: notConfigured('ruff') };
    const argv = [...(cfg.command ?? ['ruff', 'check']), '--output-format', 'json', '--no-fix', ...cfg.args, ...pathArgs(cfg.paths)];
    const ex = await execute('ruff', argv, { cwd: config.root, timeoutSeconds: cfg.timeout, tool: 'ruff', hintKey: 'ruff' });
    if (!ex.ok) return ex.outcome;
    const diagnostics = readRuffJson(ex.run.stdout);
    if (!diagnostics) {
      return { findings: [failedFinding('ruff', `\`${showArgv(argv)}\` exited with code ${ex.run.code} and wrote no JSON report`, ex.run.stderr.trim() ? ex.run.stderr : ex.run.stdout)] };
    }
    // 0: nothing found, 1: violations, 2: ruff itself failed (configuration, internal error).
    return linterOutcome('ruff', argv, ex.run, parseRuff(diagnostics, { root: config.root, severity: cfg.severity }), [0, 1]);
  },
};
