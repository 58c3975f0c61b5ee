import type { Check, Finding } from '../types.js';
import { execute, linterOutcome, notConfigured, pathArgs, pos, relFile, toolConfig } from './common.js';
import { isFatalPythonCode } from './python-codes.js';

/** The format ferry asks flake8 for, whatever the project's own configuration says. */
export const FLAKE8_FORMAT = '%(path)s:%(row)d:%(col)d: %(code)s %(text)s';
const LINE = /^(.+?):(\d+):(\d+): ([A-Z]+\d+) (.*)$/;
const FILES = /^\s*(\d+)\s+total files processed\s*$/m;

export function parseFlake8(stdout: string, opts: { root: string; severity: 'error' | 'warning' }): Finding[] {
  const findings: Finding[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const m = LINE.exec(line.trimEnd());
    if (!m) continue;
    const [, file, row, col, code, text] = m;
    findings.push({
      check: 'flake8',
      rule: code!,
      severity: isFatalPythonCode(code!) ? 'error' : opts.severity,
      message: text ?? '',
      file: relFile(opts.root, file!),
      line: pos(row),
      column: pos(col),
    });
  }
  return findings;
}

/** The file count `--benchmark` prints after the findings. */
export function flake8FileCount(stdout: string): number | undefined {
  const m = FILES.exec(stdout);
  return m ? Number(m[1]) : undefined;
}

export const flake8Check: Check = {
  id: 'flake8',
  title: 'flake8',
  notApplicable: (config) => (toolConfig(config, 'flake8') ? undefined : notConfigured('flake8')),
  async run({ config }) {
    const cfg = config.checks.flake8;
    if (!cfg) return { findings: [], skipped: notConfigured('flake8') };
    const argv = [...(cfg.command ?? ['flake8']), `--format=${FLAKE8_FORMAT}`, '--benchmark', ...cfg.args, ...pathArgs(cfg.paths)];
    const ex = await execute('flake8', argv, { cwd: config.root, timeoutSeconds: cfg.timeout, tool: 'flake8', hintKey: 'flake8' });
    if (!ex.ok) return ex.outcome;
    const files = flake8FileCount(ex.run.stdout);
    return linterOutcome('flake8', argv, ex.run, parseFlake8(ex.run.stdout, { root: config.root, severity: cfg.severity }), [0, 1], files === undefined ? undefined : { files });
  },
};
