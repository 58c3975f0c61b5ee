/**
 * Test helpers: the real manifests of packages/dbt/fixtures (dbt's own
 * functional-test project, written by dbt 1.6.6 and 1.7.6), and variants
 * derived from them by deep-cloning and mutating, the way a developer's edit
 * would change what `dbt parse` writes.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readManifest } from './manifest.js';
import type { DbtManifest } from './types.js';

/** A manifest as JSON: loosely typed on purpose, tests reach deep into it. */
export type Json = Record<string, any>;

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures');
export const fixture = (name: string) => path.join(FIXTURES, name);

const cache = new Map<string, string>();
/** A fresh deep copy of a fixture manifest's JSON. */
export function rawManifest(version: 'v10' | 'v11'): Json {
  const file = fixture(`manifest-${version}.json`);
  if (!cache.has(file)) cache.set(file, fs.readFileSync(file, 'utf8'));
  return JSON.parse(cache.get(file)!) as Json;
}

export const sha = (s: string) => createHash('sha256').update(s).digest('hex');

export const MY_MODEL = 'model.test.my_model';
export const SPINE = 'model.test.metricflow_time_spine';
export const SEED = 'seed.test.my_seed';
export const SNAPSHOT = 'snapshot.test.snapshot_seed';
export const SOURCE = 'source.test.my_source.my_table';
export const NOT_NULL = 'test.test.not_null_my_model_id.43e0e9183a';
export const CHECK_NOTHING = 'test.test.check_nothing_my_model_.d5a5e66110';
export const JUST_MY = 'test.test.just_my';
export const EXPOSURE = 'exposure.test.simple_exposure';
// Models derived from my_model for the richer scenarios.
export const ORDERS = 'model.test.orders';
export const SUMMARY = 'model.test.orders_summary';
export const REPORT = 'model.test.orders_report';
export const NOT_NULL_ORDERS = 'test.test.not_null_orders_id.5b2e7c1f0a';

/** Sets a node's SQL and, as dbt does, its sha256 checksum. */
export function setBody(node: Json, sql: string): void {
  node.raw_code = sql;
  node.checksum = { name: 'sha256', checksum: sha(sql) };
}

/** Declared columns, { name: data_type | null }, in the shape dbt writes. */
export function setColumns(node: Json, cols: Record<string, string | null>): void {
  node.columns = Object.fromEntries(
    Object.entries(cols).map(([name, type]) => [name, { name, description: '', meta: {}, data_type: type, constraints: [], quote: null, tags: [] }]),
  );
}

/** A config value as written in YAML/dbt_project.yml: rendered into `config`, verbatim into `unrendered_config`. */
export function setConfig(node: Json, key: string, value: unknown): void {
  node.config[key] = value;
  node.unrendered_config[key] = value;
}

/** A model cloned from the real my_model node, as dbt would write it for another file. */
export function cloneModel(m: Json, id: string, opts: { sql: string; parents: string[]; materialized: string; columns?: Record<string, string | null> }): Json {
  const node = structuredClone(m.nodes[MY_MODEL]) as Json;
  const name = id.split('.').pop()!;
  Object.assign(node, {
    name,
    unique_id: id,
    path: `${name}.sql`,
    original_file_path: `models/${name}.sql`,
    fqn: ['test', name],
    alias: name,
    description: '',
    relation_name: node.relation_name.replace('"my_model"', `"${name}"`),
    refs: opts.parents.filter((p) => p.startsWith('model.')).map((p) => ({ name: p.split('.').pop(), package: null, version: null })),
    sources: opts.parents.filter((p) => p.startsWith('source.')).map((p) => p.split('.').slice(2)),
    depends_on: { macros: [], nodes: opts.parents },
    patch_path: opts.columns ? 'test://models/schema.yml' : null,
  });
  setBody(node, opts.sql);
  node.config = { ...node.config, materialized: opts.materialized };
  node.unrendered_config = { materialized: opts.materialized };
  setColumns(node, opts.columns ?? {});
  m.nodes[id] = node;
  return node;
}

