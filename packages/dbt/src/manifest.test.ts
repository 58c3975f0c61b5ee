import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { FerryError } from '@ferry/core';
import { readManifest } from './manifest.js';
import { CHECK_NOTHING, EXPOSURE, fixture, FIXTURES, JUST_MY, MY_MODEL, NOT_NULL, rawManifest, read, SEED, SNAPSHOT, SOURCE, SPINE, toV12, UNIT_TEST, type Json } from './test-support.js';

const SHARED = path.resolve(FIXTURES, '../../../../shared/specs/dbt');

/** The thrown FerryError's problems, as plain data. */
function problemsOf(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    if (e instanceof FerryError) return e.problems.map((p) => ({ ...p }));
    throw e;
  }
  throw new Error('expected a FerryError');
}

describe('the fixtures are byte-identical copies of the reference specs', () => {
  // sha256 of the files as copied from dbt-labs/dbt-core (see fixtures/README.md); CI has no ../shared.
  const UPSTREAM: Record<string, [string, string]> = {
    'manifest-v10.json': ['c2e7e707535df7b6750e3af49fbaff18edd46142a163e3137c0bec8f6e6e9630', 'fixtures/manifest-v10.json'],
    'manifest-v11.json': ['68c10d1f85a580bfe1bc35480ea15ed76ccd036df1bf86b69cb232fe1ae80170', 'fixtures/manifest-v11.json'],
    'manifest-v12.schema.json': ['b290bb419026be3fa361ead7f0d8e3bb0eb6bca8c3a3fb7971f5d252fd0825b3', 'manifest-v12.schema.json'],
  };
  it.each(Object.keys(UPSTREAM))('%s', (name) => {
    const [hash, shared] = UPSTREAM[name]!;
    const bytes = fs.readFileSync(fixture(name));
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(hash);
    // Where the shared reference copy sits beside the repository (developer machines), compare with it too.
    const there = path.join(SHARED, shared);
    if (fs.existsSync(there)) expect(bytes.equals(fs.readFileSync(there))).toBe(true);
  });
});

describe('readManifest on the real manifests', () => {
  it('reads v10 (dbt 1.6.6): version, nodes of every kind, macros', () => {
    const m = readManifest(fs.readFileSync(fixture('manifest-v10.json')), { file: 'manifest-v10.json' });
    expect([m.version, m.dbtVersion, m.projectName, m.adapterType]).toEqual(['v10', '1.6.6', 'test', 'postgres']);
    expect([...m.nodes.keys()].sort()).toEqual(
      ['analysis.test.a', EXPOSURE, SPINE, MY_MODEL, SEED, SNAPSHOT, SOURCE, CHECK_NOTHING, JUST_MY, NOT_NULL].sort(),
    );
    expect(m.macros.size).toBe(355);
    expect(m.macros.get('macro.dbt.test_not_null')?.dependsOnMacros).toEqual(['macro.dbt.default__test_not_null']);
  });

  it('keeps what the diff needs of a model, a snapshot, a generic test and a source (v11, dbt 1.7.6)', () => {
    const m = readManifest(fs.readFileSync(fixture('manifest-v11.json'), 'utf8'), { file: 'manifest-v11.json' });
    expect([m.version, m.dbtVersion]).toEqual(['v11', '1.7.6']);
    expect(m.nodes.get(MY_MODEL)).toEqual({
      uniqueId: MY_MODEL,
      name: 'my_model',
      resourceType: 'model',
      packageName: 'test',
      path: 'models/my_model.sql',
      fqn: ['test', 'my_model'],
      checksum: '3ea0f972fa1b56aa2dc2f56ee784b6a5796312f9a813d59ae70fd8855f10d16d',
      materialized: 'view',
      onSchemaChange: 'ignore',
      contractEnforced: false,
      columns: new Map([['id', {}]]),
      dependsOnNodes: [],
      dependsOnMacros: [],
      varsRead: [],
      forwardOnly: false,
      configForDiff: {},
    });
    const snapshot = m.nodes.get(SNAPSHOT)!;
    expect([snapshot.uniqueKey, snapshot.dependsOnNodes, snapshot.configForDiff]).toEqual([
      'id',
      [SEED],
      // target_schema=schema in the snapshot's config() call is rendered per target: it is the target, not a setting.
      { unique_key: 'id', strategy: 'check', check_cols: 'all', target_schema: '<target>' },
    ]);
    const test = m.nodes.get(NOT_NULL)!;
    expect(test.checksum).toMatch(/^generic:[0-9a-f]{64}$/);
    expect([test.resourceType, test.dependsOnNodes, test.dependsOnMacros]).toEqual(['test', [MY_MODEL], ['macro.dbt.test_not_null']]);
    expect(m.nodes.get(SOURCE)?.checksum).toBeUndefined();
    expect(m.nodes.get(SOURCE)).toMatchObject({ resourceType: 'source', configForDiff: { identifier: 'my_seed', freshness: { warn_after: { count: null, period: null }, error_after: { count: null, period: null }, filter: null } } });
    expect(m.nodes.get(EXPOSURE)?.dependsOnNodes).toEqual([SOURCE, MY_MODEL]);
  });

  it('tolerates fields it does not know, and keeps none of the SQL', () => {
    const raw = rawManifest('v11');
    raw.some_future_collection = { x: { y: 1 } };
    raw.nodes[MY_MODEL].some_future_field = { deeply: ['nested'] };
    raw.metadata.some_future_flag = true;
    const m = read(raw);
    expect(m.nodes.get(MY_MODEL)?.name).toBe('my_model');
    expect(JSON.stringify([...m.nodes.values()], (_k, v: unknown) => (v instanceof Map ? [...v] : v))).not.toContain('select 1 as id');
  });

  it('shares its empty arrays and column maps read-only: changing one throws instead of changing every node', () => {
    const m = read(rawManifest('v11'));
    const source = m.nodes.get(SOURCE)!;
    expect(() => source.columns.set('x', {})).toThrow(TypeError);
    expect(() => source.varsRead.push('x')).toThrow(TypeError);
    expect(() => (m.nodes.get(MY_MODEL)!.columns.get('id') as { dataType?: string }).dataType = 'x').toThrow(TypeError);
    expect([source.columns.size, source.varsRead]).toEqual([0, []]);
  });

  it("reads var('…') names from raw_code and macro_sql", () => {
    const raw = rawManifest('v11');
    raw.nodes[MY_MODEL].raw_code = `select {{ var("lookback_days") }} as d, {{ var('region', 'eu') }} as r, {{ var( "lookback_days" ) }} as again`;
    raw.macros['macro.test.do_nothing'].macro_sql = "{% macro do_nothing() %}{{ var('tenant') }}{% endmacro %}";
    const m = read(raw);
    expect(m.nodes.get(MY_MODEL)?.varsRead).toEqual(['lookback_days', 'region']);
    expect(m.macros.get('macro.test.do_nothing')?.varsRead).toEqual(['tenant']);
  });

  it('forward-only is opted in per model with config.meta.ferry.forward_only: true (or meta.ferry.forward_only)', () => {
    const raw = rawManifest('v11');
    raw.nodes[MY_MODEL].config.meta = { ferry: { forward_only: true } };
    raw.nodes[SPINE].meta = { ferry: { forward_only: true } };
    raw.nodes[SNAPSHOT].config.meta = { ferry: { forward_only: 'yes' } };
    const m = read(raw);
    expect([MY_MODEL, SPINE, SNAPSHOT].map((id) => m.nodes.get(id)?.forwardOnly)).toEqual([true, true, false]);
  });
});

