import fs from 'node:fs';
import { afterAll, describe, expect, it } from '@jest/globals';
import { cleanup, describeWithTool, project, sorted } from './fixtures/harness.js';
import { flake8Check, flake8FileCount, parseFlake8 } from './flake8.js';
import { isFatalPythonCode } from './python-codes.js';

afterAll(cleanup);

describeWithTool('flake8', 'apt-get install flake8', 'flake8 (the real tool)', () => {
  it('reports each violation with its code; syntax errors and undefined names stay errors at severity: warning', async () => {
    const p = project('flake8', 'flake8:\n  paths: [src]\n  severity: warning');
    const outcome = await p.run(flake8Check);
    expect(sorted(outcome.findings)).toEqual([
      // flake8 5 on Python 3.10+ puts E999 one column right of the offending character (":" is column 12).
      { rule: 'E999', severity: 'error', file: 'src/pipelines/broken.py', line: 1, column: 13, message: 'SyntaxError: invalid syntax' },
      { rule: 'F401', severity: 'warning', file: 'src/pipelines/load.py', line: 1, column: 1, message: "'os' imported but unused" },
      { rule: 'F821', severity: 'error', file: 'src/pipelines/load.py', line: 8, column: 13, message: "undefined name 'transform'" },
      { rule: 'E202', severity: 'warning', file: 'src/pipelines/load.py', line: 8, column: 39, message: "whitespace before ']'" },
      { rule: 'F841', severity: 'warning', file: 'src/pipelines/load.py', line: 12, column: 5, message: "local variable 'total' is assigned to but never used" },
      { rule: 'F821', severity: 'error', file: 'src/pipelines/load.py', line: 13, column: 12, message: "undefined name 'totl'" },
    ]);
    expect(outcome.stats).toEqual({ files: 4 });
  });

  it("ferry's --format wins over the project's own flake8 configuration; args pass as they are", async () => {
    const p = project('flake8', 'flake8:\n  paths: [src/pipelines/load.py]\n  args: ["--select=F"]', { files: { '.flake8': '[flake8]\nformat = pylint\n' } });
    const outcome = await p.run(flake8Check);
    expect(sorted(outcome.findings).map((f) => [f.rule, f.severity, f.line, f.column])).toEqual([
      ['F401', 'error', 1, 1],
      ['F821', 'error', 8, 13],
      ['F841', 'error', 12, 5],
      ['F821', 'error', 13, 12],
    ]);
    expect(outcome.stats).toEqual({ files: 1 });
  });

  it('a clean file gives no finding', async () => {
    const p = project('flake8', 'flake8:\n  paths: [src/pipelines/clean.py]');
    expect(await p.run(flake8Check)).toEqual({ findings: [], stats: { files: 1 } });
  });

  it('paths with spaces and ";" reach flake8 as they are, never through a shell', async () => {
    const p = project(undefined, 'flake8:\n  paths: ["dags dir"]');
    p.write('dags dir/odd; touch PWNED.py', 'import os\n');
    p.write('dags dir/$(touch PWNED2).py', 'x = 1\n');
    const outcome = await p.run(flake8Check);
    expect(sorted(outcome.findings)).toEqual([{ rule: 'F401', severity: 'error', file: 'dags dir/odd; touch PWNED.py', line: 1, column: 1, message: "'os' imported but unused" }]);
    expect(fs.readdirSync(p.root).filter((f) => f.startsWith('PWNED'))).toEqual([]);
  });

  it('an unknown option is a tool failure with the usage error', async () => {
    const p = project('flake8', 'flake8:\n  paths: [src]\n  args: ["--no-such-option"]');
    const { findings } = await p.run(flake8Check);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ rule: 'tool-failed', severity: 'error' });
    expect(findings[0]!.message).toContain('exited with code 2');
    expect(findings[0]!.message).toContain('unrecognized arguments: --no-such-option');
  });
});

describe('flake8 output', () => {
  it('parses the explicit format; a row 0 (file-level error) has no line', () => {
    const out = "a.py:3:1: W391 blank line at end of file\nmissing.py:0:1: E902 FileNotFoundError: [Errno 2] No such file or directory: 'missing.py'\n4          total files processed\n";
    expect(parseFlake8(out, { root: '/r', severity: 'warning' })).toEqual([
      { check: 'flake8', rule: 'W391', severity: 'warning', message: 'blank line at end of file', file: 'a.py', line: 3, column: 1 },
      { check: 'flake8', rule: 'E902', severity: 'error', message: "FileNotFoundError: [Errno 2] No such file or directory: 'missing.py'", file: 'missing.py', line: undefined, column: 1 },
    ]);
    expect(flake8FileCount(out)).toBe(4);
    expect(flake8FileCount('')).toBeUndefined();
  });

  it('E9, F63, F7 and F82 are the codes that are always errors', () => {
    expect(['E999', 'E902', 'F631', 'F632', 'F701', 'F706', 'F722', 'F821', 'F822', 'F823'].every(isFatalPythonCode)).toBe(true);
    expect(['E501', 'F401', 'F841', 'W291', 'F811', 'E203', 'C901'].some(isFatalPythonCode)).toBe(false);
  });
});