/** A generic not_null test cloned from the real not_null_my_model_id. */
export function cloneNotNull(m: Json, id: string, model: string, column: string): Json {
  const node = structuredClone(m.nodes[NOT_NULL]) as Json;
  const modelName = model.split('.').pop()!;
  const name = id.split('.')[2]!;
  Object.assign(node, {
    name,
    unique_id: id,
    path: `${name}.sql`,
    fqn: ['test', name],
    alias: name,
    column_name: column,
    attached_node: model,
    refs: [{ name: modelName, package: null, version: null }],
    depends_on: { macros: ['macro.dbt.test_not_null'], nodes: [model] },
    test_metadata: { name: 'not_null', kwargs: { column_name: column, model: `{{ get_where_subquery(ref('${modelName}')) }}` }, namespace: null },
  });
  m.nodes[id] = node;
  return node;
}

/**
 * The v11 project plus an order pipeline derived from my_model:
 *   my_model (view, declared id) ─┐
 *   source my_table ──────────────┴→ orders (incremental, unique_key id, on_schema_change append_new_columns, declared id bigint / amount numeric)
 *                                     → orders_summary (table, declared total numeric) → orders_report (view, no declared columns)
 * with not_null_orders_id on orders.
 */
export function pipeline(version: 'v10' | 'v11' = 'v11'): Json {
  const m = rawManifest(version);
  cloneModel(m, ORDERS, {
    sql: "{{ config(materialized='incremental', unique_key='id', on_schema_change='append_new_columns') }}\nselect id, 10 as amount from {{ ref('my_model') }} join {{ source('my_source', 'my_table') }} using (id)",
    parents: [MY_MODEL, SOURCE],
    materialized: 'incremental',
    columns: { id: 'bigint', amount: 'numeric' },
  });
  setConfig(m.nodes[ORDERS], 'unique_key', 'id');
  setConfig(m.nodes[ORDERS], 'on_schema_change', 'append_new_columns');
  cloneModel(m, SUMMARY, { sql: "select sum(amount) as total from {{ ref('orders') }}", parents: [ORDERS], materialized: 'table', columns: { total: 'numeric' } });
  cloneModel(m, REPORT, { sql: "select * from {{ ref('orders_summary') }}", parents: [SUMMARY], materialized: 'view' });
  cloneNotNull(m, NOT_NULL_ORDERS, ORDERS, 'id');
  return m;
}

export const read = (m: Json, file = 'target/manifest.json'): DbtManifest => readManifest(JSON.stringify(m), { file });

/** prev = read(base), next = read(mutate(clone of base)). */
export function variant(base: Json, mutate: (m: Json) => void): [DbtManifest, DbtManifest] {
  const next = structuredClone(base);
  mutate(next);
  return [read(base), read(next)];
}

export const UNIT_TEST = 'unit_test.test.my_model.test_my_model_id';

/**
 * A v12 manifest (dbt 1.8+) derived from the real v11 one: the schema version,
 * the fields dbt 1.8 dropped from nodes (`deferred`; `root_path` outside seeds)
 * removed, the `unit_tests` collection v12 requires, holding one unit test of my_model.
 */
export function toV12(m: Json): Json {
  m.metadata.dbt_schema_version = 'https://schemas.getdbt.com/dbt/manifest/v12.json';
  m.metadata.dbt_version = '1.8.9';
  const strip = (n: Json) => {
    delete n.deferred;
    if (n.resource_type !== 'seed') delete n.root_path;
  };
  for (const n of Object.values(m.nodes) as Json[]) strip(n);
  for (const list of Object.values(m.disabled) as Json[][]) for (const n of list) strip(n);
  m.unit_tests = {
    [UNIT_TEST]: {
      model: 'my_model',
      given: [],
      expect: { rows: [{ id: 1 }], format: 'dict', fixture: null },
      name: 'test_my_model_id',
      resource_type: 'unit_test',
      package_name: 'test',
      path: 'schema.yml',
      original_file_path: 'models/schema.yml',
      unique_id: UNIT_TEST,
      fqn: ['test', 'my_model', 'test_my_model_id'],
      description: '',
      depends_on: { macros: [], nodes: [MY_MODEL] },
      config: { tags: [], meta: {}, enabled: true },
      checksum: sha('unit_tests: [{model: my_model, name: test_my_model_id, given: [], expect: {rows: [{id: 1}]}}]'),
      schema: m.nodes[MY_MODEL].schema,
      created_at: 1706614035.7,
    },
  };
  return m;
}
