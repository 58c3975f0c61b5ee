import type { CheckReport } from '../run-checks.js';
import { countsOf, headline, plural, where } from './markdown.js';

export interface Paint {
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const none: Paint = { red: (s) => s, yellow: (s) => s, green: (s) => s, dim: (s) => s, bold: (s) => s };

/** The report for a terminal: one line per check, then its findings, compiler style (file:line:col). */
export function reportText(report: CheckReport, paint: Paint = none, opts: { perCheck?: number } = {}): string {
  const perCheck = opts.perCheck ?? 50;
  const out: string[] = [];
  const unconfigured = report.checks.filter((r) => r.skipped && /is not configured/.test(r.skipped)).map((r) => r.id);
  for (const r of report.checks) {
    if (r.skipped) {
      if (!unconfigured.includes(r.id)) out.push(paint.dim(`- ${r.title}: skipped (${r.skipped})`));
      continue;
    }
    const c = countsOf(r.findings);
    const stats = r.stats ? paint.dim(` (${Object.entries(r.stats).map(([k, v]) => `${v} ${k}`).join(', ')})`) : '';
    const mark = c.error ? paint.red('✘') : c.warning ? paint.yellow('!') : paint.green('✔');
    const tail = c.error || c.warning ? `: ${[c.error && plural(c.error, 'error'), c.warning && plural(c.warning, 'warning')].filter(Boolean).join(', ')}` : '';
    out.push(`${mark} ${r.title}${tail}${stats}`);
    for (const f of r.findings.slice(0, perCheck)) {
      const sev = f.severity === 'error' ? paint.red('error') : f.severity === 'warning' ? paint.yellow('warning') : paint.dim('info');
      out.push(`    ${where(f) || '(project)'}: ${sev} ${paint.bold(f.rule)} ${f.message}`);
      if (f.hint) out.push(paint.dim(`        fix: ${f.hint}`));
    }
    if (r.findings.length > perCheck) out.push(paint.dim(`    …and ${r.findings.length - perCheck} more (--json for all)`));
  }
  if (unconfigured.length) out.push(paint.dim(`- not configured: ${unconfigured.join(', ')} (add them under checks: in ferry.yml)`));
  out.push('', `${report.counts.error ? paint.red('✘') : paint.green('✔')} ${headline(report)} ${paint.dim(`(${(report.durationMs / 1000).toFixed(1)} s)`)}`);
  return out.join('\n');
}
