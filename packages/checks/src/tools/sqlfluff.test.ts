import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { cleanup, describeWithTool, FIXTURES, project, sorted } from './fixtures/harness.js';
import { parseSqlfluff, readSqlfluffJson, sqlfluffCheck } from './sqlfluff.js';

afterAll(cleanup);

const L036 = 'Select targets should be on a new line unless there is only one select target.';
const L008 = "Expected single whitespace between comma ',' and naked identifier.";
const L010 = 'Keywords must be consistently upper case.';

describeWithTool('sqlfluff', 'apt-get install sqlfluff', 'sqlfluff (the real tool)', () => {
  it('reports every violation of the fixture project at its file, line and column; parse and templating errors are errors', async () => {
    const p = project('sqlfluff', 'sqlfluff:\n  paths: [models]\n  dialect: ansi\n  severity: warning');
    const outcome = await p.run(sqlfluffCheck);
    expect(sorted(outcome.findings)).toEqual([
      { rule: 'PRS', severity: 'error', file: 'models/broken.sql', line: 1, column: 1, message: "Line 1, Position 1: Found unparsable section: 'SELEC 1 FROM'" },
      { rule: 'L036', severity: 'warning', file: 'models/orders.sql', line: 1, column: 1, message: L036 },
      { rule: 'L008', severity: 'warning', file: 'models/orders.sql', line: 1, column: 10, message: L008 },
      { rule: 'L010', severity: 'warning', file: 'models/orders.sql', line: 1, column: 12, message: L010 },
      // sqlfluff's jinja templater knows dbt's ref/source, not the project's macros.
      { rule: 'TMP', severity: 'error', file: 'models/payments.sql', line: 3, column: 8, message: "Undefined jinja template variable: 'cents_to_dollars'" },
      { rule: 'PRS', severity: 'error', file: 'models/payments.sql', line: 3, column: 44, message: "Line 3, Position 6: Found unparsable section: 'as amount'" },
    ]);
    const tmp = outcome.findings.find((f) => f.rule === 'TMP');
    expect(tmp?.hint).toContain('load_macros_from_path');
    expect(outcome.findings.every((f) => f.check === 'sqlfluff')).toBe(true);
  });

  it('configured severity defaults to error; with the macros loaded (.sqlfluff) the dbt model lints clean', async () => {
    const p = project('sqlfluff', 'sqlfluff:\n  paths: [models/payments.sql, models/clean.sql, models/orders.sql]\n  dialect: ansi', {
      files: { '.sqlfluff': '[sqlfluff:templater:jinja]\nload_macros_from_path = macros\n' },
    });
    const outcome = await p.run(sqlfluffCheck);
    expect(sorted(outcome.findings).map((f) => [f.rule, f.severity, f.file, f.line, f.column])).toEqual([
      ['L036', 'error', 'models/orders.sql', 1, 1],
      ['L008', 'error', 'models/orders.sql', 1, 10],
      ['L010', 'error', 'models/orders.sql', 1, 12],
    ]);
  });

  it('a clean file gives no finding', async () => {
    const p = project('sqlfluff', 'sqlfluff:\n  paths: [models/clean.sql]\n  dialect: ansi');
    expect((await p.run(sqlfluffCheck)).findings).toEqual([]);
  });

  it('passes args as they are and paths with spaces and ";" without a shell', async () => {
    const p = project(undefined, 'sqlfluff:\n  paths: ["my models"]\n  dialect: ansi\n  args: ["--rules", "L010"]');
    p.write('my models/x; touch PWNED.sql', fs.readFileSync(path.join(FIXTURES, 'sqlfluff/models/orders.sql'), 'utf8'));
    p.write('my models/$(touch PWNED2).sql', 'select 1 from t\n');
    const outcome = await p.run(sqlfluffCheck);
    expect(sorted(outcome.findings)).toEqual([{ rule: 'L010', severity: 'error', file: 'my models/x; touch PWNED.sql', line: 1, column: 12, message: L010 }]);
    expect(fs.readdirSync(p.root).filter((f) => f.startsWith('PWNED'))).toEqual([]);
  });

  it('an unknown dialect is a tool failure with what sqlfluff said', async () => {
    const p = project('sqlfluff', 'sqlfluff:\n  paths: [models/clean.sql]\n  dialect: klingon');
    const { findings } = await p.run(sqlfluffCheck);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ check: 'sqlfluff', rule: 'tool-failed', severity: 'error' });
    expect(findings[0]!.message).toContain('exited with code 2 and wrote no JSON report');
    expect(findings[0]!.message).toContain("Unknown dialect 'klingon'");
  });
});

describe('sqlfluff output shapes', () => {
  it('reads the 2.x/3.x shape: start_line_no/start_line_pos, rule name, warning flag, end position, files listed with statistics', () => {
    const text = fs.readFileSync(path.join(FIXTURES, 'sqlfluff/output-3x.json'), 'utf8');
    const results = readSqlfluffJson(text)!;
    expect(sorted(parseSqlfluff(results, { root: '/repo', severity: 'error' }), ['endLine', 'endColumn'])).toEqual([
      { rule: 'LT09', severity: 'error', file: 'models/orders.sql', line: 1, column: 1, endLine: 1, endColumn: 23, message: 'Select targets should be on a new line unless there is only one select target. (layout.select_targets)' },
      { rule: 'LT01', severity: 'error', file: 'models/orders.sql', line: 1, column: 9, endLine: 1, endColumn: 10, message: 'Expected single whitespace between comma \',\' and naked identifier. (layout.spacing)' },
      { rule: 'CP01', severity: 'warning', file: 'models/orders.sql', line: 1, column: 12, endLine: 1, endColumn: 16, message: 'Keywords must be consistently upper case. (capitalisation.keywords)' },
      { rule: 'TMP', severity: 'error', file: 'models/payments.sql', line: 3, column: 8, message: "Undefined jinja template variable: 'cents_to_dollars'" },
    ]);
    expect(results.some((r) => r.statistics)).toBe(true);
    expect(results).toHaveLength(3);
  });

  it('finds the JSON after other output, and says when there is none', () => {
    expect(readSqlfluffJson('some log line\n[{"filepath": "a.sql", "violations": []}]\n')).toEqual([{ filepath: 'a.sql', violations: [] }]);
    expect(readSqlfluffJson('User Error: No dialect was specified.')).toBeUndefined();
    expect(readSqlfluffJson('')).toBeUndefined();
  });

  it('position 0 (1.x templating errors) is no column', () => {
    const f = parseSqlfluff([{ filepath: 'a.sql', violations: [{ line_no: 1, line_pos: 0, code: 'TMP', description: 'Failure to parse jinja template' }] }], { root: '/r', severity: 'warning' });
    expect(f[0]).toMatchObject({ rule: 'TMP', severity: 'error', line: 1, column: undefined });
  });
});
