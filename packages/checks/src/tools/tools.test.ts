// What every external tool check shares: not configured, not installed, too slow, crashed.
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { CHECKS } from '../registry.js';
import type { Check } from '../types.js';
import { dbtCheck, flake8Check, pytestCheck, ruffCheck, sqlfluffCheck, yamllintCheck } from './index.js';
import { cleanup, project, standIns, withPath } from './fixtures/harness.js';
import { pathArgs, relFile, showArgv } from './common.js';

afterAll(cleanup);

const TOOLS: [Check, string][] = [
  [sqlfluffCheck, 'sqlfluff'],
  [yamllintCheck, 'yamllint'],
  [flake8Check, 'flake8'],
  [ruffCheck, 'ruff'],
  [pytestCheck, 'pytest'],
  [dbtCheck, 'dbt'],
];

// [id, check] for it.each, so the test names show the tool.
const BY_ID = TOOLS.map(([c, id]) => [id, c] as [string, Check]);

describe('external tool checks', () => {
  it('have the ids of their tools and are registered', () => {
    expect(TOOLS.map(([c]) => c.id)).toEqual(['sqlfluff', 'yamllint', 'flake8', 'ruff', 'pytest', 'dbt']);
    for (const [c] of TOOLS) expect(CHECKS).toContain(c);
  });

  it('do not apply unless configured in ferry.yml', () => {
    const { config } = project(undefined, 'fail_on: error');
    for (const [c, id] of TOOLS) expect(c.notApplicable(config)).toBe(`checks.${id} is not configured in ferry.yml`);
  });

  const INSTALL: Record<string, string> = {
    sqlfluff: '`apt-get install sqlfluff` or `pip install sqlfluff`',
    yamllint: '`apt-get install yamllint` or `pip install yamllint`',
    flake8: '`apt-get install flake8` or `pip install flake8`',
    ruff: '`pip install ruff`',
    pytest: '`apt-get install python3-pytest` or `pip install pytest`',
    dbt: '`pip install dbt-core dbt-<adapter>`',
  };

  it.each(BY_ID)('%s: a configured command that is not installed is one tool-missing error naming the tool, the command and how to install it', async (id, check) => {
    const checks = id === 'dbt' ? 'dbt:\n  command: [definitely-not-installed-tool, build]' : `${id}:\n  paths: [src]\n  command: [definitely-not-installed-tool]`;
    const p = id === 'dbt' ? project(undefined, checks, { artifacts: '{ dbt: { path: dbt } }', files: { 'dbt/dbt_project.yml': 'name: x\n' } }) : project(undefined, checks, { files: { 'src/a.txt': '' } });
    const { findings } = await p.run(check);
    expect(findings).toHaveLength(1);
    const f = findings[0]!;
    expect(f).toMatchObject({ check: id, rule: 'tool-missing', severity: 'error' });
    expect(f.message).toMatch(new RegExp(`^${id} is not installed: \`definitely-not-installed-tool\` was not found on PATH \\(command: \`definitely-not-installed-tool[ \`]`));
    expect(f.hint).toContain(INSTALL[id]);
    expect(f.hint).toContain(`checks.${id}.command`);
  });

  it.each(BY_ID)('%s: a tool that does not finish within checks.<id>.timeout is stopped: tool-failed', async (id, check) => {
    const slow = standIns({ slow: '#!/bin/sh\nexec sleep 30\n' });
    const checks = id === 'dbt' ? 'dbt:\n  command: [slow]\n  timeout: 1' : `${id}:\n  paths: [src]\n  command: [slow]\n  timeout: 1`;
    const p = id === 'dbt' ? project(undefined, checks, { artifacts: '{ dbt: { path: dbt } }', files: { 'dbt/dbt_project.yml': 'name: x\n' } }) : project(undefined, checks, { files: { 'src/a.txt': '' } });
    const started = Date.now();
    const { findings } = await withPath(`${slow}${path.delimiter}${process.env.PATH}`, () => p.run(check));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ check: id, rule: 'tool-failed', severity: 'error', hint: expect.stringContaining(`checks.${id}.timeout`) });
    expect(findings[0]!.message).toMatch(/^`slow( .*)?` did not finish within 1 s and was stopped$/);
  });

  it.each(BY_ID.filter(([id]) => id !== 'dbt'))('%s: a tool that crashes without output is tool-failed with what it printed', async (id, check) => {
    const crash = standIns({ crash: "#!/bin/sh\necho 'Traceback (most recent call last):' >&2\necho 'MemoryError' >&2\nexit 1\n" });
    const p = project(undefined, `${id}:\n  paths: [src]\n  command: [crash]`, { files: { 'src/a.txt': '' } });
    const { findings } = await withPath(`${crash}${path.delimiter}${process.env.PATH}`, () => p.run(check));
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ check: id, rule: 'tool-failed', severity: 'error' });
    expect(findings[0]!.message).toMatch(/exited with code 1/);
    expect(findings[0]!.message).toMatch(/Traceback \(most recent call last\):\nMemoryError$/);
  });
});

describe('shared helpers', () => {
  it('relFile: project-relative POSIX paths, from relative or absolute tool output', () => {
    expect(relFile('/p', 'models/a.sql')).toBe('models/a.sql');
    expect(relFile('/p', './models/a.sql')).toBe('models/a.sql');
    expect(relFile('/p', '/p/dags/x.py')).toBe('dags/x.py');
    expect(relFile('/p', 'x.py', '/p/dbt')).toBe('dbt/x.py');
  });

  it('pathArgs: a path that starts with "-" cannot pass for an option', () => {
    expect(pathArgs(['models', '-rf.sql', 'a b;c'])).toEqual(['models', './-rf.sql', 'a b;c']);
  });

  it('showArgv quotes what a shell would split (for messages only; nothing is run through a shell)', () => {
    expect(showArgv(['sqlfluff', 'lint', 'my models/x; y.sql', "it's"])).toBe(`sqlfluff lint 'my models/x; y.sql' 'it'\\''s'`);
  });
});
