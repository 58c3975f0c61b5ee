import fs from 'node:fs';
import { afterAll, describe, expect, it } from '@jest/globals';
import { cleanup, describeWithTool, project, sorted } from './fixtures/harness.js';
import { parseYamllint, yamllintCheck } from './yamllint.js';

afterAll(cleanup);

describeWithTool('yamllint', 'apt-get install yamllint', 'yamllint (the real tool)', () => {
  it("maps yamllint's errors to the configured severity and its warnings to warnings", async () => {
    const p = project('yamllint', 'yamllint:\n  paths: [config]');
    expect(sorted((await p.run(yamllintCheck)).findings)).toEqual([
      { rule: 'colons', severity: 'error', file: 'config/app.yml', line: 3, column: 8, message: 'too many spaces after colon' },
      { rule: 'commas', severity: 'error', file: 'config/app.yml', line: 3, column: 13, message: 'too few spaces after comma' },
      { rule: 'trailing-spaces', severity: 'error', file: 'config/app.yml', line: 4, column: 11, message: 'trailing spaces' },
      { rule: 'syntax', severity: 'error', file: 'config/broken.yml', line: 3, column: 1, message: "syntax error: expected the node content, but found '<stream end>'" },
      { rule: 'key-duplicates', severity: 'error', file: 'config/dup.yaml', line: 3, column: 1, message: 'duplication of key "owner" in mapping' },
      { rule: 'document-start', severity: 'warning', file: 'config/flags.yml', line: 1, column: 1, message: 'missing document start "---"' },
      { rule: 'truthy', severity: 'warning', file: 'config/flags.yml', line: 1, column: 10, message: 'truthy value should be one of [false, true]' },
    ]);
  });

  it('passes checks.yamllint.config as -c; severity: warning demotes errors but not syntax errors', async () => {
    const p = project('yamllint', 'yamllint:\n  paths: [config/flags.yml, config/broken.yml, config/app.yml]\n  config: yamllint.yml\n  severity: warning');
    expect(sorted((await p.run(yamllintCheck)).findings).map((f) => [f.rule, f.severity, f.file, f.line, f.column])).toEqual([
      ['colons', 'warning', 'config/app.yml', 3, 8],
      ['commas', 'warning', 'config/app.yml', 3, 13],
      ['trailing-spaces', 'warning', 'config/app.yml', 4, 11],
      ['syntax', 'error', 'config/broken.yml', 3, 1],
      // document-start is disabled and truthy raised to error by yamllint.yml.
      ['truthy', 'warning', 'config/flags.yml', 1, 10],
    ]);
  });

  it('a clean file gives no finding', async () => {
    const p = project('yamllint', 'yamllint:\n  paths: [config/clean.yml]');
    expect((await p.run(yamllintCheck)).findings).toEqual([]);
  });

  it('paths with spaces and ";" reach yamllint as they are, never through a shell', async () => {
    const p = project(undefined, 'yamllint:\n  paths: ["conf dir/a; touch PWNED.yml", "conf dir/$(touch PWNED2).yml"]');
    p.write('conf dir/a; touch PWNED.yml', '---\nkey: value   \n');
    p.write('conf dir/$(touch PWNED2).yml', '---\nok: true\n');
    expect(sorted((await p.run(yamllintCheck)).findings)).toEqual([
      { rule: 'trailing-spaces', severity: 'error', file: 'conf dir/a; touch PWNED.yml', line: 2, column: 11, message: 'trailing spaces' },
    ]);
    expect(fs.readdirSync(p.root).filter((f) => f.startsWith('PWNED'))).toEqual([]);
  });

  it('a yamllint that crashes (missing config file) is a tool failure with its last lines', async () => {
    const p = project('yamllint', 'yamllint:\n  paths: [config]\n  config: no-such-config.yml');
    const { findings } = await p.run(yamllintCheck);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ rule: 'tool-failed', severity: 'error' });
    expect(findings[0]!.message).toContain('without reporting any problem');
    expect(findings[0]!.message).toContain("No such file or directory: 'no-such-config.yml'");
  });
});

describe('yamllint parsable output', () => {
  it('reads file:line:col: [level] message (rule), paths with colons, and ignores other lines', () => {
    const out = 'weird:name.yml:2:3: [warning] wrong indentation: expected 2 but found 4 (indentation)\nnot a finding\nb.yml:1:1: [error] something without a rule\n';
    expect(parseYamllint(out, { root: '/r', severity: 'error' })).toEqual([
      { check: 'yamllint', rule: 'indentation', severity: 'warning', message: 'wrong indentation: expected 2 but found 4', file: 'weird:name.yml', line: 2, column: 3 },
      { check: 'yamllint', rule: 'yamllint', severity: 'error', message: 'something without a rule', file: 'b.yml', line: 1, column: 1 },
    ]);
  });
});
