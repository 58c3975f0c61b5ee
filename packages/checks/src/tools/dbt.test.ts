import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { RUN_RESULTS_V6, schemaVersionOf, validateRunResultsV6 } from '@ferry/dbt';
import { dbtCheck } from './dbt.js';
import { cleanup, FIXTURES, project, sorted, standIns, withPath } from './fixtures/harness.js';

afterAll(cleanup);

const REPO = path.resolve(FIXTURES, '../../../../..');
const SHIPPED_SCHEMA = path.join(REPO, 'packages/dbt/schemas/run-results-v6.schema.json');
const SHARED_SCHEMA = path.join(REPO, '../shared/specs/dbt/run-results-v6.schema.json');
const fixture = (name: string) => path.join(FIXTURES, 'dbt', name);
const readJson = (name: string): unknown => JSON.parse(fs.readFileSync(fixture(name), 'utf8'));

const UNIQ = 'test.shop.unique_stg_orders_order_id.a8b1c4e3f9';
const SING = 'test.shop.assert_no_negative_amounts';

interface Scenario {
  /** Fixture copied to the run_results path, or none (dbt failed before writing it). */
  results?: string;
  manifest?: boolean;
  code?: number;
  output?: string;
  /** Where the stand-in writes, relative to the project folder. */
  dest?: string;
}

/** A stand-in `dbt`, first on PATH: records its argv and folder, writes the scenario's run_results.json. */
function fakeDbt() {
  const dir = standIns({});
  fs.writeFileSync(
    path.join(dir, 'dbt'),
    `#!/bin/sh
pwd > '${dir}/cwd'
for a in "$@"; do printf '%s\\n' "$a"; done > '${dir}/argv'
. '${dir}/scenario'
if [ -n "$RESULTS" ]; then mkdir -p "$(dirname "$DEST")"; cp "$RESULTS" "$DEST"; fi
if [ -n "$MANIFEST" ]; then mkdir -p "$(dirname "$DEST")"; cp "$MANIFEST" "$(dirname "$DEST")/manifest.json"; fi
printf '%s\\n' "$OUTPUT"
exit "$CODE"
`,
    { mode: 0o755 },
  );
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return {
    dir,
    scenario(s: Scenario) {
      fs.writeFileSync(
        path.join(dir, 'scenario'),
        [
          `RESULTS=${q(s.results ? fixture(s.results) : '')}`,
          `MANIFEST=${q(s.manifest === false ? '' : fixture('manifest.json'))}`,
          `DEST=${q(s.dest ?? 'target/run_results.json')}`,
          `CODE=${s.code ?? 0}`,
          `OUTPUT=${q(s.output ?? 'Done.')}`,
        ].join('\n') + '\n',
      );
    },
    argv: () => fs.readFileSync(path.join(dir, 'argv'), 'utf8').split('\n').slice(0, -1),
    cwd: () => fs.readFileSync(path.join(dir, 'cwd'), 'utf8').trim(),
  };
}

/** A project whose dbt project (the fixture) is in dbt/, declared as artifacts.dbt. */
const dbtProject = (checks = 'dbt: {}') => project('dbt/project', checks, { artifacts: '{ dbt: { path: dbt } }', fixtureAt: 'dbt' });

async function runDbt(s: Scenario, checks?: string) {
  const p = dbtProject(checks);
  const fake = fakeDbt();
  fake.scenario(s);
  const outcome = await withPath(`${fake.dir}${path.delimiter}${process.env.PATH}`, () => p.run(dbtCheck));
  return { p, fake, outcome };
}

