import { describe, expect, it } from '@jest/globals';
import { diffManifests } from './diff.js';
import {
  CHECK_NOTHING,
  cloneModel,
  EXPOSURE,
  JUST_MY,
  MY_MODEL,
  NOT_NULL,
  NOT_NULL_ORDERS,
  ORDERS,
  pipeline,
  rawManifest,
  read,
  REPORT,
  SEED,
  setBody,
  setColumns,
  setConfig,
  sha,
  SNAPSHOT,
  SOURCE,
  SPINE,
  SUMMARY,
  toV12,
  UNIT_TEST,
  variant,
  type Json,
} from './test-support.js';

const short = (sql: string) => sha(sql).slice(0, 8);
const checksumOf = (m: Json, id: string) => (m.nodes[id].checksum.checksum as string).slice(0, 8);
/** Everything downstream of my_model in the v11 project (exposure and its three tests). */
const MY_MODEL_DOWN = [EXPOSURE, CHECK_NOTHING, JUST_MY, NOT_NULL];
/** …and in the pipeline (orders and what follows it). */
const MY_MODEL_DOWN_PIPELINE = [EXPOSURE, ORDERS, SUMMARY, REPORT, CHECK_NOTHING, JUST_MY, NOT_NULL, NOT_NULL_ORDERS];
const ORDERS_DOWN = [SUMMARY, REPORT, NOT_NULL_ORDERS];

describe('no change where nothing that dbt builds changed', () => {
  it('the real v10 (dbt 1.6.6) and v11 (dbt 1.7.6) manifests: different dbt, different schemas per run, same project → no change', () => {
    // The two were written by two test runs, each in its own schema (test1697…, test1706…), and
    // the snapshot's config(target_schema=schema) rendered that schema into unrendered_config.
    const v10 = read(rawManifest('v10'));
    const v11 = read(rawManifest('v11'));
    expect(v10.nodes.get(SNAPSHOT)?.configForDiff).toEqual(v11.nodes.get(SNAPSHOT)?.configForDiff);
    expect(diffManifests(v10, v11)).toEqual([]);
  });

  it('environment-specific values only (schema/database per target, top level and in config; relation names; timestamps): no change', () => {
    const [prev, next] = variant(pipeline(), (m) => {
      for (const n of Object.values(m.nodes) as Json[]) {
        n.schema = `analytics_prod_${n.name}`;
        n.database = 'warehouse_prod';
        if (n.relation_name) n.relation_name = `"warehouse_prod"."analytics_prod"."${n.alias}"`;
        n.config.schema = 'prod';
        n.config.database = 'warehouse_prod';
        n.created_at = 1800000000.5;
        n.build_path = `target/run/${n.name}.sql`;
        n.compiled_path = `target/compiled/${n.name}.sql`;
        n.root_path = '/home/runner/work/analytics';
        n.deferred = true;
      }
      // A snapshot's config(target_schema=schema) call is rendered with the target's schema.
      m.nodes[SNAPSHOT].config.target_schema = m.nodes[SNAPSHOT].schema;
      m.nodes[SNAPSHOT].unrendered_config.target_schema = m.nodes[SNAPSHOT].schema;
      const source = m.sources[SOURCE];
      source.schema = 'raw_prod';
      source.database = 'warehouse_prod';
      source.relation_name = '"warehouse_prod"."raw_prod"."my_seed"';
      source.created_at = 1800000000.5;
    });
    expect(diffManifests(prev, next)).toEqual([]);
  });

  it('tags, docs and meta.ferry are not changes; letter case of column names and of types is not either', () => {
    const [prev, next] = variant(pipeline(), (m) => {
      const orders = m.nodes[ORDERS];
      setConfig(orders, 'tags', ['finance']);
      setConfig(orders, 'docs', { show: false });
      setConfig(orders, 'meta', { ferry: { forward_only: true } });
      setColumns(orders, { ID: 'BIGINT', Amount: ' Numeric ' });
    });
    expect(next.nodes.get(ORDERS)?.forwardOnly).toBe(true);
    expect(diffManifests(prev, next)).toEqual([]);
  });
});

