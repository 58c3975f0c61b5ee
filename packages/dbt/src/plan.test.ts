import { describe, expect, it } from '@jest/globals';
import { planDbt } from './plan.js';
import {
  CHECK_NOTHING,
  cloneModel,
  cloneNotNull,
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
import type { DbtPlan } from './types.js';

/** [unique id, --full-refresh] of each rebuilt node, in order. */
const rebuilt = (p: DbtPlan) => p.rebuild.map((r) => [r.uniqueId, r.fullRefresh]);
const argv = (p: DbtPlan) => p.invocations.map((i) => i.args);
const whyOf = (p: DbtPlan, id: string) => p.rebuild.find((r) => r.uniqueId === id)?.why;

const DROP_AMOUNT = (m: Json) => {
  setBody(m.nodes[ORDERS], 'select id from {{ ref("my_model") }}');
  setColumns(m.nodes[ORDERS], { id: 'bigint' });
};
const ADD_QUANTITY = (m: Json) => {
  setBody(m.nodes[ORDERS], 'select id, 10 as amount, 1 as quantity from {{ ref("my_model") }}');
  setColumns(m.nodes[ORDERS], { id: 'bigint', amount: 'numeric', quantity: 'integer' });
};

describe('first deploy (nothing deployed to compare with)', () => {
  it('builds everything, in one `dbt build`, without --full-refresh, and says so', () => {
    const plan = planDbt(undefined, read(rawManifest('v11')));
    const built = [SPINE, MY_MODEL, SEED, SNAPSHOT, CHECK_NOTHING, JUST_MY, NOT_NULL];
    expect(plan).toEqual({
      changes: [SPINE, MY_MODEL, SEED, SNAPSHOT, SOURCE, CHECK_NOTHING, JUST_MY, NOT_NULL].map((id) => ({
        uniqueId: id,
        name: expect.any(String),
        resourceType: id.split('.')[0],
        change: 'added',
        reasons: [],
        category: 'new',
        categoryReason: 'first deploy: nothing of this project was deployed to this environment before',
        downstream: [],
      })),
      rebuild: built.map((id) => ({ uniqueId: id, name: expect.any(String), resourceType: id.split('.')[0], fullRefresh: false, why: 'first deploy: everything builds' })),
      invocations: [{ args: ['build'], fullRefresh: false, nodes: built }],
      ciSelect: ['metricflow_time_spine', 'my_model', 'my_seed', 'snapshot_seed', 'check_nothing_my_model_', 'just_my', 'not_null_my_model_id'],
      notes: [
        'first deploy of test to this environment (no deployed manifest to compare with): every model, seed, snapshot and test builds, without --full-refresh (relations that already exist are built the way dbt finds them: incremental models run incrementally)',
      ],
    });
  });
});

describe('a dbt upgrade', () => {
  it("v10 → v11 where my_model uses a dbt macro that 1.7 changed: modified via that macro, and the note says it is the upgrade's", () => {
    // macro.dbt.default__drop_relation really differs between dbt 1.6.6 and 1.7.6.
    const uses = (m: Json) => ((m.nodes[MY_MODEL].depends_on.macros = ['macro.dbt.default__drop_relation']), m);
    const plan = planDbt(read(uses(rawManifest('v10'))), read(uses(rawManifest('v11'))));
    expect(plan.changes.map((c) => [c.uniqueId, c.category, c.categoryReason])).toEqual([
      [
        MY_MODEL,
        'non-breaking',
        'non-breaking: the logic changed (macro macro.dbt.default__drop_relation, macro macro.dbt.default__get_drop_sql, macro macro.dbt.drop_materialized_view and 6 more) but the output columns are unchanged (declared in YAML, not enforced: dbt does not check them)',
      ],
    ]);
    // The macros it reaches, directly or not, that 1.7 changed or added: all named.
    expect(plan.changes[0]?.reasons.map((r) => `${r.kind}: ${r.detail}`)).toEqual([
      'macro: macro macro.dbt.default__drop_relation changed',
      'macro: macro macro.dbt.default__get_drop_sql is new (used via macro.dbt.default__drop_relation)',
      'macro: macro macro.dbt.drop_materialized_view changed (used via macro.dbt.default__drop_relation)',
      'macro: macro macro.dbt.drop_table changed (used via macro.dbt.default__drop_relation)',
      'macro: macro macro.dbt.drop_view changed (used via macro.dbt.default__drop_relation)',
      'macro: macro macro.dbt.get_drop_sql is new (used via macro.dbt.default__drop_relation)',
      'macro: macro macro.dbt_postgres.postgres__drop_materialized_view is new (used via macro.dbt.default__drop_relation)',
      'macro: macro macro.dbt_postgres.postgres__drop_table is new (used via macro.dbt.default__drop_relation)',
      'macro: macro macro.dbt_postgres.postgres__drop_view is new (used via macro.dbt.default__drop_relation)',
    ]);
    expect(plan.notes).toEqual(["dbt 1.6.6 → 1.7.6: 1 node(s) count as modified only because dbt's own macros changed with the upgrade"]);
    expect(argv(plan)).toEqual([['build', '--select', 'my_model', 'check_nothing_my_model_', 'just_my', 'not_null_my_model_id']]);
  });
});

describe('nothing to do', () => {
  it('the real v10 → v11 manifests: no change, the dbt upgrade noted', () => {
    expect(planDbt(read(rawManifest('v10')), read(rawManifest('v11')))).toEqual({
      changes: [],
      rebuild: [],
      invocations: [],
      ciSelect: [],
      notes: ['dbt 1.6.6 → 1.7.6', 'no dbt changes: nothing to rebuild'],
    });
  });
});

describe('breaking: the model and everything downstream', () => {
  it.each(['v10', 'v11'] as const)('the same plan from the %s manifest', (version) => {
    const [prev, next] = variant(pipeline(version), DROP_AMOUNT);
    const plan = planDbt(prev, next);
    expect([prev.version, rebuilt(plan), argv(plan)]).toEqual([
      version,
      [
        [ORDERS, true],
        [SUMMARY, false],
        [REPORT, false],
        [NOT_NULL_ORDERS, false],
      ],
      [['build', '--select', 'orders', 'orders_summary', 'orders_report', 'not_null_orders_id', '--full-refresh']],
    ]);
  });

  it('a column dropped from the incremental orders: --full-refresh for it, the rest downstream rebuilt, its test runs', () => {
    const [prev, next] = variant(pipeline(), DROP_AMOUNT);
    const plan = planDbt(prev, next);
    expect(plan.changes.map((c) => [c.uniqueId, c.category])).toEqual([[ORDERS, 'breaking']]);
    expect(plan.rebuild).toEqual([
      {
        uniqueId: ORDERS,
        name: 'orders',
        resourceType: 'model',
        fullRefresh: true,
        why: 'breaking: column amount removed (or renamed): rebuild it and everything downstream; --full-refresh: incremental, and the rows already built came from the old logic',
      },
      { uniqueId: SUMMARY, name: 'orders_summary', resourceType: 'model', fullRefresh: false, why: 'downstream of orders (breaking)' },
      {
        uniqueId: REPORT,
        name: 'orders_report',
        resourceType: 'model',
        fullRefresh: false,
        why: 'downstream of orders (breaking)',
      },
      { uniqueId: NOT_NULL_ORDERS, name: 'not_null_orders_id', resourceType: 'test', fullRefresh: false, why: 'tests orders, which is rebuilt' },
    ]);
    // Views, tables and tests are the same with or without --full-refresh: one invocation.
    expect(plan.invocations).toEqual([
      { args: ['build', '--select', 'orders', 'orders_summary', 'orders_report', 'not_null_orders_id', '--full-refresh'], fullRefresh: true, nodes: [ORDERS, SUMMARY, REPORT, NOT_NULL_ORDERS] },
    ]);
    expect(plan.ciSelect).toEqual(['orders', 'orders_summary', 'orders_report', 'not_null_orders_id']);
    expect(plan.notes).toEqual(['--full-refresh (rebuilt from scratch): orders']);
  });

  it('a column type changed on a view upstream: the incremental downstream is full-refreshed because its rows came from the old upstream', () => {
    const base = pipeline();
    setColumns(base.nodes[MY_MODEL], { id: 'integer' });
    const [prev, next] = variant(base, (m) => {
      setBody(m.nodes[MY_MODEL], 'select 1::bigint as id');
      setColumns(m.nodes[MY_MODEL], { id: 'bigint' });
    });
    const plan = planDbt(prev, next);
    expect(rebuilt(plan)).toEqual([
      [MY_MODEL, false],
      [ORDERS, true],
      [SUMMARY, false],
      [REPORT, false],
      [CHECK_NOTHING, false],
      [JUST_MY, false],
      [NOT_NULL, false],
      [NOT_NULL_ORDERS, false],
    ]);
    expect(whyOf(plan, ORDERS)).toBe('downstream of my_model (breaking); --full-refresh: incremental, and the rows already built were computed from the old upstream');
    expect(whyOf(plan, CHECK_NOTHING)).toBe('tests my_model, which is rebuilt');
    expect(argv(plan)).toEqual([['build', '--select', 'my_model', 'check_nothing_my_model_', 'just_my', 'not_null_my_model_id', 'orders', 'orders_summary', 'orders_report', 'not_null_orders_id', '--full-refresh']]);
  });

  it('unique_key changed → --full-refresh; materialization changed → rebuilt with everything downstream', () => {
    const [p1, n1] = variant(pipeline(), (m) => setConfig(m.nodes[ORDERS], 'unique_key', ['id', 'amount']));
    const plan1 = planDbt(p1, n1);
    expect(rebuilt(plan1)).toEqual([
      [ORDERS, true],
      [SUMMARY, false],
      [REPORT, false],
      [NOT_NULL_ORDERS, false],
    ]);
    const [p2, n2] = variant(pipeline(), (m) => setConfig(m.nodes[SUMMARY], 'materialized', 'view'));
    const plan2 = planDbt(p2, n2);
    expect(plan2.changes.map((c) => c.categoryReason)).toEqual(['breaking: materialization changed: table → view: rebuild it and everything downstream']);
    expect(rebuilt(plan2)).toEqual([
      [SUMMARY, false],
      [REPORT, false],
    ]);
    expect(argv(plan2)).toEqual([['build', '--select', 'orders_summary', 'orders_report']]);
  });

  it('unknown (the body changed, no declared columns) is treated as breaking', () => {
    const base = pipeline();
    setColumns(base.nodes[SUMMARY], {});
    const [prev, next] = variant(base, (m) => setBody(m.nodes[SUMMARY], "select sum(amount) as total, count(*) as n from {{ ref('orders') }}"));
    const plan = planDbt(prev, next);
    expect(plan.changes.map((c) => c.category)).toEqual(['unknown']);
    expect(rebuilt(plan)).toEqual([
      [SUMMARY, false],
      [REPORT, false],
    ]);
    expect(whyOf(plan, REPORT)).toBe('downstream of orders_summary (unknown)');
  });

  it('a renamed model: the new relation builds (no --full-refresh needed), the old one is left to drop by hand', () => {
    const [prev, next] = variant(pipeline(), (m) => {
      const rollup = structuredClone(m.nodes[SUMMARY]);
      delete m.nodes[SUMMARY];
      Object.assign(rollup, { name: 'orders_rollup', unique_id: 'model.test.orders_rollup', alias: 'orders_rollup', fqn: ['test', 'orders_rollup'], original_file_path: 'models/orders_rollup.sql' });
      setConfig(rollup, 'materialized', 'incremental');
      m.nodes['model.test.orders_rollup'] = rollup;
      setBody(m.nodes[REPORT], "select * from {{ ref('orders_rollup') }}");
      m.nodes[REPORT].depends_on.nodes = ['model.test.orders_rollup'];
    });
    const plan = planDbt(prev, next);
    expect(plan.changes.map((c) => [c.uniqueId, c.category, c.reasons.map((r) => r.kind)])).toEqual([
      ['model.test.orders_rollup', 'breaking', ['renamed', 'config']],
      [REPORT, 'unknown', ['body']],
    ]);
    expect(plan.rebuild.map((r) => [r.uniqueId, r.fullRefresh, r.why])).toEqual([
      [
        'model.test.orders_rollup',
        false,
        'breaking: renamed from orders_summary: whatever reads the old relation breaks; materialization changed: table → incremental: rebuild it and everything downstream; a new relation: built from scratch, no --full-refresh needed',
      ],
      [
        REPORT,
        false,
        'unknown, treated as breaking: the logic changed (SQL body) and the output columns cannot be told (no declared columns); downstream of orders_rollup (breaking)',
      ],
    ]);
    expect(plan.notes).toEqual(['renamed: orders_summary → orders_rollup; the relation under the old name stays in the warehouse until dropped by hand']);
  });

  it('a seed changed and an incremental model broken: two invocations, --full-refresh only for the one that needs it; snapshots never full-refreshed', () => {
    const [prev, next] = variant(pipeline(), (m) => {
      m.nodes[SEED].checksum.checksum = sha('id,name\n1,a\n');
      DROP_AMOUNT(m);
    });
    const plan = planDbt(prev, next);
    expect(rebuilt(plan)).toEqual([
      [SEED, false],
      [SNAPSHOT, false],
      [ORDERS, true],
      [SUMMARY, false],
      [REPORT, false],
      [NOT_NULL_ORDERS, false],
    ]);
    expect(whyOf(plan, SEED)).toBe(
      "unknown, treated as breaking: the seed data changed and the output columns cannot be told (no declared columns); reloaded (truncate and insert); if the CSV's header changed it needs --full-refresh: declare the seed's columns so ferry can tell",
    );
    expect(whyOf(plan, SNAPSHOT)).toBe('downstream of my_seed (unknown); snapshots are never full-refreshed (their history would be lost): it runs normally');
    expect(plan.invocations).toEqual([
      { args: ['build', '--select', 'my_seed', 'snapshot_seed'], fullRefresh: false, nodes: [SEED, SNAPSHOT] },
      { args: ['build', '--select', 'orders', 'orders_summary', 'orders_report', 'not_null_orders_id', '--full-refresh'], fullRefresh: true, nodes: [ORDERS, SUMMARY, REPORT, NOT_NULL_ORDERS] },
    ]);
    expect(plan.notes).toEqual([
      'snapshots are never full-refreshed (their history would be lost): snapshot_seed run normally and capture rows with the new logic from now on',
      '--full-refresh (rebuilt from scratch): orders',
      '2 dbt invocations (--full-refresh only where planned), in order: stop at the first that fails',
    ]);
  });

  it('a source column removed: what reads the source rebuilds; the exposure is downstream but builds nothing', () => {
    const base = pipeline();
    setColumns(base.sources[SOURCE], { id: 'integer', name: 'text' });
    cloneNotNull(base, 'test.test.source_not_null_my_source_my_table_id.8c1e2d3f4a', SOURCE, 'id');
    const [prev, next] = variant(base, (m) => setColumns(m.sources[SOURCE], { id: 'integer' }));
    const plan = planDbt(prev, next);
    expect(plan.changes[0]?.downstream).toContain('exposure.test.simple_exposure');
    expect(rebuilt(plan)).toEqual([
      [ORDERS, true],
      [SUMMARY, false],
      [REPORT, false],
      [NOT_NULL_ORDERS, false],
      ['test.test.source_not_null_my_source_my_table_id.8c1e2d3f4a', false],
    ]);
    expect(whyOf(plan, 'test.test.source_not_null_my_source_my_table_id.8c1e2d3f4a')).toBe('tests my_table, which changed');
  });
});

describe('non-breaking: the model only', () => {
  it('columns added to an incremental model with on_schema_change append_new_columns: no --full-refresh', () => {
    const [prev, next] = variant(pipeline(), ADD_QUANTITY);
    const plan = planDbt(prev, next);
    expect(plan.rebuild).toEqual([
      {
        uniqueId: ORDERS,
        name: 'orders',
        resourceType: 'model',
        fullRefresh: false,
        why: 'non-breaking: the logic changed (SQL body); column quantity only added, the other columns are unchanged (declared in YAML, not enforced: dbt does not check them); no --full-refresh: column quantity only added and on_schema_change is append_new_columns, so the incremental run adds it (rows already built hold NULL there)',
      },
      { uniqueId: NOT_NULL_ORDERS, name: 'not_null_orders_id', resourceType: 'test', fullRefresh: false, why: 'tests orders, which is rebuilt' },
    ]);
    expect(plan.invocations).toEqual([{ args: ['build', '--select', 'orders', 'not_null_orders_id'], fullRefresh: false, nodes: [ORDERS, NOT_NULL_ORDERS] }]);
    expect(plan.notes).toEqual([]);
  });

  it('the same with on_schema_change sync_all_columns; with ignore (the default) it takes a --full-refresh', () => {
    const sync = pipeline();
    setConfig(sync.nodes[ORDERS], 'on_schema_change', 'sync_all_columns');
    expect(rebuilt(planDbt(...variant(sync, ADD_QUANTITY)))).toEqual([
      [ORDERS, false],
      [NOT_NULL_ORDERS, false],
    ]);
    const ignore = pipeline();
    setConfig(ignore.nodes[ORDERS], 'on_schema_change', 'ignore');
    const plan = planDbt(...variant(ignore, ADD_QUANTITY));
    expect(rebuilt(plan)).toEqual([
      [ORDERS, true],
      [NOT_NULL_ORDERS, false],
    ]);
    expect(whyOf(plan, ORDERS)).toMatch(/; --full-refresh: column quantity added, but on_schema_change is ignore: only a full refresh adds it$/);
    expect(argv(plan)).toEqual([['build', '--select', 'orders', 'not_null_orders_id', '--full-refresh']]);
  });

  it('the logic of an incremental model changed, columns unchanged: the model alone, with --full-refresh (its rows came from the old logic)', () => {
    const [prev, next] = variant(pipeline(), (m) => setBody(m.nodes[ORDERS], 'select id, 12 as amount from {{ ref("my_model") }}'));
    const plan = planDbt(prev, next);
    expect(plan.changes.map((c) => c.category)).toEqual(['non-breaking']);
    expect(rebuilt(plan)).toEqual([
      [ORDERS, true],
      [NOT_NULL_ORDERS, false],
    ]);
  });

  it('a table rebuilt on postgres takes the views on it along; on snowflake it does not', () => {
    const change = (m: Json) => setBody(m.nodes[SUMMARY], "select sum(amount)::numeric as total from {{ ref('orders') }}");
    const plan = planDbt(...variant(pipeline(), change));
    expect(plan.rebuild.map((r) => [r.uniqueId, r.why])).toEqual([
      [SUMMARY, 'non-breaking: the logic changed (SQL body) but the output columns are unchanged (declared in YAML, not enforced: dbt does not check them)'],
      [REPORT, 'a view on orders_summary, which is rebuilt: on postgres that drops the views on it (drop … cascade), so it is recreated'],
    ]);
    const snowflake = pipeline();
    snowflake.metadata.adapter_type = 'snowflake';
    expect(rebuilt(planDbt(...variant(snowflake, change)))).toEqual([[SUMMARY, false]]);
  });

  it('config only: grants apply on a normal incremental run; partition_by needs --full-refresh', () => {
    const grants = planDbt(...variant(pipeline(), (m) => setConfig(m.nodes[ORDERS], 'grants', { select: ['reporter'] })));
    expect(grants.rebuild.map((r) => [r.uniqueId, r.fullRefresh, r.why])).toEqual([
      [ORDERS, false, 'non-breaking: only config grants changed; the output columns do not change; no --full-refresh: only config grants changed, which a normal incremental run applies'],
      [NOT_NULL_ORDERS, false, 'tests orders, which is rebuilt'],
    ]);
    const partition = planDbt(...variant(pipeline(), (m) => setConfig(m.nodes[ORDERS], 'partition_by', { field: 'ordered_at', granularity: 'day' })));
    expect(partition.rebuild.map((r) => [r.uniqueId, r.fullRefresh, r.why])).toEqual([
      [ORDERS, true, 'non-breaking: only config partition_by changed; the output columns do not change; --full-refresh: config partition_by changed, which only a full refresh applies to the rows already built'],
      [NOT_NULL_ORDERS, false, 'tests orders, which is rebuilt'],
    ]);
  });

  it('a macro edited, used through another macro: the models using it and their tests', () => {
    const base = rawManifest('v11');
    base.macros['macro.test.wrapper'] = { ...structuredClone(base.macros['macro.test.do_nothing']), name: 'wrapper', unique_id: 'macro.test.wrapper', macro_sql: '{% macro wrapper() %}{{ do_nothing(1, 2) }}{% endmacro %}', depends_on: { macros: ['macro.test.do_nothing'] } };
    base.nodes[MY_MODEL].depends_on.macros = ['macro.test.wrapper'];
    const plan = planDbt(...variant(base, (m) => (m.macros['macro.test.do_nothing'].macro_sql += '\n')));
    expect(plan.changes.map((c) => [c.uniqueId, c.reasons, c.category])).toEqual([[MY_MODEL, [{ kind: 'macro', detail: 'macro macro.test.do_nothing changed (used via macro.test.wrapper)' }], 'non-breaking']]);
    expect(argv(plan)).toEqual([['build', '--select', 'my_model', 'check_nothing_my_model_', 'just_my', 'not_null_my_model_id']]);
  });

  it('a var changed: what reads it rebuilds; with the vars of one release missing, the plan says it could not tell', () => {
    const base = pipeline();
    setBody(base.nodes[ORDERS], "select id, 10 as amount from {{ ref('my_model') }} where day > current_date - {{ var('orders_lookback_days') }}");
    const [prev, next] = variant(base, () => {});
    const plan = planDbt(prev, next, { prevVars: { orders_lookback_days: 3 }, nextVars: { orders_lookback_days: 7 } });
    expect(plan.changes.map((c) => [c.uniqueId, c.reasons])).toEqual([[ORDERS, [{ kind: 'var', detail: 'var orders_lookback_days: 3 → 7' }]]]);
    expect(rebuilt(plan)).toEqual([
      [ORDERS, true],
      [NOT_NULL_ORDERS, false],
    ]);
    expect(planDbt(prev, next, { nextVars: { orders_lookback_days: 7 } }).notes).toEqual([
      "vars are only compared when both releases' vars are known; the deployed release's are missing, so var changes are not detected",
      'no dbt changes: nothing to rebuild',
    ]);
  });

  it('an ephemeral model changed: the models that select from it rebuild (it is inlined into them), and its tests run', () => {
    const base = pipeline();
    setConfig(base.nodes[MY_MODEL], 'materialized', 'ephemeral');
    const plan = planDbt(...variant(base, (m) => setBody(m.nodes[MY_MODEL], 'select 2 as id')));
    expect(rebuilt(plan)).toEqual([
      [ORDERS, true],
      [CHECK_NOTHING, false],
      [JUST_MY, false],
      [NOT_NULL, false],
      [NOT_NULL_ORDERS, false],
    ]);
    expect(whyOf(plan, ORDERS)).toBe(
      'selects from ephemeral model my_model, whose logic changed (ephemeral models are inlined, never built); --full-refresh: incremental, and the rows already built came from the old logic',
    );
  });

  it('a seed whose declared columns changed is recreated with --full-refresh', () => {
    const base = rawManifest('v11');
    setColumns(base.nodes[SEED], { id: null });
    const plan = planDbt(
      ...variant(base, (m) => {
        m.nodes[SEED].checksum.checksum = sha('id,name\n1,a\n');
        setColumns(m.nodes[SEED], { id: null, name: null });
      }),
    );
    expect(plan.rebuild.map((r) => [r.uniqueId, r.fullRefresh, r.why])).toEqual([
      [SEED, true, "non-breaking: the seed data changed; column name only added, the other columns are unchanged (declared in YAML, not enforced: dbt does not check them); --full-refresh: the seed's columns changed, so its table is recreated"],
    ]);
    expect(argv(plan)).toEqual([['build', '--select', 'my_seed', '--full-refresh']]);
  });
});

describe('forward-only (config.meta.ferry.forward_only: true)', () => {
  const forwardOnly = () => {
    const base = pipeline();
    setConfig(base.nodes[ORDERS], 'meta', { ferry: { forward_only: true } });
    return base;
  };

  it('its own change rebuilds nothing, is still built in CI, and the plan says why', () => {
    const plan = planDbt(...variant(forwardOnly(), DROP_AMOUNT));
    expect(plan.changes.map((c) => c.category)).toEqual(['forward-only']);
    expect([plan.rebuild, plan.invocations]).toEqual([[], []]);
    expect(plan.ciSelect).toEqual(['orders', 'not_null_orders_id']);
    expect(plan.notes).toEqual([
      'orders is forward-only (config.meta.ferry.forward_only: true): not rebuilt now; the rows already built are kept, and its next run applies the new logic to new data',
      'nothing to rebuild',
    ]);
  });

  it('downstream of a breaking change it is not rebuilt either, nor what is only downstream of it', () => {
    const base = forwardOnly();
    setColumns(base.nodes[MY_MODEL], { id: 'integer', name: 'text' });
    const plan = planDbt(...variant(base, (m) => setColumns(m.nodes[MY_MODEL], { id: 'integer' })));
    expect(plan.changes.map((c) => [c.uniqueId, c.category])).toEqual([[MY_MODEL, 'breaking']]);
    expect(rebuilt(plan)).toEqual([
      [MY_MODEL, false],
      [CHECK_NOTHING, false],
      [JUST_MY, false],
      [NOT_NULL, false],
    ]);
    expect(plan.notes).toEqual([
      'orders is forward-only: not rebuilt although my_model upstream changed; its next run uses the new upstream for new data only, and what is downstream of it alone is not rebuilt either',
    ]);
  });
});

describe('full_refresh: false, tests, unit tests, selectors', () => {
  it('an incremental model that needs a full refresh but has config full_refresh: false: not refreshed, and the plan says so', () => {
    const base = pipeline();
    setConfig(base.nodes[ORDERS], 'full_refresh', false);
    const plan = planDbt(...variant(base, DROP_AMOUNT));
    expect(rebuilt(plan)[0]).toEqual([ORDERS, false]);
    expect(whyOf(plan, ORDERS)).toBe(
      'breaking: column amount removed (or renamed): rebuild it and everything downstream; would need --full-refresh (incremental, and the rows already built came from the old logic) but config full_refresh: false stops it: runs incrementally',
    );
    expect(plan.notes).toContain(
      'orders needs a full refresh but has config full_refresh: false, so dbt ignores --full-refresh for it: the rows already built keep the old logic; rebuild it by hand or lift the setting for this deploy',
    );
  });

  it('a changed test runs alone; a new model builds with its tests', () => {
    const plan = planDbt(
      ...variant(pipeline(), (m) => {
        setBody(m.nodes[JUST_MY], "select * from {{ ref('my_model') }} where id is null");
        cloneModel(m, 'model.test.orders_daily', { sql: "select 1 as day from {{ ref('orders') }}", parents: [ORDERS], materialized: 'incremental' });
        cloneNotNull(m, 'test.test.not_null_orders_daily_day.0f1e2d3c4b', 'model.test.orders_daily', 'day');
      }),
    );
    expect(plan.rebuild.map((r) => [r.uniqueId, r.fullRefresh, r.why])).toEqual([
      ['model.test.orders_daily', false, 'new model: built for the first time; a new relation: built from scratch, no --full-refresh needed'],
      [JUST_MY, false, 'non-breaking: the test changed; it runs again (tests build nothing)'],
      ['test.test.not_null_orders_daily_day.0f1e2d3c4b', false, 'new test: runs from now on; tests orders_daily, which is rebuilt'],
    ]);
    // A new incremental model is not full-refreshed: it has no rows yet.
    expect(argv(plan)).toEqual([['build', '--select', 'just_my', 'orders_daily', 'not_null_orders_daily_day']]);
  });

  it('v12: the unit tests of a rebuilt model run; a new unit test runs', () => {
    const v12 = toV12(rawManifest('v11'));
    const plan = planDbt(...variant(v12, (m) => setBody(m.nodes[MY_MODEL], 'select 2 as id')));
    expect(rebuilt(plan)).toEqual([
      [MY_MODEL, false],
      [CHECK_NOTHING, false],
      [JUST_MY, false],
      [NOT_NULL, false],
      [UNIT_TEST, false],
    ]);
    expect(argv(plan)).toEqual([['build', '--select', 'my_model', 'check_nothing_my_model_', 'just_my', 'not_null_my_model_id', 'test_my_model_id']]);
    const upgrade = planDbt(read(rawManifest('v11')), read(toV12(rawManifest('v11'))));
    expect([rebuilt(upgrade), argv(upgrade), upgrade.notes]).toEqual([[[UNIT_TEST, false]], [['build', '--select', 'test_my_model_id']], ['dbt 1.7.6 → 1.8.9']]);
  });

  it('where two nodes share a name, the selector is the fqn', () => {
    const base = pipeline();
    // A package's model also called orders.
    const other = cloneModel(base, 'model.analytics_pkg.orders', { sql: 'select 1 as id', parents: [], materialized: 'view' });
    Object.assign(other, { package_name: 'analytics_pkg', fqn: ['analytics_pkg', 'marts', 'orders'] });
    const plan = planDbt(...variant(base, DROP_AMOUNT));
    expect(argv(plan)).toEqual([['build', '--select', 'fqn:test.orders', 'orders_summary', 'orders_report', 'not_null_orders_id', '--full-refresh']]);
    expect(plan.ciSelect[0]).toBe('fqn:test.orders');
  });

  it('the plan is plain data: it survives JSON unchanged', () => {
    const plan = planDbt(...variant(pipeline(), DROP_AMOUNT));
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
  });
});