describe('a v12 manifest (dbt 1.8+) derived from the v11 one', () => {
  const schema = JSON.parse(fs.readFileSync(fixture('manifest-v12.schema.json'), 'utf8')) as Json;
  const validate = new Ajv2020({ strict: false, allErrors: true, logger: false }).compile(schema);

  it("is valid against dbt's manifest v12 JSON Schema, and the v11 one is not (so the check means something)", () => {
    const v12 = toV12(rawManifest('v11'));
    expect(validate(v12) ? [] : validate.errors?.slice(0, 5)).toEqual([]);
    const v11 = rawManifest('v11');
    v11.metadata.dbt_schema_version = 'https://schemas.getdbt.com/dbt/manifest/v12.json';
    expect(validate(v11)).toBe(false);
  });

  it('reads as v12, unit tests included', () => {
    const m = read(toV12(rawManifest('v11')));
    expect([m.version, m.dbtVersion]).toEqual(['v12', '1.8.9']);
    expect(m.nodes.get(UNIT_TEST)).toMatchObject({ resourceType: 'unit_test', name: 'test_my_model_id', dependsOnNodes: [MY_MODEL], fqn: ['test', 'my_model', 'test_my_model_id'] });
    expect(m.nodes.get(UNIT_TEST)?.checksum).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('readManifest refuses, with the file, a code and a fix', () => {
  const FILE = 'releases/r1/dbt/manifest.json';

  it('an older schema version (v9, dbt 1.5): names the versions ferry reads', () => {
    const raw = rawManifest('v10');
    raw.metadata.dbt_schema_version = 'https://schemas.getdbt.com/dbt/manifest/v9.json';
    raw.metadata.dbt_version = '1.5.4';
    expect(problemsOf(() => readManifest(JSON.stringify(raw), { file: FILE }))).toEqual([
      {
        code: 'FERRY_DBT_MANIFEST_VERSION',
        message: `${FILE} is manifest schema v9 (written by dbt 1.5; this one says dbt 1.5.4); ferry reads v10 (dbt 1.6), v11 (dbt 1.7) and v12 (dbt 1.8 and later)`,
        location: { file: FILE, key: 'metadata.dbt_schema_version' },
        hint: 'Upgrade dbt-core to 1.6 or later in the workflow that builds the release, then rebuild it (`dbt parse` writes the manifest).',
      },
    ]);
  });

  it('a newer schema version (v13)', () => {
    const raw = rawManifest('v11');
    raw.metadata.dbt_schema_version = 'https://schemas.getdbt.com/dbt/manifest/v13.json';
    raw.metadata.dbt_version = '2.0.0';
    const [p] = problemsOf(() => readManifest(JSON.stringify(raw), { file: FILE }));
    expect(p).toEqual({
      code: 'FERRY_DBT_MANIFEST_VERSION',
      message: `${FILE} is manifest schema v13 (written by dbt 2.0.0); ferry reads v10 (dbt 1.6), v11 (dbt 1.7) and v12 (dbt 1.8 and later)`,
      location: { file: FILE, key: 'metadata.dbt_schema_version' },
      hint: 'Schema v13 is newer than this ferry knows: upgrade ferry, or build the manifest with a dbt-core release that writes v10 (dbt 1.6), v11 (dbt 1.7) and v12 (dbt 1.8 and later).',
    });
  });

  it('a truncated file: not valid JSON, with the line and column where it ends', () => {
    const text = fs.readFileSync(fixture('manifest-v11.json'), 'utf8');
    const kept = text.slice(0, Math.floor(text.length * 0.6));
    const [p] = problemsOf(() => readManifest(Buffer.from(kept), { file: FILE }));
    const lines = kept.split('\n');
    expect(p).toMatchObject({
      code: 'FERRY_DBT_MANIFEST_INVALID',
      location: { file: FILE, line: lines.length, column: lines[lines.length - 1]!.length + 1 },
      hint: 'The file is truncated or corrupt: regenerate it with `dbt parse` (or rebuild the release that holds it).',
    });
    expect(p!.message).toMatch(new RegExp(`^${FILE} is not valid JSON: \\S`));
  });

  it('corrupt bytes inside: the line and column of the first bad character', () => {
    const text = '{\n  "metadata": {\n    "dbt_schema_version": "https://schemas.getdbt.com/dbt/manifest/v11.json",,\n  }\n}';
    const [p] = problemsOf(() => readManifest(text, { file: FILE }));
    expect(p).toMatchObject({ code: 'FERRY_DBT_MANIFEST_INVALID', location: { file: FILE, line: 3, column: 78 } });
    expect(p!.message).toBe(`${FILE} is not valid JSON: Expected double-quoted property name in JSON at position 95`);
  });

  it('an empty file', () => {
    const [p] = problemsOf(() => readManifest('', { file: FILE }));
    expect(p).toMatchObject({ code: 'FERRY_DBT_MANIFEST_INVALID', message: `${FILE} is not valid JSON: Unexpected end of JSON input (the file is empty)` });
  });

  it('JSON that is not a manifest: an array, a run_results.json, no metadata', () => {
    expect(problemsOf(() => readManifest('[]', { file: FILE }))[0]?.message).toBe(`${FILE} is not a dbt manifest: it holds an array, not an object`);
    const runResults = JSON.stringify({ metadata: { dbt_schema_version: 'https://schemas.getdbt.com/dbt/run-results/v6.json', dbt_version: '1.7.6' }, results: [] });
    expect(problemsOf(() => readManifest(runResults, { file: FILE }))).toEqual([
      {
        code: 'FERRY_DBT_MANIFEST_INVALID',
        message: `${FILE} is not a dbt manifest.json: metadata.dbt_schema_version is "https://schemas.getdbt.com/dbt/run-results/v6.json"`,
        location: { file: FILE, key: 'metadata.dbt_schema_version' },
      },
    ]);
    expect(problemsOf(() => readManifest('{"nodes": {}}'))[0]).toMatchObject({
      code: 'FERRY_DBT_MANIFEST_INVALID',
      message: 'the dbt manifest is not a dbt manifest.json: it has no metadata.dbt_schema_version',
      location: { key: 'metadata.dbt_schema_version' },
    });
  });

  it('a manifest of the wrong shape: every problem at once, with its key path', () => {
    const raw = rawManifest('v11');
    delete raw.sources;
    delete raw.nodes[MY_MODEL].resource_type;
    raw.nodes[SEED] = 'not a node';
    raw.nodes[SPINE].depends_on = ['x'];
    const problems = problemsOf(() => readManifest(JSON.stringify(raw), { file: FILE }));
    expect(problems.map((p) => [p.code, p.location?.key, p.message.replace(`${FILE}: `, '')])).toEqual([
      ['FERRY_DBT_MANIFEST_INVALID', `nodes["${MY_MODEL}"].resource_type`, `nodes["${MY_MODEL}"] has no resource_type`],
      ['FERRY_DBT_MANIFEST_INVALID', `nodes["${SPINE}"].depends_on`, `nodes["${SPINE}"].depends_on is not an object`],
      ['FERRY_DBT_MANIFEST_INVALID', `nodes["${SEED}"]`, `nodes["${SEED}"] is not an object`],
      ['FERRY_DBT_MANIFEST_INVALID', 'sources', '`sources` is missing'],
    ]);
  });
});
