import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, jest } from '@jest/globals';
import { XMLParser } from 'fast-xml-parser';
import { runAction, tempDir, type RunResult } from './run-action.js';
import { exampleWorkspace, useGitHubServer } from './workspace.js';

jest.setTimeout(60_000);
const gh = useGitHubServer();

const lint = (cwd: string, inputs: Record<string, string> = {}) => runAction('lint-and-test', { cwd, apiUrl: gh().url, inputs });
const annotations = (r: RunResult, level: string) => r.commands.filter((c) => c.command === level && c.properties.title);

/** A DAG that reads an Airflow Variable at import time: one DAG105 error per file. */
const badDag = (i: number) => `import pendulum
from airflow import DAG
from airflow.models import Variable

TABLE = Variable.get("table_${i}")

with DAG(
    "bad_${i}",
    schedule="@daily",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["test"],
    default_args={"owner": "data", "retries": 1},
):
    pass
`;

describe('lint-and-test (committed bundle)', () => {
  it('passes the example project: outputs, a summary table, a JUnit report, no annotations', async () => {
    const cwd = exampleWorkspace();
    const r = await lint(cwd);
    expect(r.code).toBe(0);
    expect(r.outputs).toMatchObject({ errors: '0', warnings: '0' });
    expect(r.summary).toContain('### ferry lint-and-test: no problems found');
    expect(r.summary).toMatch(/\| DAG integrity \| ✅ passed \| 0 \| 0 \|/);
    const junit = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(fs.readFileSync(r.outputs['report-path']!, 'utf8'));
    expect(junit.testsuites).toMatchObject({ failures: '0' });
    expect(JSON.parse(fs.readFileSync(r.outputs['report-path']!.replace(/\.xml$/, '.json'), 'utf8'))).toMatchObject({ format: 'ferry.check/v1', counts: { error: 0 } });
    expect([...annotations(r, 'error'), ...annotations(r, 'warning')]).toEqual([]);
  });

  it('fails on errors, annotates at most 10 per level with repository paths, and reports every finding', async () => {
    const root = tempDir('ferry-lint-');
    // ferry.yml in a subfolder: annotations must still point at files from the repository root.
    fs.cpSync(exampleWorkspace(), path.join(root, 'platform'), { recursive: true });
    for (let i = 0; i < 12; i++) fs.writeFileSync(path.join(root, 'platform/dags', `bad_${String(i).padStart(2, '0')}.py`), badDag(i));
    fs.writeFileSync(path.join(root, 'platform/config/alerts.yml'), 'slack_webhook: https://hooks.slack.com/services/T000/B000/abcdefXYZ\n');
    const r = await lint(root, { config: 'platform/ferry.yml' });

    expect(r.code).toBe(1);
    expect(r.outputs).toMatchObject({ errors: '13', warnings: '0' });
    const errors = annotations(r, 'error');
    expect(errors).toHaveLength(10);
    expect(errors[0]!.properties).toMatchObject({ file: 'platform/config/alerts.yml', title: 'configs FERRY_SECRET_LITERAL' });
    expect(errors[1]!.properties).toMatchObject({ file: 'platform/dags/bad_00.py', line: '5', col: '9', title: 'dags DAG105' });
    expect(r.commands.find((c) => c.command === 'notice')!.message).toContain('3 more findings are not annotated');
    expect(r.commands.at(-1)).toMatchObject({ command: 'error', message: 'lint-and-test: 13 errors' });
    expect(r.stdout).not.toContain('abcdefXYZ');
    expect(r.summary).not.toContain('abcdefXYZ');

    const junit = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(fs.readFileSync(r.outputs['report-path']!, 'utf8'));
    expect(junit.testsuites).toMatchObject({ failures: '13' });
    expect(r.summary).toContain('### ferry lint-and-test: 13 errors');
    expect(r.summary).toContain('| DAG integrity | ❌ failed | 12 | 0 |');
  });

  it('fail-on decides the exit code, not what is reported', async () => {
    const cwd = exampleWorkspace();
    fs.writeFileSync(path.join(cwd, 'dags/untagged.py'), badDag(1).replace('TABLE = Variable.get("table_1")\n', '').replace('    tags=["test"],\n', ''));
    const warn = await lint(cwd, { 'fail-on': 'warning' });
    expect(warn.code).toBe(1);
    expect(warn.outputs).toMatchObject({ errors: '0', warnings: '1' });
    expect(annotations(warn, 'warning')[0]!.properties).toMatchObject({ file: 'dags/untagged.py', title: 'dags DAG106' });
    const lenient = await lint(cwd, { 'fail-on': 'error' });
    expect(lenient.code).toBe(0);
    expect(lenient.outputs.warnings).toBe('1');
    fs.writeFileSync(path.join(cwd, 'dags/bad.py'), badDag(2));
    expect((await lint(cwd, { 'fail-on': 'never' })).code).toBe(0);
  });

  it('runs a configured tool for real (flake8) and names a configured tool that is missing', async () => {
    const cwd = exampleWorkspace();
    fs.appendFileSync(path.join(cwd, 'ferry.yml'), 'checks:\n  flake8:\n    paths: [dags]\n    args: [--select=F401]\n  sqlfluff:\n    paths: [dbt/models]\n    command: [sqlfluff-not-installed]\n');
    fs.writeFileSync(path.join(cwd, 'dags/unused_import.py'), 'import os\n');
    const r = await lint(cwd, { only: 'flake8,sqlfluff' });
    expect(r.code).toBe(1);
    const errors = annotations(r, 'error').map((c) => [c.properties.title, c.properties.file ?? '', c.properties.line ?? '']);
    expect(errors).toEqual([
      ['sqlfluff tool-missing', '', ''],
      ['flake8 F401', 'dags/unused_import.py', '1'],
    ]);
    expect(annotations(r, 'error')[0]!.message).toMatch(/sqlfluff-not-installed/);
    expect(r.summary).not.toContain('DAG integrity');
  });

  it('refuses bad inputs with FERRY_INPUT', async () => {
    const cwd = exampleWorkspace();
    const a = await lint(cwd, { 'fail-on': 'maybe' });
    expect(a.code).toBe(1);
    expect(a.commands.some((c) => c.command === 'error' && c.message.includes('FERRY_INPUT'))).toBe(true);
    const b = await lint(cwd, { only: 'dagz' });
    expect(b.commands.some((c) => c.command === 'error' && /did you mean "dags"/.test(c.message))).toBe(true);
  });
});
