import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { loadConfig, MemoryRunner } from '@ferry/core';
import { writeFiles } from '../../../../test/support/git-repo.js';
import { dbtContractsCheck } from './dbt-contracts-check.js';

const example = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../examples/data-platform/ferry.yml');

async function run(files: Record<string, string>) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-dbt-contracts-'));
  writeFiles(dir, {
    'ferry.yml': 'project: demo\nartifacts:\n  dbt: { path: dbt }\nenvironments:\n  - name: dev\n',
    'dbt/dbt_project.yml': 'name: shop\nmodels:\n  shop:\n    marts:\n      +materialized: table\n',
    ...files,
  });
  return dbtContractsCheck.run({ config: loadConfig(path.join(dir, 'ferry.yml')), runner: new MemoryRunner(), tmpDir: dir });
}

const row = (f: { rule: string; severity: string; file?: string; line?: number; message: string }) => [f.rule, f.severity, f.file, f.line];

describe('dbt-contracts check', () => {
  it('finds nothing wrong in the example project, whose dim_customers enforces a complete contract', async () => {
    const out = await dbtContractsCheck.run({ config: loadConfig(example), runner: new MemoryRunner(), tmpDir: os.tmpdir() });
    expect(out.findings).toEqual([]);
    expect(out.stats).toMatchObject({ models: 5, 'enforced contracts': 1 });
  });

  it('flags columns without data_type in a contract set in the YAML properties', async () => {
    const out = await run({
      'dbt/models/marts/dim.sql': 'select 1 as id, 2 as name',
      'dbt/models/marts/schema.yml': `version: 2
models:
  - name: dim
    config:
      contract: { enforced: true }
    columns:
      - name: id
        data_type: int
      - name: name
`,
    });
    expect(out.findings.map(row)).toEqual([['DBT002', 'error', 'dbt/models/marts/schema.yml', 9]]);
    expect(out.findings[0]!.message).toBe('model "dim" enforces its contract, but column "name" has no data_type');
  });

  it('applies contracts from dbt_project.yml folders and from config() in the SQL, with dbt precedence', async () => {
    const out = await run({
      'dbt/dbt_project.yml': 'name: shop\nmodels:\n  shop:\n    marts:\n      +contract: { enforced: true }\n      loose:\n        +contract: { enforced: false }\n',
      'dbt/models/marts/a.sql': 'select 1 as id',
      'dbt/models/marts/loose.sql': 'select 1 as id',
      'dbt/models/marts/b.sql': "{{ config(materialized='table', contract={'enforced': false}) }}\nselect 1 as id",
      'dbt/models/staging/c.sql': "{{ config(contract={\"enforced\": True}) }}\nselect 1 as id",
      'dbt/models/schema.yml': 'version: 2\nmodels:\n  - name: a\n    columns:\n      - name: id\n  - name: loose\n    columns:\n      - name: id\n  - name: b\n    columns:\n      - name: id\n',
    });
    expect(out.findings.map(row)).toEqual([
      ['DBT002', 'error', 'dbt/models/schema.yml', 5],
      ['DBT003', 'error', 'dbt/models/staging/c.sql', 1],
    ]);
  });

  it('flags a contract with no columns, a model without a file, and YAML that does not parse', async () => {
    const out = await run({
      'dbt/models/x.sql': 'select 1',
      'dbt/models/schema.yml': 'version: 2\nmodels:\n  - name: x\n    config: { contract: { enforced: true } }\n  - name: ghost\n    columns: [{ name: id }]\n',
      'dbt/models/broken.yml': 'version: 2\nmodels:\n  - name: y\n   columns: []\n',
    });
    expect(out.findings.map(row)).toEqual([
      ['DBT001', 'error', 'dbt/models/broken.yml', 4],
      ['DBT003', 'error', 'dbt/models/schema.yml', 3],
      ['DBT004', 'warning', 'dbt/models/schema.yml', 5],
    ]);
    for (const f of out.findings) expect(f.hint).toBeTruthy();
  });
});
