import type { CheckReport } from '../run-checks.js';
import type { CheckResult, Finding } from '../types.js';

const ICON = { error: '❌', warning: '⚠️', info: 'ℹ️' } as const;
// Table cells: pipes would split the cell, and <words> would be read as HTML tags and vanish.
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

export function where(f: Pick<Finding, 'file' | 'line' | 'column'>): string {
  if (!f.file) return '';
  return `${f.file}${f.line ? `:${f.line}${f.column ? `:${f.column}` : ''}` : ''}`;
}

export function countsOf(findings: Finding[]) {
  return { error: findings.filter((f) => f.severity === 'error').length, warning: findings.filter((f) => f.severity === 'warning').length, info: findings.filter((f) => f.severity === 'info').length };
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function headline(report: CheckReport): string {
  const { error, warning } = report.counts;
  if (error + warning === 0) return 'no problems found';
  return [error ? plural(error, 'error') : '', warning ? plural(warning, 'warning') : ''].filter(Boolean).join(', ');
}

function status(r: CheckResult): string {
  if (r.skipped) return `⏭️ skipped: ${esc(r.skipped)}`;
  const c = countsOf(r.findings);
  return c.error ? '❌ failed' : c.warning ? '⚠️ warnings' : '✅ passed';
}

/**
 * The report as a job summary: a table of checks, then each check's first
 * findings. GitHub caps a step summary at 1 MiB, so it stops adding findings
 * at `maxBytes` and says how many it left out and where they all are.
 */
export function reportMarkdown(report: CheckReport, opts: { maxBytes?: number; perCheck?: number; fullReport?: string } = {}): string {
  const maxBytes = opts.maxBytes ?? 900 * 1024;
  const perCheck = opts.perCheck ?? 20;
  const all = opts.fullReport ? ` (all of them are in \`${opts.fullReport}\`)` : '';
  const unconfigured = report.checks.filter((r) => r.skipped && /is not configured/.test(r.skipped));
  const out: string[] = [
    `### ferry lint-and-test: ${headline(report)}`,
    '',
    '| check | result | errors | warnings | time |',
    '|---|---|---:|---:|---:|',
    ...report.checks.filter((r) => !unconfigured.includes(r)).map((r) => {
      const c = countsOf(r.findings);
      return `| ${esc(r.title)} | ${status(r)} | ${r.skipped ? '' : c.error} | ${r.skipped ? '' : c.warning} | ${r.skipped ? '' : `${(r.durationMs / 1000).toFixed(1)} s`} |`;
    }),
    ...(unconfigured.length ? [`| ${unconfigured.map((r) => esc(r.title)).join(', ')} | ⏭️ not configured (see \`checks:\` in ferry.yml) | | | |`] : []),
    '',
  ];
  let bytes = Buffer.byteLength(out.join('\n'));
  let leftOut = 0;
  for (const r of report.checks) {
    if (r.findings.length === 0) continue;
    const c = countsOf(r.findings);
    const section = [
      `<details${c.error ? ' open' : ''}><summary>${esc(r.title)}: ${[c.error && plural(c.error, 'error'), c.warning && plural(c.warning, 'warning'), c.info && `${c.info} info`].filter(Boolean).join(', ')}</summary>`,
      '',
      '| | where | rule | message |',
      '|---|---|---|---|',
    ];
    let shown = 0;
    for (const f of r.findings.slice(0, perCheck)) {
      const row = `| ${ICON[f.severity]} | ${f.file ? `\`${esc(where(f))}\`` : ''} | \`${esc(f.rule)}\` | ${esc(f.message)}${f.hint ? `<br>*fix:* ${esc(f.hint)}` : ''} |`;
      if (bytes + Buffer.byteLength(section.join('\n')) + Buffer.byteLength(row) > maxBytes) break;
      section.push(row);
      shown++;
    }
    if (shown === 0) {
      leftOut += r.findings.length;
      continue;
    }
    if (shown < r.findings.length) section.push('', `…and ${r.findings.length - shown} more${all}.`);
    section.push('', '</details>', '');
    bytes += Buffer.byteLength(section.join('\n'));
    out.push(...section);
  }
  if (leftOut) out.push(`${leftOut} findings were left out to keep this summary under GitHub's 1 MiB limit${all}.`, '');
  return out.join('\n');
}