describe('columns', () => {
  it('a declared column dropped from an incremental model → breaking, everything downstream', () => {
    const sql = 'select id from {{ ref("my_model") }}';
    const base = pipeline();
    const [prev, next] = variant(base, (m) => {
      setBody(m.nodes[ORDERS], sql);
      setColumns(m.nodes[ORDERS], { id: 'bigint' });
    });
    expect(diffManifests(prev, next)).toEqual([
      {
        uniqueId: ORDERS,
        name: 'orders',
        resourceType: 'model',
        change: 'modified',
        reasons: [
          { kind: 'body', detail: `SQL body changed (sha256 ${checksumOf(base, ORDERS)} → ${short(sql)})` },
          { kind: 'columns', detail: 'column amount removed' },
        ],
        category: 'breaking',
        categoryReason: 'breaking: column amount removed (or renamed): rebuild it and everything downstream',
        downstream: ORDERS_DOWN,
      },
    ]);
  });

  it('a column type changed → breaking', () => {
    const sql = 'select id, cast(10 as text) as amount from {{ ref("my_model") }}';
    const base = pipeline();
    const [prev, next] = variant(base, (m) => {
      setBody(m.nodes[ORDERS], sql);
      setColumns(m.nodes[ORDERS], { id: 'bigint', amount: 'text' });
    });
    expect(diffManifests(prev, next)).toEqual([
      {
        uniqueId: ORDERS,
        name: 'orders',
        resourceType: 'model',
        change: 'modified',
        reasons: [
          { kind: 'body', detail: `SQL body changed (sha256 ${checksumOf(base, ORDERS)} → ${short(sql)})` },
          { kind: 'columns', detail: 'column amount type numeric → text' },
        ],
        category: 'breaking',
        categoryReason: 'breaking: column type changed: amount numeric → text: rebuild it and everything downstream',
        downstream: ORDERS_DOWN,
      },
    ]);
  });

  it('columns only added (and the logic changed to produce them) → non-breaking, saying what tells', () => {
    const sql = 'select id, 10 as amount, 1 as quantity, now() as loaded_at from {{ ref("my_model") }}';
    const [prev, next] = variant(pipeline(), (m) => {
      setBody(m.nodes[ORDERS], sql);
      setColumns(m.nodes[ORDERS], { id: 'bigint', amount: 'numeric', quantity: 'integer', loaded_at: null });
    });
    const [c] = diffManifests(prev, next);
    expect([c?.reasons.slice(1), c?.category, c?.categoryReason]).toEqual([
      [
        { kind: 'columns', detail: 'column quantity added (integer)' },
        { kind: 'columns', detail: 'column loaded_at added' },
      ],
      'non-breaking',
      'non-breaking: the logic changed (SQL body); columns quantity, loaded_at only added, the other columns are unchanged (declared in YAML, not enforced: dbt does not check them)',
    ]);
  });

  it('a type declared where none was: a columns reason, non-breaking', () => {
    const [prev, next] = variant(rawManifest('v11'), (m) => setColumns(m.nodes[MY_MODEL], { id: 'integer' }));
    expect(diffManifests(prev, next).map((c) => [c.uniqueId, c.reasons, c.category, c.categoryReason])).toEqual([
      [MY_MODEL, [{ kind: 'columns', detail: 'column id type now declared (integer)' }], 'non-breaking', 'non-breaking: only declared column types changed; the output columns do not change'],
    ]);
  });
});

