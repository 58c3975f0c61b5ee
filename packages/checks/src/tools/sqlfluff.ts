import type { Check, Finding } from '../types.js';
import { execute, failedFinding, linterOutcome, notConfigured, pathArgs, pos, relFile, showArgv, toolConfig } from './common.js';

/** One violation as `sqlfluff lint --format json` writes it: 1.x (line_no/line_pos) or 2.x/3.x (start_line_no/start_line_pos, name, warning). */
export interface SqlfluffViolation {
  code?: string;
  description?: string;
  line_no?: number;
  line_pos?: number;
  start_line_no?: number;
  start_line_pos?: number;
  end_line_no?: number;
  end_line_pos?: number;
  name?: string;
  warning?: boolean;
}

export interface SqlfluffFileResult {
  filepath: string;
  violations: SqlfluffViolation[];
  statistics?: Record<string, number>;
}

/** Templating, parsing and lexing failures: the file could not be linted at all, whatever severity is configured. */
const ALWAYS_ERROR = new Set(['PRS', 'TMP', 'LXR']);

/** The JSON array sqlfluff printed, or undefined when there is none (it failed before linting). */
export function readSqlfluffJson(stdout: string): SqlfluffFileResult[] | undefined {
  const attempts = [stdout.trim(), ...stdout.split(/\r?\n/).reverse().filter((l) => l.trimStart().startsWith('['))];
  for (const text of attempts) {
    if (!text) continue;
    try {
      const data: unknown = JSON.parse(text);
      if (Array.isArray(data) && data.every((f) => f && typeof f === 'object' && typeof (f as SqlfluffFileResult).filepath === 'string')) return data as SqlfluffFileResult[];
    } catch {
      /* try the next candidate */
    }
  }
  return undefined;
}

export function parseSqlfluff(results: SqlfluffFileResult[], opts: { root: string; severity: 'error' | 'warning' }): Finding[] {
  const findings: Finding[] = [];
  for (const file of results) {
    for (const v of file.violations ?? []) {
      const rule = v.code ?? 'unknown';
      const always = ALWAYS_ERROR.has(rule);
      const description = v.description ?? rule;
      const f: Finding = {
        check: 'sqlfluff',
        rule,
        severity: always ? 'error' : v.warning ? 'warning' : opts.severity,
        message: v.name ? `${description} (${v.name})` : description,
        file: relFile(opts.root, file.filepath),
        line: pos(v.start_line_no ?? v.line_no),
        column: pos(v.start_line_pos ?? v.line_pos),
      };
      const endLine = pos(v.end_line_no);
      const endColumn = pos(v.end_line_pos);
      if (endLine) f.endLine = endLine;
      if (endColumn) f.endColumn = endColumn;
      if (rule === 'TMP' && /undefined jinja template variable/i.test(description)) {
        f.hint =
          "sqlfluff's jinja templater does not know this name. For a dbt macro, set `load_macros_from_path` under [sqlfluff:templater:jinja] in .sqlfluff (or use the dbt templater); for a variable, give it a value under [sqlfluff:templater:jinja:context].";
      } else if (always) {
        f.hint = 'sqlfluff could not template or parse this file, so it was not linted; fix this first.';
      }
      findings.push(f);
    }
  }
  return findings;
}

export const sqlfluffCheck: Check = {
  id: 'sqlfluff',
  title: 'sqlfluff',
  notApplicable: (config) => (toolConfig(config, 'sqlfluff') ? undefined : notConfigured('sqlfluff')),
  async run({ config }) {
    const cfg = config.checks.sqlfluff;
    if (!cfg) return { findings: [], skipped: notConfigured('sqlfluff') };
    const argv = [...(cfg.command ?? ['sqlfluff', 'lint']), '--format', 'json', ...(cfg.dialect ? ['--dialect', cfg.dialect] : []), ...cfg.args, ...pathArgs(cfg.paths)];
    const ex = await execute('sqlfluff', argv, { cwd: config.root, timeoutSeconds: cfg.timeout, tool: 'sqlfluff', hintKey: 'sqlfluff' });
    if (!ex.ok) return ex.outcome;
    const { run } = ex;
    const results = readSqlfluffJson(run.stdout);
    if (!results) {
      return { findings: [failedFinding('sqlfluff', `\`${showArgv(argv)}\` exited with code ${run.code} and wrote no JSON report`, run.stderr.trim() ? run.stderr : run.stdout)] };
    }
    const findings = parseSqlfluff(results, { root: config.root, severity: cfg.severity });
    // 3.x lists every file linted, with its statistics; 1.x only the files with violations.
    const stats = results.some((r) => r.statistics) ? { files: results.length } : undefined;
    return linterOutcome('sqlfluff', argv, run, findings, [0, 1], stats);
  },
};