describe('the run-results v6 schema shipped with @ferry/checks', () => {
  // sha256 of dbt-core's schemas/dbt/run-results/v6.json (branch 1.11.latest @ 2604bc2), as copied into ../shared/specs.
  const UPSTREAM_SHA256 = '1783bda55656bde624ed67640375640a2919a8608e2505e3a02c04cd139e2cdf';

  it('is dbt-core\'s own v6 schema, byte for byte', () => {
    const shipped = fs.readFileSync(SHIPPED_SCHEMA);
    expect(createHash('sha256').update(shipped).digest('hex')).toBe(UPSTREAM_SHA256);
    expect((JSON.parse(shipped.toString('utf8')) as { $id: string }).$id).toBe(RUN_RESULTS_V6);
    // Where the shared reference copy sits beside the repository (developer machines), compare with it too.
    if (fs.existsSync(SHARED_SCHEMA)) expect(shipped.equals(fs.readFileSync(SHARED_SCHEMA))).toBe(true);
  });

  it('the crafted fixtures are valid v6 run results, except the two made not to be', () => {
    for (const name of ['pass', 'failing-tests', 'model-error', 'warn']) {
      const data = readJson(`run_results.${name}.json`);
      expect([name, schemaVersionOf(data), validateRunResultsV6(data)]).toEqual([name, 'v6', []]);
    }
    const invalid = readJson('run_results.schema-invalid.json');
    expect(schemaVersionOf(invalid)).toBe('v6');
    expect(validateRunResultsV6(invalid)).toEqual([
      "/results/1 must have required property 'thread_id'",
      '/results/2/status is "exploded", expected "success" | "error" | "skipped" | "partial success" | "no-op" | "pass" | "fail" | "warn" | "runtime error"',
      '/elapsed_time must be number',
    ]);
    expect(schemaVersionOf(readJson('run_results.v5.json'))).toBe('v5');
  });
});