describe('logic: body, macros, vars', () => {
  it('the body changed: non-breaking when declared columns are unchanged, unknown (treated as breaking) when there are none', () => {
    const base = rawManifest('v11');
    const [prev, next] = variant(base, (m) => {
      setBody(m.nodes[MY_MODEL], 'select 2 as id');
      setBody(m.nodes[SPINE], "SELECT to_date('02/21/2023', 'mm/dd/yyyy') as date_day");
    });
    expect(diffManifests(prev, next)).toEqual([
      {
        uniqueId: SPINE,
        name: 'metricflow_time_spine',
        resourceType: 'model',
        change: 'modified',
        reasons: [{ kind: 'body', detail: `SQL body changed (sha256 ${checksumOf(base, SPINE)} → ${short("SELECT to_date('02/21/2023', 'mm/dd/yyyy') as date_day")})` }],
        category: 'unknown',
        categoryReason: 'unknown, treated as breaking: the logic changed (SQL body) and the output columns cannot be told (no declared columns)',
        downstream: [],
      },
      {
        uniqueId: MY_MODEL,
        name: 'my_model',
        resourceType: 'model',
        change: 'modified',
        reasons: [{ kind: 'body', detail: `SQL body changed (sha256 3ea0f972 → ${short('select 2 as id')})` }],
        category: 'non-breaking',
        categoryReason: 'non-breaking: the logic changed (SQL body) but the output columns are unchanged (declared in YAML, not enforced: dbt does not check them)',
        downstream: MY_MODEL_DOWN,
      },
    ]);
  });

  it('with an enforced contract, the contract is the evidence', () => {
    const base = rawManifest('v11');
    const my = base.nodes[MY_MODEL];
    my.config.contract = { enforced: true, alias_types: true };
    my.contract = { enforced: true, alias_types: true, checksum: sha('id:integer') };
    setColumns(my, { id: 'integer' });
    const [prev, next] = variant(base, (m) => setBody(m.nodes[MY_MODEL], 'select 2::integer as id'));
    expect(diffManifests(prev, next)[0]?.categoryReason).toBe('non-breaking: the logic changed (SQL body) but the output columns are unchanged (the contract is enforced, so dbt checks them at build)');
  });

  it('a contract newly enforced: a contract reason, non-breaking', () => {
    const [prev, next] = variant(rawManifest('v11'), (m) => {
      const my = m.nodes[MY_MODEL];
      my.config.contract = { enforced: true, alias_types: true };
      my.unrendered_config.contract = { enforced: true };
      my.contract = { enforced: true, alias_types: true, checksum: sha('id:integer') };
      setColumns(my, { id: 'integer' });
    });
    expect(diffManifests(prev, next).map((c) => [c.reasons, c.categoryReason])).toEqual([
      [
        [
          { kind: 'contract', detail: 'contract enforced: false → true' },
          { kind: 'columns', detail: 'column id type now declared (integer)' },
        ],
        'non-breaking: only the contract, declared column types changed; the output columns do not change',
      ],
    ]);
  });

  it('a macro edited: every node using it, directly or through another macro, with the macro named', () => {
    const base = rawManifest('v11');
    // macro.test.wrapper calls do_nothing; my_model uses the wrapper, the time spine do_nothing itself.
    base.macros['macro.test.wrapper'] = { ...structuredClone(base.macros['macro.test.do_nothing']), name: 'wrapper', unique_id: 'macro.test.wrapper', macro_sql: '{% macro wrapper() %}{{ do_nothing(1, 2) }}{% endmacro %}', depends_on: { macros: ['macro.test.do_nothing'] } };
    base.nodes[MY_MODEL].depends_on.macros = ['macro.test.wrapper'];
    base.nodes[SPINE].depends_on.macros = ['macro.test.do_nothing'];
    const [prev, next] = variant(base, (m) => {
      m.macros['macro.test.do_nothing'].macro_sql = m.macros['macro.test.do_nothing'].macro_sql.replace("'{{ bar2 }}' as bar2", "'{{ bar2 }}' as bar2, 1 as baz");
      m.macros['macro.test.test_check_nothing'].macro_sql = m.macros['macro.test.test_check_nothing'].macro_sql.replace('select 0', 'select 0 where false');
    });
    expect(diffManifests(prev, next)).toEqual([
      {
        uniqueId: SPINE,
        name: 'metricflow_time_spine',
        resourceType: 'model',
        change: 'modified',
        reasons: [{ kind: 'macro', detail: 'macro macro.test.do_nothing changed' }],
        category: 'unknown',
        categoryReason: 'unknown, treated as breaking: the logic changed (macro macro.test.do_nothing) and the output columns cannot be told (no declared columns)',
        downstream: [],
      },
      {
        uniqueId: MY_MODEL,
        name: 'my_model',
        resourceType: 'model',
        change: 'modified',
        reasons: [{ kind: 'macro', detail: 'macro macro.test.do_nothing changed (used via macro.test.wrapper)' }],
        category: 'non-breaking',
        categoryReason: 'non-breaking: the logic changed (macro macro.test.do_nothing) but the output columns are unchanged (declared in YAML, not enforced: dbt does not check them)',
        downstream: MY_MODEL_DOWN,
      },
      {
        uniqueId: CHECK_NOTHING,
        name: 'check_nothing_my_model_',
        resourceType: 'test',
        change: 'modified',
        reasons: [{ kind: 'macro', detail: 'macro macro.test.test_check_nothing changed' }],
        category: 'non-breaking',
        categoryReason: 'non-breaking: the test changed; it runs again (tests build nothing)',
        downstream: [],
      },
    ]);
  });

  it("a var changed: the nodes that read it with var('…'), themselves or through a macro, with old → new", () => {
    const base = rawManifest('v11');
    setBody(base.nodes[MY_MODEL], "select {{ var('lookback_days') }} as id");
    base.macros['macro.test.do_nothing'].macro_sql = "{% macro do_nothing() %}'{{ var('tenant') }}'{% endmacro %}";
    base.nodes[SPINE].depends_on.macros = ['macro.test.do_nothing'];
    const [prev, next] = variant(base, () => {});
    // vars as the two releases' dbt_project.yml declare them (tenant scoped to the project in the new one).
    const prevVars = { lookback_days: 3, tenant: 'acme', region: 'eu' };
    const nextVars = { lookback_days: 7, region: 'us', test: { tenant: 'globex' } };
    expect(diffManifests(prev, next, { prevVars, nextVars }).map((c) => [c.uniqueId, c.reasons, c.category])).toEqual([
      [SPINE, [{ kind: 'var', detail: 'var tenant: "acme" → "globex" (read by macro.test.do_nothing)' }], 'unknown'],
      [MY_MODEL, [{ kind: 'var', detail: 'var lookback_days: 3 → 7' }], 'non-breaking'],
    ]);
    expect(diffManifests(prev, next, { prevVars, nextVars: { ...prevVars, region: 'us' } })).toEqual([]);
    // Without both sides, vars are not compared (planDbt says so in its notes).
    expect(diffManifests(prev, next, { nextVars })).toEqual([]);
  });
});

