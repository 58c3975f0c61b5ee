import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { onPath } from './common.js';
import { cleanup, FIXTURES, project, sorted, standIns, withPath } from './fixtures/harness.js';
import { parseRuff, readRuffJson, ruffCheck } from './ruff.js';

afterAll(cleanup);

const recorded = (root: string) => fs.readFileSync(path.join(FIXTURES, 'ruff/output.json'), 'utf8').replaceAll('__ROOT__', root);

const EXPECTED = [
  { rule: 'invalid-syntax', severity: 'error', file: 'dags/broken.py', line: 1, column: 12, endLine: 1, endColumn: 13, message: "SyntaxError: Expected ')', found ':'" },
  { rule: 'F401', severity: 'warning', file: 'dags/load.py', line: 1, column: 8, endLine: 1, endColumn: 10, message: '`os` imported but unused', hint: 'Remove unused import: `os` (ruff check --fix). See https://docs.astral.sh/ruff/rules/unused-import' },
  { rule: 'F821', severity: 'error', file: 'dags/load.py', line: 5, column: 12, endLine: 5, endColumn: 21, message: 'Undefined name `warehouse`', hint: 'See https://docs.astral.sh/ruff/rules/undefined-name' },
];

/** A stand-in `ruff` that records how it was called and prints what it is given. */
function fakeRuff(stdout: string, code: number, stderr = '') {
  const dir = standIns({});
  fs.writeFileSync(path.join(dir, 'out.json'), stdout);
  fs.writeFileSync(path.join(dir, 'err.txt'), stderr);
  fs.writeFileSync(path.join(dir, 'ruff'), `#!/bin/sh\npwd > '${dir}/cwd'\nfor a in "$@"; do printf '%s\\n' "$a"; done > '${dir}/argv'\ncat '${dir}/out.json'\ncat '${dir}/err.txt' >&2\nexit ${code}\n`, { mode: 0o755 });
  return { dir, argv: () => fs.readFileSync(path.join(dir, 'argv'), 'utf8').split('\n').slice(0, -1), cwd: () => fs.readFileSync(path.join(dir, 'cwd'), 'utf8').trim() };
}

describe('ruff JSON output (recorded shape; ruff is not installed on the development machine)', () => {
  it('absolute file names become project-relative; code null (syntax error), E9 and F82 are always errors', () => {
    const diagnostics = readRuffJson(recorded('/work/repo'))!;
    expect(sorted(parseRuff(diagnostics, { root: '/work/repo', severity: 'warning' }), ['endLine', 'endColumn', 'hint'])).toEqual(EXPECTED);
  });

  it('older ruff (E999) and the invalid-syntax name are syntax errors too', () => {
    const f = parseRuff(
      [
        { code: 'E999', message: 'SyntaxError: invalid syntax', filename: '/r/a.py', location: { row: 2, column: 1 } },
        { code: 'E501', message: 'Line too long (120 > 88)', filename: '/r/a.py', location: { row: 3, column: 89 } },
      ],
      { root: '/r', severity: 'warning' },
    );
    expect(f.map((x) => [x.rule, x.severity])).toEqual([
      ['E999', 'error'],
      ['E501', 'warning'],
    ]);
    expect(readRuffJson('error: ruff failed')).toBeUndefined();
  });
});

describe('ruff check, with a stand-in ruff first on PATH', () => {
  it('runs `ruff check --output-format json --no-fix <args> <paths>` in the project root and parses what it prints', async () => {
    const p = project('ruff', 'ruff:\n  paths: [dags]\n  args: ["--select", "F,E9"]\n  severity: warning');
    const fake = fakeRuff(recorded(p.root), 1);
    const outcome = await withPath(`${fake.dir}${path.delimiter}${process.env.PATH}`, () => p.run(ruffCheck));
    expect(fake.argv()).toEqual(['check', '--output-format', 'json', '--no-fix', '--select', 'F,E9', 'dags']);
    expect(fake.cwd()).toBe(fs.realpathSync(p.root));
    expect(sorted(outcome.findings, ['endLine', 'endColumn', 'hint'])).toEqual(EXPECTED);
  });

  it('exit code 2 (ruff itself failed) is a tool failure with what ruff said', async () => {
    const p = project('ruff', 'ruff:\n  paths: [dags]');
    const fake = fakeRuff('', 2, 'ruff failed\n  Cause: Failed to parse pyproject.toml\n');
    const { findings } = await withPath(`${fake.dir}${path.delimiter}${process.env.PATH}`, () => p.run(ruffCheck));
    expect(findings).toEqual([
      { check: 'ruff', rule: 'tool-failed', severity: 'error', message: '`ruff check --output-format json --no-fix dags` exited with code 2 and wrote no JSON report:\nruff failed\n  Cause: Failed to parse pyproject.toml' },
    ]);
  });

  it('a clean run prints [] and gives no finding', async () => {
    const p = project('ruff', 'ruff:\n  paths: [dags]');
    const fake = fakeRuff('[]\n', 0);
    expect(await withPath(`${fake.dir}${path.delimiter}${process.env.PATH}`, () => p.run(ruffCheck))).toEqual({ findings: [] });
  });
});

describe('ruff on this machine', () => {
  if (onPath('ruff')) {
    it('the real ruff finds the fixture problems', async () => {
      const p = project('ruff', 'ruff:\n  paths: [dags]\n  args: ["--isolated", "--select", "F,E9"]');
      const { findings } = await p.run(ruffCheck);
      expect(sorted(findings).map((f) => [f.rule, f.file, f.line])).toEqual([
        ['invalid-syntax', 'dags/broken.py', 1],
        ['F401', 'dags/load.py', 1],
        ['F821', 'dags/load.py', 5],
      ]);
    });
  } else {
    it('ruff is not installed here: the check says so, naming the command and how to install it', async () => {
      const p = project('ruff', 'ruff:\n  paths: [dags]');
      expect((await p.run(ruffCheck)).findings).toEqual([
        {
          check: 'ruff',
          rule: 'tool-missing',
          severity: 'error',
          message: 'ruff is not installed: `ruff` was not found on PATH (command: `ruff check --output-format json --no-fix dags`)',
          hint: 'Install it with `pip install ruff` (or `pipx install ruff`), or set checks.ruff.command to where it is installed, or remove checks.ruff from ferry.yml.',
        },
      ]);
    });
  }
});
