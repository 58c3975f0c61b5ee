import type { Check, Finding } from '../types.js';
import { execute, linterOutcome, notConfigured, pathArgs, pos, relFile, toolConfig } from './common.js';

/** `file:line:col: [level] message (rule)`, as `yamllint -f parsable` prints it. */
const LINE = /^(.+?):(\d+):(\d+): \[(error|warning)\] (.*?)(?: \(([\w-]+)\))?$/;

/**
 * yamllint's own level decides: its errors take the configured severity,
 * its warnings stay warnings. Syntax errors (rule `syntax`) are always errors.
 */
export function parseYamllint(stdout: string, opts: { root: string; severity: 'error' | 'warning' }): Finding[] {
  const findings: Finding[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const m = LINE.exec(line.trimEnd());
    if (!m) continue;
    const [, file, row, col, level, message, rule] = m;
    findings.push({
      check: 'yamllint',
      rule: rule ?? 'yamllint',
      severity: rule === 'syntax' ? 'error' : level === 'warning' ? 'warning' : opts.severity,
      message: message ?? '',
      file: relFile(opts.root, file!),
      line: pos(row),
      column: pos(col),
    });
  }
  return findings;
}

export const yamllintCheck: Check = {
  id: 'yamllint',
  title: 'yamllint',
  notApplicable: (config) => (toolConfig(config, 'yamllint') ? undefined : notConfigured('yamllint')),
  async run({ config }) {
    const cfg = config.checks.yamllint;
    if (!cfg) return { findings: [], skipped: notConfigured('yamllint') };
    const argv = [...(cfg.command ?? ['yamllint']), '-f', 'parsable', ...(cfg.config ? ['-c', ...pathArgs([cfg.config])] : []), ...cfg.args, ...pathArgs(cfg.paths)];
    const ex = await execute('yamllint', argv, { cwd: config.root, timeoutSeconds: cfg.timeout, tool: 'yamllint', hintKey: 'yamllint' });
    if (!ex.ok) return ex.outcome;
    // 0: no errors (warnings allowed), 1: errors, 2: warnings with --strict.
    return linterOutcome('yamllint', argv, ex.run, parseYamllint(ex.run.stdout, { root: config.root, severity: cfg.severity }), [0, 1, 2]);
  },
};