describe('config', () => {
  it('unique_key changed → breaking (the grain)', () => {
    const [prev, next] = variant(pipeline(), (m) => setConfig(m.nodes[ORDERS], 'unique_key', ['id', 'amount']));
    expect(diffManifests(prev, next).map((c) => [c.uniqueId, c.reasons, c.category, c.categoryReason])).toEqual([
      [ORDERS, [{ kind: 'config', detail: 'unique_key: "id" → ["id","amount"]' }], 'breaking', 'breaking: unique_key changed: "id" → ["id","amount"] (the grain changed): rebuild it and everything downstream'],
    ]);
  });

  it('materialization changed → breaking', () => {
    const [prev, next] = variant(pipeline(), (m) => setConfig(m.nodes[MY_MODEL], 'materialized', 'table'));
    expect(diffManifests(prev, next)).toEqual([
      {
        uniqueId: MY_MODEL,
        name: 'my_model',
        resourceType: 'model',
        change: 'modified',
        reasons: [{ kind: 'config', detail: 'materialized: (unset) → "table"' }],
        category: 'breaking',
        categoryReason: 'breaking: materialization changed: view → table: rebuild it and everything downstream',
        downstream: MY_MODEL_DOWN_PIPELINE,
      },
    ]);
  });

  it('other config (grants, persist_docs) → non-breaking', () => {
    const [prev, next] = variant(pipeline(), (m) => {
      setConfig(m.nodes[ORDERS], 'grants', { select: ['reporter'] });
      setConfig(m.nodes[SUMMARY], 'persist_docs', { relation: true });
    });
    expect(diffManifests(prev, next).map((c) => [c.uniqueId, c.reasons, c.categoryReason])).toEqual([
      [ORDERS, [{ kind: 'config', detail: 'grants: (unset) → {"select":["reporter"]}' }], 'non-breaking: only config grants changed; the output columns do not change'],
      [SUMMARY, [{ kind: 'config', detail: 'persist_docs: (unset) → {"relation":true}' }], 'non-breaking: only config persist_docs changed; the output columns do not change'],
    ]);
  });

  it('forward-only (config.meta.ferry.forward_only: true) wins over what would be breaking, and says so', () => {
    const base = pipeline();
    setConfig(base.nodes[ORDERS], 'meta', { ferry: { forward_only: true } });
    const [prev, next] = variant(base, (m) => {
      setBody(m.nodes[ORDERS], 'select id, cast(10 as text) as amount from {{ ref("my_model") }}');
      setColumns(m.nodes[ORDERS], { id: 'bigint', amount: 'text' });
    });
    expect(diffManifests(prev, next).map((c) => [c.uniqueId, c.category, c.categoryReason])).toEqual([
      [ORDERS, 'forward-only', 'forward-only (config.meta.ferry.forward_only: true): not rebuilt; the rows already built are kept and the new logic applies to new data from its next run (otherwise breaking: column type changed: amount numeric → text)'],
    ]);
  });

  it('forward-only with changed columns but on_schema_change ignore: warns that incremental runs will not change the columns', () => {
    const base = pipeline();
    setConfig(base.nodes[ORDERS], 'meta', { ferry: { forward_only: true } });
    setConfig(base.nodes[ORDERS], 'on_schema_change', 'ignore');
    const [prev, next] = variant(base, (m) => {
      setBody(m.nodes[ORDERS], 'select id, 10 as amount, 1 as quantity from {{ ref("my_model") }}');
      setColumns(m.nodes[ORDERS], { id: 'bigint', amount: 'numeric', quantity: 'integer' });
    });
    expect(diffManifests(prev, next)[0]?.categoryReason).toBe(
      'forward-only (config.meta.ferry.forward_only: true): not rebuilt; the rows already built are kept and the new logic applies to new data from its next run; its declared columns changed but on_schema_change is ignore, so incremental runs will not change the table\'s columns (use append_new_columns or sync_all_columns)',
    );
  });
});