describe('dbt, with a stand-in dbt first on PATH', () => {
  it('a passing run: `dbt build` in the project folder (artifacts.dbt.path), no finding, the counts', async () => {
    const { p, fake, outcome } = await runDbt({ results: 'run_results.pass.json' });
    expect(fake.argv()).toEqual(['build']);
    expect(fake.cwd()).toBe(fs.realpathSync(path.join(p.root, 'dbt')));
    expect(outcome).toEqual({ findings: [], stats: { models: 2, tests: 4, errors: 0, failures: 0, warnings: 0, skipped: 0 } });
  });

  it('failing tests are errors with the failing row count, at the file that declares them (manifest.json)', async () => {
    const { outcome } = await runDbt({ results: 'run_results.failing-tests.json', code: 1, output: 'Completed with 2 errors' });
    expect(sorted(outcome.findings)).toEqual([
      { rule: 'fail', severity: 'error', file: 'dbt/models/staging/schema.yml', line: undefined, column: undefined, message: `${UNIQ} failed (3 failing rows): Got 3 results, configured to fail if != 0` },
      { rule: 'fail', severity: 'error', file: 'dbt/tests/assert_no_negative_amounts.sql', line: undefined, column: undefined, message: `${SING} failed (1 failing row): Got 1 result, configured to fail if != 0` },
    ]);
    expect(outcome.stats).toEqual({ models: 2, tests: 4, errors: 0, failures: 2, warnings: 0, skipped: 0 });
  });

  it('a model error is an error at the model file with dbt\'s message; what it skipped is counted', async () => {
    const { outcome } = await runDbt({ results: 'run_results.model-error.json', code: 1 });
    expect(sorted(outcome.findings)).toEqual([
      {
        rule: 'error',
        severity: 'error',
        file: 'dbt/models/marts/fct_orders.sql',
        line: undefined,
        column: undefined,
        message: 'model.shop.fct_orders errored: Database Error in model fct_orders (models/marts/fct_orders.sql)\n  column "amount_cents" does not exist\n  compiled code at target/run/shop/models/marts/fct_orders.sql',
      },
    ]);
    expect(outcome.stats).toEqual({ models: 2, tests: 4, errors: 1, failures: 0, warnings: 0, skipped: 1 });
  });

  it('a test at severity warn is a warning', async () => {
    const { outcome } = await runDbt({ results: 'run_results.warn.json' });
    expect(outcome.findings).toEqual([
      { check: 'dbt', rule: 'warn', severity: 'warning', file: 'dbt/models/staging/schema.yml', message: 'test.shop.not_null_stg_orders_customer_id.3e5f8a2d1c warned (2 failing rows): Got 2 results, configured to warn if != 0' },
    ]);
    expect(outcome.stats).toMatchObject({ warnings: 1, errors: 0 });
  });

  it('without manifest.json the findings have no file', async () => {
    const { outcome } = await runDbt({ results: 'run_results.warn.json', manifest: false });
    expect(outcome.findings.map((f) => [f.rule, f.file])).toEqual([['warn', undefined]]);
  });

  it('the configured command, project_dir and run_results path are used', async () => {
    const { fake, outcome } = await runDbt(
      { results: 'run_results.failing-tests.json', dest: 'out/ci/rr.json', code: 1 },
      'dbt:\n  command: [dbt, test, --target, ci, --select, "tag:nightly"]\n  project_dir: dbt\n  run_results: out/ci/rr.json\n  timeout: 60',
    );
    expect(fake.argv()).toEqual(['test', '--target', 'ci', '--select', 'tag:nightly']);
    expect(outcome.findings.map((f) => [f.rule, f.file])).toEqual([
      ['fail', 'dbt/models/staging/schema.yml'],
      ['fail', 'dbt/tests/assert_no_negative_amounts.sql'],
    ]);
  });

  it('a run_results.json that fails the v6 schema is a clear error', async () => {
    const { outcome } = await runDbt({ results: 'run_results.schema-invalid.json' });
    expect(outcome.findings).toHaveLength(1);
    expect(outcome.findings[0]).toMatchObject({ check: 'dbt', rule: 'run-results-invalid', severity: 'error', file: 'dbt/target/run_results.json' });
    expect(outcome.findings[0]!.message).toBe(
      "dbt/target/run_results.json does not match dbt's run-results v6 schema: /results/1 must have required property 'thread_id'; " +
        '/results/2/status is "exploded", expected "success" | "error" | "skipped" | "partial success" | "no-op" | "pass" | "fail" | "warn" | "runtime error"; /elapsed_time must be number',
    );
  });

  it('a run_results.json of another schema version (v5) is a clear error naming both versions', async () => {
    const { outcome } = await runDbt({ results: 'run_results.v5.json' });
    expect(outcome.findings).toEqual([
      {
        check: 'dbt',
        rule: 'run-results-version',
        severity: 'error',
        file: 'dbt/target/run_results.json',
        message: 'dbt/target/run_results.json is run-results schema v5, written by dbt 1.7.4; ferry reads run-results schema v6',
        hint: 'Upgrade dbt-core to a release that writes run-results v6 (the current schema of run_results.json).',
      },
    ]);
  });

  it('dbt failing before it writes run_results.json is a tool failure with the end of its output', async () => {
    const { outcome } = await runDbt({ code: 2, output: 'Encountered an error:\nRuntime Error\n  Could not find profile named \'shop\'' });
    expect(outcome.findings).toEqual([
      { check: 'dbt', rule: 'tool-failed', severity: 'error', message: "`dbt build` exited with code 2 and wrote no dbt/target/run_results.json:\nEncountered an error:\nRuntime Error\n  Could not find profile named 'shop'" },
    ]);
  });

  it('a run_results.json left by an earlier run is not read as this run\'s', async () => {
    const p = dbtProject();
    const stale = p.write('dbt/target/run_results.json', fs.readFileSync(fixture('run_results.failing-tests.json'), 'utf8'));
    const old = new Date(Date.now() - 3600_000);
    fs.utimesSync(stale, old, old);
    const fake = fakeDbt();
    fake.scenario({ code: 0 });
    const { findings } = await withPath(`${fake.dir}${path.delimiter}${process.env.PATH}`, () => p.run(dbtCheck));
    expect(findings.map((f) => [f.rule, f.message])).toEqual([['run-results-missing', '`dbt build` finished but did not write dbt/target/run_results.json']]);
  });

  it('a dbt that exits non-zero although every result passed is reported', async () => {
    const { outcome } = await runDbt({ results: 'run_results.pass.json', code: 2, output: 'Unhandled error while writing artifacts' });
    expect(outcome.findings.map((f) => [f.rule, f.message])).toEqual([['tool-failed', '`dbt build` exited with code 2:\nUnhandled error while writing artifacts']]);
  });
});

describe('dbt configuration problems', () => {
  it('no project folder: neither checks.dbt.project_dir nor artifacts.dbt', async () => {
    const p = project(undefined, 'dbt: {}');
    expect((await p.run(dbtCheck)).findings).toEqual([
      { check: 'dbt', rule: 'no-project', severity: 'error', file: 'ferry.yml', message: 'checks.dbt has no project_dir and ferry.yml declares no artifacts.dbt, so there is no dbt project to run' },
    ]);
  });

  it('dbt not installed: the tool-missing finding names the command and how to install dbt', async () => {
    const p = dbtProject();
    const { findings } = await withPath(standIns({}), () => p.run(dbtCheck));
    expect(findings).toEqual([
      {
        check: 'dbt',
        rule: 'tool-missing',
        severity: 'error',
        message: 'dbt is not installed: `dbt` was not found on PATH (command: `dbt build`)',
        hint: 'Install it with `pip install dbt-core dbt-<adapter>` (the adapter of your warehouse, e.g. dbt-postgres), or set checks.dbt.command to where it is installed.',
      },
    ]);
  });
});
