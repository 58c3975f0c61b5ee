import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { onPath } from './common.js';
import { cleanup, describeWithTool, project, sorted, standIns, withPath } from './fixtures/harness.js';
import { parseJUnit, pytestCandidates, pytestCheck } from './pytest.js';

afterAll(cleanup);

// Any of the three ways ferry finds pytest will do.
const hasPytest = onPath('pytest') || onPath('pytest-3');

const FIXTURE_FINDINGS = [
  { rule: 'test-failure', severity: 'error', file: 'tests/test_orders.py', line: 14, column: undefined, message: 'tests/test_orders.py::test_total_of_refunds: AssertionError: refunds add up' },
  // The error is in the fixture, further up the same file.
  { rule: 'test-error', severity: 'error', file: 'tests/test_orders.py', line: 19, column: undefined, message: 'tests/test_orders.py::test_load: failed on setup with "ConnectionError: warehouse unreachable"' },
  { rule: 'test-failure', severity: 'error', file: 'tests/test_orders.py', line: 34, column: undefined, message: 'tests/test_orders.py::TestCurrency::test_rounding: AssertionError: 2.675 rounds half up' },
];

describeWithTool(
  'pytest',
  'apt-get install python3-pytest',
  'pytest (the real tool)',
  () => {
    it('turns failures and errors of the JUnit report into findings at the failing line, with the counts', async () => {
      const p = project('pytest', 'pytest:\n  paths: [tests]');
      const outcome = await p.run(pytestCheck);
      expect(sorted(outcome.findings)).toEqual(FIXTURE_FINDINGS);
      expect(outcome.stats).toEqual({ tests: 5, failures: 2, errors: 1, skipped: 1 });
    });

    it("Debian's pytest-3, named in checks.pytest.command, gives the same findings; severity: warning applies", async () => {
      if (!onPath('pytest-3')) {
        // Only Debian names it so (CI installs python3-pytest); the test above covers the others.
        if (process.env.CI) throw new Error('pytest-3 is not installed; CI installs python3-pytest');
        return;
      }
      const p = project('pytest', 'pytest:\n  paths: [tests]\n  command: [pytest-3]\n  severity: warning');
      const outcome = await p.run(pytestCheck);
      expect(sorted(outcome.findings)).toEqual(FIXTURE_FINDINGS.map((f) => ({ ...f, severity: 'warning' })));
      expect(outcome.stats).toEqual({ tests: 5, failures: 2, errors: 1, skipped: 1 });
    });

    it('a test module that does not import is a test-error at its line', async () => {
      const p = project('pytest', 'pytest:\n  paths: [broken]');
      const outcome = await p.run(pytestCheck);
      expect(sorted(outcome.findings)).toEqual([
        { rule: 'test-error', severity: 'error', file: 'broken/test_syntax.py', line: 1, column: undefined, message: 'broken/test_syntax.py: collection failure: SyntaxError: invalid syntax' },
      ]);
      expect(outcome.stats).toMatchObject({ errors: 1, failures: 0 });
    });

    it('no tests collected (exit code 5) is a warning', async () => {
      const p = project('pytest', 'pytest:\n  paths: [empty]');
      const outcome = await p.run(pytestCheck);
      expect(outcome.findings).toEqual([
        { check: 'pytest', rule: 'no-tests', severity: 'warning', message: 'pytest collected no tests in empty', hint: 'Check checks.pytest.paths, or remove checks.pytest from ferry.yml.' },
      ]);
      expect(outcome.stats).toEqual({ tests: 0, failures: 0, errors: 0, skipped: 0 });
    });

    it('paths with spaces and ";" reach pytest as they are, never through a shell (and the JUnit file goes to a folder with a space)', async () => {
      const p = project(undefined, 'pytest:\n  paths: ["my tests"]');
      p.write('my tests/test_odd; touch PWNED.py', 'def test_odd():\n    assert 1 + 1 == 3, "arithmetic"\n');
      const outcome = await p.run(pytestCheck);
      expect(sorted(outcome.findings)).toEqual([
        { rule: 'test-failure', severity: 'error', file: 'my tests/test_odd; touch PWNED.py', line: 2, column: undefined, message: 'my tests/test_odd; touch PWNED.py::test_odd: AssertionError: arithmetic' },
      ]);
      expect(fs.readdirSync(p.root).filter((f) => f.startsWith('PWNED'))).toEqual([]);
    });

    it('a usage error (exit code 4) is a tool failure with what pytest said', async () => {
      const p = project('pytest', 'pytest:\n  paths: [tests]\n  args: ["--no-such-option"]');
      const { findings } = await p.run(pytestCheck);
      expect(findings).toHaveLength(1);
      expect(findings[0]).toMatchObject({ rule: 'tool-failed', severity: 'error' });
      expect(findings[0]!.message).toMatch(/exited with code 4 and wrote no JUnit report/);
      expect(findings[0]!.message).toContain('unrecognized arguments: --no-such-option');
    });
  },
  hasPytest,
);