describe('added, removed, renamed', () => {
  it('a model renamed (same body, new name) → one change, breaking; the model that refs it changed too', () => {
    const base = pipeline();
    const [prev, next] = variant(base, (m) => {
      const rollup = structuredClone(m.nodes[SUMMARY]);
      delete m.nodes[SUMMARY];
      Object.assign(rollup, { name: 'orders_rollup', unique_id: 'model.test.orders_rollup', alias: 'orders_rollup', fqn: ['test', 'orders_rollup'], path: 'orders_rollup.sql', original_file_path: 'models/orders_rollup.sql' });
      m.nodes['model.test.orders_rollup'] = rollup;
      setBody(m.nodes[REPORT], "select * from {{ ref('orders_rollup') }}");
      m.nodes[REPORT].depends_on.nodes = ['model.test.orders_rollup'];
    });
    expect(diffManifests(prev, next)).toEqual([
      {
        uniqueId: 'model.test.orders_rollup',
        name: 'orders_rollup',
        resourceType: 'model',
        change: 'modified',
        renamedFrom: SUMMARY,
        reasons: [{ kind: 'renamed', detail: `renamed ${SUMMARY} → model.test.orders_rollup (same SQL body)` }],
        category: 'breaking',
        categoryReason: 'breaking: renamed from orders_summary: whatever reads the old relation breaks: rebuild it and everything downstream',
        downstream: [REPORT],
      },
      {
        uniqueId: REPORT,
        name: 'orders_report',
        resourceType: 'model',
        change: 'modified',
        reasons: [{ kind: 'body', detail: `SQL body changed (sha256 ${checksumOf(base, REPORT)} → ${short("select * from {{ ref('orders_rollup') }}")})` }],
        category: 'unknown',
        categoryReason: 'unknown, treated as breaking: the logic changed (SQL body) and the output columns cannot be told (no declared columns)',
        downstream: [],
      },
    ]);
  });

  it('a model added and one removed (different bodies: not a rename); a test added and one removed', () => {
    const [prev, next] = variant(pipeline(), (m) => {
      delete m.nodes[REPORT];
      cloneModel(m, 'model.test.orders_daily', { sql: "select 1 as day from {{ ref('orders') }}", parents: [ORDERS], materialized: 'table' });
      const singular = structuredClone(m.nodes[JUST_MY]);
      delete m.nodes[JUST_MY];
      Object.assign(singular, { name: 'orders_positive', unique_id: 'test.test.orders_positive', fqn: ['test', 'orders_positive'], path: 'orders_positive.sql', original_file_path: 'tests/orders_positive.sql' });
      setBody(singular, "select * from {{ ref('orders') }} where amount < 0");
      singular.depends_on.nodes = [ORDERS];
      m.nodes['test.test.orders_positive'] = singular;
    });
    expect(diffManifests(prev, next).map((c) => [c.uniqueId, c.change, c.category, c.categoryReason, c.downstream])).toEqual([
      ['model.test.orders_daily', 'added', 'new', 'new model: built for the first time', []],
      ['test.test.orders_positive', 'added', 'new', 'new test: runs from now on', []],
      [REPORT, 'removed', 'removed', 'removed: dbt does not drop its relation; drop it by hand once nothing reads it', []],
      [JUST_MY, 'removed', 'removed', 'removed test: no longer runs', []],
    ]);
  });

  it('a removed model says which nodes that depended on it are still there', () => {
    const [prev, next] = variant(pipeline(), (m) => {
      delete m.nodes[SUMMARY];
      setBody(m.nodes[REPORT], 'select 1 as total');
      m.nodes[REPORT].depends_on.nodes = [];
    });
    const removed = diffManifests(prev, next).find((c) => c.change === 'removed');
    expect([removed?.uniqueId, removed?.categoryReason, removed?.downstream]).toEqual([SUMMARY, 'removed: dbt does not drop its relation; drop it by hand once nothing reads it; 1 node(s) that depended on it are still there', [REPORT]]);
  });
});

