import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ERROR_CODES, toProblems, type FerryConfig, type Runner } from '@ferry/core';
import { CHECKS } from './registry.js';
import { SEVERITY_ORDER, type CheckResult, type Finding, type Severity } from './types.js';

export interface CheckReport {
  format: 'ferry.check/v1';
  project: string;
  /** Folder the findings' paths are relative to. */
  root: string;
  checks: CheckResult[];
  counts: Record<Severity, number>;
  durationMs: number;
}

/**
 * Runs every applicable check (or those in `only`), one after another so
 * their output stays readable, and collects one report. A check that throws
 * becomes an error finding of that check; the others still run.
 */
export async function runChecks(config: FerryConfig, runner: Runner, opts: { only?: string[] } = {}): Promise<CheckReport> {
  const started = Date.now();
  const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-check-'));
  const results: CheckResult[] = [];
  try {
    for (const check of CHECKS) {
      if (opts.only && !opts.only.includes(check.id)) continue;
      const t0 = Date.now();
      const notApplicable = check.notApplicable(config);
      if (notApplicable) {
        results.push({ id: check.id, title: check.title, findings: [], skipped: notApplicable, durationMs: 0 });
        continue;
      }
      runner.debug(`check: ${check.id}`);
      try {
        const outcome = await check.run({ config, runner, tmpDir });
        results.push({ id: check.id, title: check.title, ...outcome, findings: sortFindings(outcome.findings), durationMs: Date.now() - t0 });
      } catch (e) {
        const findings: Finding[] = toProblems(e).map((p) => ({ check: check.id, rule: p.code, severity: 'error', message: p.message, hint: p.hint ?? ERROR_CODES[p.code], file: p.location?.file, line: p.location?.line }));
        results.push({ id: check.id, title: check.title, findings, durationMs: Date.now() - t0 });
      }
    }
  } finally {
    fs.rmSync(tmpDir, { recursive: true, force: true });
  }
  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const r of results) for (const f of r.findings) counts[f.severity]++;
  return { format: 'ferry.check/v1', project: config.project, root: config.root, checks: results, counts, durationMs: Date.now() - started };
}

/** Most severe first, then by file and line. */
export function sortFindings(findings: Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || (a.file ?? '').localeCompare(b.file ?? '') || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0),
  );
}

export type FailOn = 'error' | 'warning' | 'never';

/** Whether the report fails at this threshold. */
export function fails(report: CheckReport, failOn: FailOn): boolean {
  if (failOn === 'never') return false;
  return report.counts.error > 0 || (failOn === 'warning' && report.counts.warning > 0);
}