describe('pytest command discovery', () => {
  const dirWith = (...names: string[]) => standIns(Object.fromEntries(names.map((n) => [n, '#!/bin/sh\nexit 0\n'])));

  it('the configured command, else pytest, else pytest-3, else python3 -m pytest', () => {
    expect(pytestCandidates(['python3.12', '-m', 'pytest'], '')).toEqual([['python3.12', '-m', 'pytest']]);
    expect(pytestCandidates(undefined, dirWith('pytest', 'pytest-3'))).toEqual([['pytest'], ['pytest-3'], ['python3', '-m', 'pytest']]);
    expect(pytestCandidates(undefined, dirWith('pytest-3'))).toEqual([['pytest-3'], ['python3', '-m', 'pytest']]);
    expect(pytestCandidates(undefined, dirWith('python3'))).toEqual([['python3', '-m', 'pytest']]);
    expect(pytestCandidates(undefined, dirWith('unrelated'))).toEqual([['pytest'], ['pytest-3'], ['python3', '-m', 'pytest']]);
  });

  it('nothing installed: one tool-missing finding naming every command tried', async () => {
    const p = project('pytest', 'pytest:\n  paths: [tests]');
    const outcome = await withPath(dirWith('unrelated'), () => p.run(pytestCheck));
    expect(outcome.findings).toEqual([
      {
        check: 'pytest',
        rule: 'tool-missing',
        severity: 'error',
        message: 'pytest is not installed: tried `pytest`, then `pytest-3`, then `python3 -m pytest`; none was found',
        hint: 'Install it with `apt-get install python3-pytest` or `pip install pytest`, or set checks.pytest.command to where it is installed, or remove checks.pytest from ferry.yml.',
      },
    ]);
  });

  it('python3 without the pytest module is the tool missing too', async () => {
    const p = project('pytest', 'pytest:\n  paths: [tests]');
    const dir = standIns({ python3: "#!/bin/sh\necho '/usr/bin/python3: No module named pytest' >&2\nexit 1\n" });
    const outcome = await withPath(dir, () => p.run(pytestCheck));
    expect(outcome.findings.map((f) => f.rule)).toEqual(['tool-missing']);
  });
});

describe('JUnit XML', () => {
  it('without file attributes (xunit2), the file comes from the classname; nested suites and entities are read', () => {
    const root = fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR ?? '/tmp'), 'ferry-junit-'));
    fs.mkdirSync(path.join(root, 'tests', 'unit'), { recursive: true });
    fs.writeFileSync(path.join(root, 'tests', 'unit', 'test_x.py'), '');
    const xml = `<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="outer" tests="0" failures="0" errors="0" skipped="0">
<testsuite name="pytest" errors="0" failures="2" skipped="0" tests="3">
  <testcase classname="tests.unit.test_x.TestA" name="test_one" time="0.1"><failure message="assert &lt;a&gt; == &quot;b&quot;&#10;second line">tests/unit/test_x.py:12: AssertionError</failure></testcase>
  <testcase classname="tests.unit.test_x" name="test_two"><failure>ValueError: bad
more</failure></testcase>
  <testcase classname="elsewhere.mod" name="test_three"/>
</testsuite></testsuite></testsuites>`;
    const { findings, stats } = parseJUnit(xml, { root, severity: 'error' });
    fs.rmSync(root, { recursive: true, force: true });
    expect(findings).toEqual([
      { check: 'pytest', rule: 'test-failure', severity: 'error', message: 'tests/unit/test_x.py::TestA::test_one: assert <a> == "b"', file: 'tests/unit/test_x.py', line: 12 },
      { check: 'pytest', rule: 'test-failure', severity: 'error', message: 'tests/unit/test_x.py::test_two: ValueError: bad', file: 'tests/unit/test_x.py' },
    ]);
    expect(stats).toEqual({ tests: 3, failures: 2, errors: 0, skipped: 0 });
  });

  it('a testcase whose module is not found keeps its dotted id, without a file', () => {
    const xml = '<testsuite tests="1" failures="1"><testcase classname="pkg.mod" name="test_z"><failure message="boom"/></testcase></testsuite>';
    expect(parseJUnit(xml, { root: '/nonexistent-root', severity: 'warning' }).findings).toEqual([{ check: 'pytest', rule: 'test-failure', severity: 'warning', message: 'pkg.mod::test_z: boom' }]);
  });
});