describe('seeds, snapshots, tests, sources, unit tests', () => {
  it('a seed file changed → unknown (its columns are not declared); its snapshot is downstream', () => {
    const [prev, next] = variant(rawManifest('v11'), (m) => (m.nodes[SEED].checksum.checksum = sha('id,name\n1,a\n2,b\n')));
    expect(diffManifests(prev, next)).toEqual([
      {
        uniqueId: SEED,
        name: 'my_seed',
        resourceType: 'seed',
        change: 'modified',
        reasons: [{ kind: 'body', detail: `seed file changed (sha256 f7ede83f → ${short('id,name\n1,a\n2,b\n')})` }],
        category: 'unknown',
        categoryReason: 'unknown, treated as breaking: the seed data changed and the output columns cannot be told (no declared columns)',
        downstream: [SNAPSHOT],
      },
    ]);
  });

  it('a snapshot changed', () => {
    const [prev, next] = variant(rawManifest('v11'), (m) => setConfig(m.nodes[SNAPSHOT], 'check_cols', ['id']));
    expect(diffManifests(prev, next).map((c) => [c.uniqueId, c.reasons, c.category])).toEqual([[SNAPSHOT, [{ kind: 'config', detail: 'check_cols: "all" → ["id"]' }], 'non-breaking']]);
  });

  it('a generic test whose arguments changed, and a singular test whose SQL changed', () => {
    const sql = "{{ config(tags = ['data_test_tag']) }}\n\nselect * from {{ ref('my_model') }}\nwhere id is null";
    const [prev, next] = variant(rawManifest('v11'), (m) => {
      m.nodes[NOT_NULL].test_metadata.kwargs.column_name = 'ID';
      m.nodes[NOT_NULL].column_name = 'ID';
      setBody(m.nodes[JUST_MY], sql);
    });
    expect(diffManifests(prev, next).map((c) => [c.uniqueId, c.reasons, c.category])).toEqual([
      [JUST_MY, [{ kind: 'body', detail: `SQL body changed (sha256 744889a2 → ${short(sql)})` }], 'non-breaking'],
      [NOT_NULL, [{ kind: 'body', detail: 'test definition changed (test_metadata / column_name)' }], 'non-breaking'],
    ]);
  });

  it('a source: a declared column removed → breaking for what reads it; another identifier → breaking', () => {
    const base = pipeline();
    setColumns(base.sources[SOURCE], { id: 'integer', name: 'text' });
    const [prev, next] = variant(base, (m) => setColumns(m.sources[SOURCE], { id: 'integer' }));
    expect(diffManifests(prev, next)).toEqual([
      {
        uniqueId: SOURCE,
        name: 'my_table',
        resourceType: 'source',
        change: 'modified',
        reasons: [{ kind: 'columns', detail: 'column name removed' }],
        category: 'breaking',
        categoryReason: 'breaking: column name removed (or renamed): rebuild it and everything downstream',
        downstream: [EXPOSURE, ORDERS, SUMMARY, REPORT, NOT_NULL_ORDERS],
      },
    ]);
    const [p2, n2] = variant(base, (m) => (m.sources[SOURCE].identifier = 'my_seed_v2'));
    expect(diffManifests(p2, n2).map((c) => [c.reasons, c.categoryReason])).toEqual([
      [[{ kind: 'config', detail: 'identifier: "my_seed" → "my_seed_v2"' }], 'breaking: the source reads another table: identifier "my_seed" → "my_seed_v2": rebuild it and everything downstream'],
    ]);
  });

  it('v11 → a v12 manifest (dbt 1.7.6 → 1.8.9) with a unit test: the unit test is new, nothing else changed', () => {
    const prev = read(rawManifest('v11'));
    const next = read(toV12(rawManifest('v11')));
    expect(diffManifests(prev, next)).toEqual([
      { uniqueId: UNIT_TEST, name: 'test_my_model_id', resourceType: 'unit_test', change: 'added', reasons: [], category: 'new', categoryReason: 'new unit test: runs from now on', downstream: [] },
    ]);
  });
});
