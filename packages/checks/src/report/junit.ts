import { XMLBuilder } from 'fast-xml-parser';
import type { CheckReport } from '../run-checks.js';
import { where } from './markdown.js';

/**
 * Every finding as JUnit XML, for test reporters and other tools: one
 * testsuite per check, one failing testcase per error or warning (type says
 * which), a passing testcase for a clean check, a skipped one for a check
 * that did not run.
 */
export function reportJunit(report: CheckReport): string {
  let tests = 0;
  let failures = 0;
  const suites = report.checks.map((r) => {
    const cases = r.skipped
      ? [{ '@_classname': r.id, '@_name': r.title, skipped: { '@_message': r.skipped } }]
      : r.findings.length === 0
        ? [{ '@_classname': r.id, '@_name': `${r.title}: no problems`, '@_time': (r.durationMs / 1000).toFixed(3) }]
        : r.findings.map((f) => ({
            '@_classname': `${r.id}.${f.rule}`,
            '@_name': `${where(f) || r.id}: ${f.message}`,
            ...(f.file ? { '@_file': f.file } : {}),
            ...(f.line ? { '@_line': String(f.line) } : {}),
            ...(f.severity === 'info'
              ? { 'system-out': f.message }
              : { failure: { '@_type': f.severity, '@_message': `${f.rule}: ${f.message}`, '#text': [`${f.severity} ${f.rule} at ${where(f) || r.id}`, f.message, f.hint ? `fix: ${f.hint}` : ''].filter(Boolean).join('\n') } }),
          }));
    const failed = cases.filter((c) => 'failure' in c).length;
    tests += cases.length;
    failures += failed;
    return {
      '@_name': r.title,
      '@_tests': String(cases.length),
      '@_failures': String(failed),
      '@_errors': '0',
      '@_skipped': r.skipped ? '1' : '0',
      '@_time': (r.durationMs / 1000).toFixed(3),
      testcase: cases,
    };
  });
  const doc = {
    '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
    testsuites: { '@_name': `ferry lint-and-test (${report.project})`, '@_tests': String(tests), '@_failures': String(failures), '@_errors': '0', '@_time': (report.durationMs / 1000).toFixed(3), testsuite: suites },
  };
  return new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', format: true, suppressEmptyNode: true }).build(doc);
}
