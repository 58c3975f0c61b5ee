import { describe, expect, it } from '@jest/globals';
import { XMLParser } from 'fast-xml-parser';
import type { CheckReport } from '../run-checks.js';
import { fails, sortFindings } from '../run-checks.js';
import type { Finding } from '../types.js';
import { pickAnnotations } from './annotations.js';
import { reportJunit } from './junit.js';
import { reportMarkdown } from './markdown.js';
import { reportText } from './text.js';

const finding = (i: number, severity: Finding['severity'] = 'error'): Finding => ({
  check: 'dags',
  rule: `DAG10${i % 7}`,
  severity,
  message: `problem ${i} with | pipes and <xml> & "quotes"`,
  file: `dags/f${String(i).padStart(5, '0')}.py`,
  line: i + 1,
  column: 5,
  hint: 'do the thing',
});

function report(findings: Finding[], extra: Partial<CheckReport> = {}): CheckReport {
  const counts = { error: 0, warning: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return {
    format: 'ferry.check/v1',
    project: 'demo',
    root: '/repo',
    checks: [
      { id: 'dags', title: 'DAG integrity', findings: sortFindings(findings), durationMs: 1200, stats: { files: 3 } },
      { id: 'configs', title: 'Configs', findings: [], durationMs: 10 },
      { id: 'sqlfluff', title: 'sqlfluff', findings: [], skipped: 'checks.sqlfluff is not configured in ferry.yml', durationMs: 0 },
    ],
    counts,
    durationMs: 1300,
    ...extra,
  };
}

describe('report', () => {
  it('summarises by check, escaping table cells', () => {
    const md = reportMarkdown(report([finding(1), finding(2, 'warning')]));
    expect(md).toContain('### ferry lint-and-test: 1 error, 1 warning');
    expect(md).toContain('| DAG integrity | ❌ failed | 1 | 1 | 1.2 s |');
    expect(md).toContain('| Configs | ✅ passed | 0 | 0 | 0.0 s |');
    expect(md).toContain('| sqlfluff | ⏭️ not configured (see `checks:` in ferry.yml) | | | |');
    expect(md).toContain('| ❌ | `dags/f00001.py:2:5` | `DAG101` | problem 1 with \\| pipes and &lt;xml&gt; &amp; "quotes"');
  });

  it('stays under the size limit and says how many findings it left out', () => {
    const many = Array.from({ length: 5000 }, (_, i) => finding(i));
    const md = reportMarkdown(report(many), { maxBytes: 20_000, perCheck: 5000, fullReport: 'junit.xml' });
    expect(Buffer.byteLength(md)).toBeLessThanOrEqual(20_000 + 200);
    const shown = (md.match(/^\| ❌ \|/gm) ?? []).length;
    expect(shown).toBeGreaterThan(10);
    expect(md).toContain(`…and ${5000 - shown} more (all of them are in \`junit.xml\`).`);
  });

  it('annotates at most 10 errors and 10 warnings, most severe first, and says how many it left out', () => {
    const fs = sortFindings([...Array.from({ length: 15 }, (_, i) => finding(i, 'warning')), ...Array.from({ length: 12 }, (_, i) => finding(100 + i))]);
    const a = pickAnnotations(fs, (p) => `project/${p}`, { where: 'the summary' });
    expect(a.filter((x) => x.level === 'error')).toHaveLength(10);
    expect(a.filter((x) => x.level === 'warning')).toHaveLength(10);
    expect(a[0]).toMatchObject({ level: 'error', file: 'project/dags/f00100.py', line: 101, column: 5, title: 'dags DAG102' });
    expect(a.at(-1)).toMatchObject({ level: 'notice', message: expect.stringContaining('7 more findings are not annotated') });
  });

  it('writes valid JUnit XML with a testcase per finding, passing and skipped checks', () => {
    const xml = reportJunit(report([finding(1), finding(2, 'warning'), finding(3, 'info')]));
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml);
    expect(doc.testsuites).toMatchObject({ tests: '5', failures: '2' });
    const [dags, configs, sqlfluff] = doc.testsuites.testsuite;
    expect(dags).toMatchObject({ name: 'DAG integrity', tests: '3', failures: '2' });
    expect(dags.testcase[0]).toMatchObject({ file: 'dags/f00001.py', line: '2', failure: { type: 'error' } });
    expect(dags.testcase[0].failure.message).toContain('"quotes"');
    expect(configs.testcase).toMatchObject({ name: 'Configs: no problems' });
    expect(sqlfluff.testcase.skipped).toMatchObject({ message: 'checks.sqlfluff is not configured in ferry.yml' });
  });

  it('prints a compiler-style terminal report and decides failure by threshold', () => {
    const r = report([finding(1, 'warning')]);
    const text = reportText(r);
    expect(text).toContain('! DAG integrity: 1 warning (3 files)');
    expect(text).toContain('    dags/f00001.py:2:5: warning DAG101 problem 1');
    expect(text).toContain('- not configured: sqlfluff');
    expect([fails(r, 'error'), fails(r, 'warning'), fails(r, 'never')]).toEqual([false, true, false]);
  });
});
