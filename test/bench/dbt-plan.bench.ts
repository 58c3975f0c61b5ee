/**
 * `pnpm bench`, dbt part: the dbt deploy plan (@ferry/dbt) between two generated
 * 10,000-model manifests, against `JSON.parse` of the same two files, in the same run.
 *
 *   node --import tsx test/bench/dbt-plan.bench.ts [--models N] [--reps N] [--seed N] [--keep]
 *
 * The manifests have dbt's shape (node templates are the real nodes of
 * packages/dbt/fixtures/manifest-v11.json, dbt 1.7.6, and its ~400 built-in
 * macros): 5–20 declared columns per model, 1–4 upstream models each (a DAG
 * over sources), full config, 1–2 generic tests per model, seeds, snapshots,
 * exposures, parent_map/child_map. The second manifest is built for another
 * target (every schema differs) and ~1% of its models are modified: bodies,
 * columns dropped/added/retyped, config, and one project macro that ~1% of
 * models use (directly or through another macro).
 *
 * Each measurement runs in a fresh child process (node --expose-gc), so its
 * peak memory is its own: peak = process.resourceUsage().maxRSS minus the RSS
 * measured just before the timed work (after a forced GC); "retained" is the
 * heap still used after the work once a GC has run (what the result keeps
 * alive). Figures, not assertions: the only failure is a wrong plan (its
 * changes must be exactly the generated modifications).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { planDbt, readManifest, type DbtManifest, type DbtPlan } from '../../packages/dbt/src/index.js';
import { prng } from './dag-gen.js';

type Json = Record<string, any>;

const argv = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const HERE = path.dirname(fileURLToPath(import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const RESULTS = path.join(HERE, 'results', 'dbt-plan.json');
const FIXTURE = path.resolve(HERE, '../../packages/dbt/fixtures/manifest-v11.json');

// ---------------------------------------------------------------- child: one measurement

interface Measure {
  phase: string;
  ms: Record<string, number>;
  rssBefore: number;
  peakRss: number;
  heapBefore: number;
  heapAfterGc: number;
  summary?: PlanSummary;
}
interface PlanSummary {
  changes: number;
  byCategory: Record<string, number>;
  changedIds: string[];
  rebuild: number;
  fullRefresh: number;
  invocations: number;
  ciSelect: number;
  downstreamEntries: number;
}

function child(phase: string, a: string, b: string): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run the child with --expose-gc');
  gc();
  const heapEmpty = process.memoryUsage().heapUsed;
  // Read the files first (every phase needs the text; reading is not what is compared).
  let ta: string | undefined = fs.readFileSync(a, 'utf8');
  let tb: string | undefined = fs.readFileSync(b, 'utf8');
  gc();
  const before = process.memoryUsage();
  const ms: Record<string, number> = {};
  let keep: unknown;
  let summary: PlanSummary | undefined;
  let t = performance.now();
  if (phase === 'json-parse') {
    const pa = JSON.parse(ta) as unknown;
    const pb = JSON.parse(tb) as unknown;
    ms.work = performance.now() - t;
    keep = [pa, pb];
  } else {
    const ma = readManifest(ta, { file: a });
    const mb = readManifest(tb, { file: b });
    ms.read = performance.now() - t;
    if (phase === 'read') {
      ms.work = ms.read;
      keep = [ma, mb];
    } else {
      // The texts are not needed any more: a caller would drop them too.
      ta = tb = undefined;
      t = performance.now();
      const plan = planDbt(ma, mb);
      ms.plan = performance.now() - t;
      ms.work = ms.read + ms.plan;
      keep = [ma, mb, plan];
      summary = summarize(plan);
    }
  }
  const peakRss = process.resourceUsage().maxRSS * 1024;
  ta = tb = undefined;
  gc();
  const after = process.memoryUsage();
  const m: Measure = { phase, ms, rssBefore: before.rss, peakRss, heapBefore: heapEmpty, heapAfterGc: after.heapUsed, ...(summary ? { summary } : {}) };
  process.stdout.write(JSON.stringify(m) + '\n');
  if ((keep as unknown[]).length === 0) process.exitCode = 3; // keeps `keep` alive up to here
}

function summarize(plan: DbtPlan): PlanSummary {
  const byCategory: Record<string, number> = {};
  for (const c of plan.changes) byCategory[c.category] = (byCategory[c.category] ?? 0) + 1;
  return {
    changes: plan.changes.length,
    byCategory,
    changedIds: plan.changes.map((c) => `${c.change}:${c.uniqueId}`).sort(),
    rebuild: plan.rebuild.length,
    fullRefresh: plan.rebuild.filter((r) => r.fullRefresh).length,
    invocations: plan.invocations.length,
    ciSelect: plan.ciSelect.length,
    downstreamEntries: plan.changes.reduce((n, c) => n + c.downstream.length, 0),
  };
}

// ---------------------------------------------------------------- generator

interface Generated {
  prev: Json;
  next: Json;
  expectedChanged: string[];
  counts: Record<string, number>;
}

function generate(models: number, seed: number): Generated {
  const r = prng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');
  const real = JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as Json;
  const T = {
    model: real.nodes['model.test.my_model'] as Json,
    test: real.nodes['test.test.not_null_my_model_id.43e0e9183a'] as Json,
    seed: real.nodes['seed.test.my_seed'] as Json,
    snapshot: real.nodes['snapshot.test.snapshot_seed'] as Json,
    source: real.sources['source.test.my_source.my_table'] as Json,
    exposure: real.exposures['exposure.test.simple_exposure'] as Json,
    macro: real.macros['macro.test.do_nothing'] as Json,
  };
  const SCHEMA = 'analytics';
  const TYPES = ['bigint', 'integer', 'text', 'varchar(256)', 'numeric(18,2)', 'boolean', 'timestamp', 'date'];
  const m: Json = structuredClone(real);
  m.metadata = { ...real.metadata, project_name: 'bench', invocation_id: '00000000-0000-4000-8000-000000000001', generated_at: '2026-01-01T00:00:00Z' };
  m.nodes = {};
  m.sources = {};
  m.exposures = {};
  m.disabled = {};
  m.semantic_models = {};
  m.metrics = {};
  m.saved_queries = {};
  // dbt's own macros (real), plus the project's.
  m.macros = Object.fromEntries(Object.entries(real.macros as Json).filter(([id]) => !id.startsWith('macro.test.')));
  const projectMacros: string[] = [];
  for (let i = 0; i < 60; i++) {
    const id = `macro.bench.m_${i}`;
    const deps = i % 5 === 0 ? [] : [`macro.bench.m_${i - 1}`];
    m.macros[id] = {
      ...structuredClone(T.macro),
      name: `m_${i}`,
      unique_id: id,
      package_name: 'bench',
      path: `macros/m_${i}.sql`,
      original_file_path: `macros/m_${i}.sql`,
      macro_sql: `{% macro m_${i}(column_name) %}\n    {#- helper ${i} -#}\n    ${deps.length ? `{{ m_${i - 1}(column_name) }} + ` : ''}coalesce({{ column_name }}, 0) * ${i + 1}\n{% endmacro %}`,
      depends_on: { macros: deps },
    };
    projectMacros.push(id);
  }
  const columns = (n: number, typed: boolean) =>
    Object.fromEntries(
      Array.from({ length: n }, (_, k) => {
        const name = k === 0 ? 'id' : `col_${k}`;
        return [name, { name, description: k % 3 === 0 ? `The ${name} of the row, as loaded.` : '', meta: {}, data_type: typed ? pick(TYPES) : null, constraints: [], quote: null, tags: [] }];
      }),
    );
  const sources: string[] = [];
  for (let i = 0; i < 100; i++) {
    const id = `source.bench.raw.table_${i}`;
    m.sources[id] = { ...structuredClone(T.source), name: `table_${i}`, unique_id: id, package_name: 'bench', source_name: 'raw', fqn: ['bench', 'raw', `table_${i}`], identifier: `table_${i}`, schema: 'raw', columns: columns(int(5, 15), r() < 0.5), relation_name: `"warehouse"."raw"."table_${i}"` };
    sources.push(id);
  }
  const modelIds: string[] = [];
  const macroUsers = new Map<string, string[]>();
  for (let i = 0; i < models; i++) {
    const layer = i < models * 0.15 ? 'staging' : i < models * 0.5 ? 'intermediate' : 'marts';
    const name = `${layer === 'staging' ? 'stg' : layer === 'intermediate' ? 'int' : pick(['fct', 'dim'])}_${i}`;
    const id = `model.bench.${name}`;
    const materialized = layer === 'staging' ? 'view' : layer === 'intermediate' ? pick(['view', 'view', 'table', 'table', 'ephemeral']) : pick(['table', 'table', 'table', 'incremental', 'incremental']);
    const parents = layer === 'staging' ? [pick(sources)] : [...new Set(Array.from({ length: int(1, 4) }, () => modelIds[int(Math.max(0, i - 2000 - Math.floor(models * 0.15)), Math.min(i, modelIds.length) - 1)]!))];
    const colCount = int(5, 20);
    const declared = r() < 0.9;
    const typed = declared && r() < 0.7;
    const contract = typed && layer === 'marts' && r() < 0.1;
    const usesMacro = r() < 0.2 ? [pick(projectMacros)] : [];
    for (const mac of usesMacro) macroUsers.set(mac, [...(macroUsers.get(mac) ?? []), id]);
    const incremental = materialized === 'incremental';
    const refs = parents.map((p) => (p.startsWith('source.') ? `{{ source('raw', '${p.split('.').pop()}') }}` : `{{ ref('${p.split('.').pop()}') }}`));
    const body = [
      incremental ? `{{ config(unique_key='id', on_schema_change='${pick(['append_new_columns', 'sync_all_columns', 'ignore'])}') }}\n` : '',
      ...refs.map((ref, k) => `with p${k} as (\n    select * from ${ref}\n),\n`),
      'final as (\n    select\n',
      ...Array.from({ length: colCount }, (_, k) => `        ${usesMacro.length && k === 1 ? `{{ ${usesMacro[0]!.split('.').pop()}('p0.col_1') }}` : `p0.${k === 0 ? 'id' : `col_${k}`}`} as ${k === 0 ? 'id' : `col_${k}`},\n`),
      '        current_timestamp as loaded_at\n    from p0\n',
      ...refs.slice(1).map((_, k) => `    left join p${k + 1} using (id)\n`),
      ')\nselect * from final\n',
      incremental ? `{% if is_incremental() %}\nwhere loaded_at > (select max(loaded_at) from {{ this }}) - interval '{{ var("lookback_days", 3) }} days'\n{% endif %}\n` : '',
    ].join('');
    const unrendered: Json = { materialized };
    if (incremental) Object.assign(unrendered, { unique_key: 'id', on_schema_change: body.match(/on_schema_change='([a-z_]+)'/)![1] });
    if (contract) unrendered.contract = { enforced: true };
    const node: Json = {
      ...structuredClone(T.model),
      schema: `${SCHEMA}_${layer}`,
      name,
      package_name: 'bench',
      path: `${layer}/${name}.sql`,
      original_file_path: `models/${layer}/${name}.sql`,
      unique_id: id,
      fqn: ['bench', layer, name],
      alias: name,
      checksum: { name: 'sha256', checksum: sha(body) },
      tags: [layer],
      description: `Model ${name}: ${layer} layer, ${colCount} columns.`,
      columns: declared ? columns(colCount, typed) : {},
      patch_path: declared ? `bench://models/${layer}/schema.yml` : null,
      unrendered_config: unrendered,
      created_at: 1700000000 + i,
      relation_name: materialized === 'ephemeral' ? null : `"warehouse"."${SCHEMA}_${layer}"."${name}"`,
      raw_code: body,
      refs: parents.filter((p) => p.startsWith('model.')).map((p) => ({ name: p.split('.').pop(), package: null, version: null })),
      sources: parents.filter((p) => p.startsWith('source.')).map((p) => ['raw', p.split('.').pop()]),
      depends_on: { macros: [...usesMacro, ...(incremental ? ['macro.dbt.is_incremental'] : [])], nodes: parents },
      contract: { enforced: contract, alias_types: true, checksum: contract ? sha(`${id}:contract`) : null },
    };
    node.config = { ...structuredClone(T.model.config), materialized, tags: [layer], schema: layer, unique_key: incremental ? 'id' : null, on_schema_change: unrendered.on_schema_change ?? 'ignore', contract: { enforced: contract, alias_types: true } };
    m.nodes[id] = node;
    modelIds.push(id);
    // 1–2 generic tests on it.
    for (const [k, kind] of (['not_null', 'unique'] as const).slice(0, int(1, 2)).entries()) {
      const tname = `${kind}_${name}_id`;
      const tid = `test.bench.${tname}.${sha(tname).slice(0, 10)}`;
      m.nodes[tid] = {
        ...structuredClone(T.test),
        schema: `${SCHEMA}_dbt_test__audit`,
        name: tname,
        package_name: 'bench',
        path: `${tname}.sql`,
        original_file_path: `models/${layer}/schema.yml`,
        unique_id: tid,
        fqn: ['bench', layer, tname],
        alias: tname,
        test_metadata: { name: kind, kwargs: { column_name: 'id', model: `{{ get_where_subquery(ref('${name}')) }}` }, namespace: null },
        raw_code: `{{ test_${kind}(**_dbt_generic_test_kwargs) }}`,
        refs: [{ name, package: null, version: null }],
        depends_on: { macros: [`macro.dbt.test_${kind}`, 'macro.dbt.get_where_subquery'], nodes: [id] },
        column_name: 'id',
        attached_node: id,
        created_at: 1700000000 + i + k / 10,
      };
    }
  }
  for (let i = 0; i < 50; i++) {
    const id = `seed.bench.seed_${i}`;
    m.nodes[id] = { ...structuredClone(T.seed), name: `seed_${i}`, unique_id: id, package_name: 'bench', path: `seed_${i}.csv`, original_file_path: `seeds/seed_${i}.csv`, fqn: ['bench', `seed_${i}`], alias: `seed_${i}`, checksum: { name: 'sha256', checksum: sha(`seed ${i}`) }, schema: SCHEMA };
  }
  for (let i = 0; i < 20; i++) {
    const id = `snapshot.bench.snap_${i}`;
    const parent = modelIds[int(0, Math.floor(models * 0.15) - 1)]!;
    m.nodes[id] = {
      ...structuredClone(T.snapshot),
      name: `snap_${i}`,
      unique_id: id,
      package_name: 'bench',
      fqn: ['bench', `snap_${i}`, `snap_${i}`],
      alias: `snap_${i}`,
      schema: SCHEMA,
      checksum: { name: 'sha256', checksum: sha(`snapshot ${i}`) },
      raw_code: `{% snapshot snap_${i} %}{{ config(unique_key='id', strategy='check', check_cols='all', target_schema=schema) }}select * from {{ ref('${parent.split('.').pop()}') }}{% endsnapshot %}`,
      depends_on: { macros: [], nodes: [parent] },
      unrendered_config: { unique_key: 'id', strategy: 'check', check_cols: 'all', target_schema: SCHEMA },
      config: { ...structuredClone(T.snapshot.config), target_schema: SCHEMA },
    };
  }
  for (let i = 0; i < 30; i++) {
    const id = `exposure.bench.dashboard_${i}`;
    m.exposures[id] = { ...structuredClone(T.exposure), name: `dashboard_${i}`, unique_id: id, package_name: 'bench', fqn: ['bench', `dashboard_${i}`], depends_on: { macros: [], nodes: [modelIds[modelIds.length - 1 - i]!] } };
  }
  const maps = (x: Json) => {
    const parent: Json = {};
    const childMap: Json = {};
    for (const group of ['nodes', 'sources', 'exposures']) for (const id of Object.keys(x[group])) (parent[id] = x[group][id].depends_on?.nodes ?? []), (childMap[id] ??= []);
    for (const [id, ps] of Object.entries(parent)) for (const p of ps as string[]) (childMap[p] ??= []).push(id);
    x.parent_map = parent;
    x.child_map = childMap;
  };
  maps(m);

  // The new release: built for another target, ~1% of models modified.
  const next: Json = structuredClone(m);
  for (const n of Object.values(next.nodes) as Json[]) {
    n.schema = n.schema.replace(SCHEMA, 'dbt_ci_pr_1234');
    n.created_at += 86400;
    if (n.relation_name) n.relation_name = n.relation_name.replace(SCHEMA, 'dbt_ci_pr_1234');
    if (n.resource_type === 'snapshot') n.unrendered_config.target_schema = n.config.target_schema = n.schema;
  }
  next.metadata = { ...m.metadata, invocation_id: '00000000-0000-4000-8000-000000000002' };
  const expected = new Set<string>();
  const candidates = modelIds.filter((id) => next.nodes[id].config.materialized !== 'ephemeral');
  const chosen = new Set<string>();
  const choose = () => {
    for (;;) {
      const id = pick(candidates);
      if (!chosen.has(id)) return chosen.add(id), id;
    }
  };
  const counts = { bodies: 0, dropped: 0, added: 0, retyped: 0, config: 0, macroUsers: 0 };
  const touchBody = (n: Json, extra: string) => {
    n.raw_code += `\n-- ${extra}\n`;
    n.checksum = { name: 'sha256', checksum: sha(n.raw_code) };
  };
  const one = Math.max(1, Math.round(models / 1000));
  for (let k = 0; k < 4 * one; k++) (touchBody(next.nodes[choose()], `logic change ${k}`), counts.bodies++);
  for (let k = 0; k < one; k++) {
    const id = choose();
    const n = next.nodes[id];
    const cols = Object.keys(n.columns);
    if (cols.length > 1) delete n.columns[cols[cols.length - 1]!];
    else n.columns.dropped_col = { name: 'dropped_col', description: '', meta: {}, data_type: null, constraints: [], quote: null, tags: [] };
    touchBody(n, 'dropped a column');
    counts.dropped++;
  }
  for (let k = 0; k < one; k++) {
    const n = next.nodes[choose()];
    n.columns.new_col = { name: 'new_col', description: 'added', meta: {}, data_type: 'text', constraints: [], quote: null, tags: [] };
    touchBody(n, 'added a column');
    counts.added++;
  }
  for (let k = 0; k < one; k++) {
    const n = next.nodes[choose()];
    const first = Object.values(n.columns)[0] as Json | undefined;
    if (first) first.data_type = first.data_type === 'text' ? 'varchar(1024)' : 'text';
    else n.columns.id = { name: 'id', description: '', meta: {}, data_type: 'text', constraints: [], quote: null, tags: [] };
    touchBody(n, 'retyped a column');
    counts.retyped++;
  }
  for (let k = 0; k < one; k++) {
    const n = next.nodes[choose()];
    n.unrendered_config.grants = n.config.grants = { select: ['reporter'] };
    counts.config++;
  }
  for (const id of chosen) expected.add(`modified:${id}`);
  // One project macro edited: m_7, which m_8 and m_9 call (m_10 starts a new chain).
  next.macros['macro.bench.m_7'].macro_sql = next.macros['macro.bench.m_7'].macro_sql.replace('* 8', '* 8.0');
  for (const mac of ['macro.bench.m_7', 'macro.bench.m_8', 'macro.bench.m_9']) {
    for (const id of macroUsers.get(mac) ?? []) {
      if (!expected.has(`modified:${id}`)) counts.macroUsers++;
      expected.add(`modified:${id}`);
    }
  }
  maps(next);
  return { prev: m, next, expectedChanged: [...expected].sort(), counts: { ...counts, tests: Object.keys(m.nodes).filter((id) => id.startsWith('test.')).length } };
}

// ---------------------------------------------------------------- parent: generate, measure, report

const median = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  const k = Math.floor(s.length / 2);
  return s.length % 2 ? s[k]! : (s[k - 1]! + s[k]!) / 2;
};
const MiB = (b: number) => `${(b / (1 << 20)).toFixed(1)} MiB`;
const fmtS = (ms: number) => `${(ms / 1000).toFixed(3)} s`;
const START = performance.now();
const log = (msg: string) => process.stderr.write(`[bench +${((performance.now() - START) / 1000).toFixed(1)}s] ${msg}\n`);

function measure(phase: string, a: string, b: string): Measure {
  const r = spawnSync(process.execPath, ['--expose-gc', '--max-old-space-size=4096', '--import', 'tsx', SELF, '--child', phase, a, b], { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`child ${phase} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Measure;
}

function main(): void {
  const MODELS = opt('models', 10_000);
  const REPS = Math.max(1, opt('reps', 5));
  const SEED = opt('seed', 20240601);
  const KEEP = argv.includes('--keep');
  const LOAD_START = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-bench-dbt-'));
  try {
    log(`generating two manifests of ${MODELS} models (seed ${SEED})`);
    const gen = generate(MODELS, SEED);
    const a = path.join(tmp, 'deployed', 'manifest.json');
    const b = path.join(tmp, 'new', 'manifest.json');
    for (const [file, data] of [
      [a, gen.prev],
      [b, gen.next],
    ] as const) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, JSON.stringify(data)); // dbt writes manifest.json without indentation
    }
    const sizes = [fs.statSync(a).size, fs.statSync(b).size];
    const nodeCount = Object.keys(gen.prev.nodes).length + Object.keys(gen.prev.sources).length;
    const macroCount = Object.keys(gen.prev.macros).length;
    log(`files: ${MiB(sizes[0]!)} and ${MiB(sizes[1]!)}; ${nodeCount} nodes, ${macroCount} macros; expected changes: ${gen.expectedChanged.length}`);
    // Sanity, in this process: the manifests read, and the plan is right.
    const check = planDbt(readManifest(fs.readFileSync(a, 'utf8'), { file: a }) as DbtManifest, readManifest(fs.readFileSync(b, 'utf8'), { file: b }));
    const got = check.changes.map((c) => `${c.change}:${c.uniqueId}`).sort();
    const correct = JSON.stringify(got) === JSON.stringify(gen.expectedChanged);

    log('warm-up (page cache, module compile), untimed');
    measure('json-parse', a, b);
    measure('plan', a, b);
    const runs: Record<string, Measure[]> = { 'json-parse': [], read: [], plan: [] };
    for (let i = 0; i < REPS; i++) {
      log(`run ${i + 1} of ${REPS}`);
      const order = i % 2 === 0 ? ['json-parse', 'read', 'plan'] : ['plan', 'read', 'json-parse'];
      for (const phase of order) runs[phase]!.push(measure(phase, a, b));
    }
    const t = (phase: string, key = 'work') => median(runs[phase]!.map((m) => m.ms[key]!));
    const peak = (phase: string) => median(runs[phase]!.map((m) => m.peakRss - m.rssBefore));
    const kept = (phase: string) => median(runs[phase]!.map((m) => m.heapAfterGc - m.heapBefore));
    const base = t('json-parse');
    const summary = runs.plan![0]!.summary!;
    const ratio = (x: number, y: number) => `${(x / y).toFixed(2)}×`;
    const each = (phase: string, key = 'work') => runs[phase]!.map((m) => (m.ms[key]! / 1000).toFixed(3)).join(' / ') + ' s';

    const rows: [string, string, string, string][] = [
      ['manifests', `2 × ${MODELS} models, ${gen.counts.tests} tests, 50 seeds, 20 snapshots, 30 exposures, ${macroCount} macros; ${MiB(sizes[0]!)} + ${MiB(sizes[1]!)}`, '', ''],
      [`read both: readManifest ×2, median of ${REPS}`, fmtS(t('read')), `${fmtS(base)}: JSON.parse ×2`, ratio(t('read'), base)],
      ['plan: planDbt (diff + plan)', fmtS(t('plan', 'plan')), `${fmtS(base)}: JSON.parse ×2`, ratio(t('plan', 'plan'), base)],
      ['end to end: readManifest ×2 + planDbt', fmtS(t('plan')), `${fmtS(base)}: JSON.parse ×2`, ratio(t('plan'), base)],
      ['  each run (end to end | JSON.parse ×2)', each('plan'), each('json-parse'), ''],
      ['peak memory (RSS above the start, texts already read)', `${MiB(peak('read'))} read, ${MiB(peak('plan'))} end to end`, `${MiB(peak('json-parse'))}: JSON.parse ×2`, `${ratio(peak('read'), peak('json-parse'))} read, ${ratio(peak('plan'), peak('json-parse'))} end to end`],
      ['heap retained after GC (the results)', `${MiB(kept('read'))} (2 DbtManifests), ${MiB(kept('plan'))} (+ plan)`, `${MiB(kept('json-parse'))}: 2 parsed documents`, ratio(kept('plan'), kept('json-parse'))],
      [
        'plan',
        `${summary.changes} changes (${Object.entries(summary.byCategory).map(([k, v]) => `${v} ${k}`).join(', ')}); rebuild ${summary.rebuild} nodes, ${summary.fullRefresh} with --full-refresh; ${summary.invocations} invocation(s)`,
        '',
        `expected ${gen.expectedChanged.length} changes`,
      ],
    ];
    const head = ['metric', 'ferry (@ferry/dbt)', 'baseline (same run)', 'ratio (ferry ÷ baseline)'];
    const w = [0, 1, 2, 3].map((i) => Math.max(...rows.map((row) => row[i]!.length), head[i]!.length));
    const line = (c: string[]) => '| ' + c.map((x, i) => x.padEnd(w[i]!)).join(' | ') + ' |';
    const out: string[] = ['', `ferry benchmark: dbt deploy plan between two ${MODELS}-model manifests`, '', line(head), '|' + w.map((n) => '-'.repeat(n + 2)).join('|') + '|', ...rows.map(line)];
    const cpu = os.cpus()[0]?.model ?? 'unknown';
    out.push('', 'notes:');
    out.push(`  load average at start ${LOAD_START}, at end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; machine: nproc ${os.cpus().length}, ${cpu}, node ${process.version}.`);
    out.push('  every figure comes from a fresh child process (node --expose-gc) that first reads both files into strings (not timed), then forces a GC: times are wall time of the work alone; peak = maxRSS of the child minus its RSS just before the work; retained = heapUsed after a forced GC, the texts dropped, minus heapUsed before the texts were read (what the result keeps alive).');
    out.push(`  one untimed warm-up of each side first; ${REPS} timed runs per side, alternating order, medians reported.`);
    out.push(`  modified in the second manifest: ${gen.counts.bodies} bodies, ${gen.counts.dropped} columns dropped, ${gen.counts.added} added, ${gen.counts.retyped} retyped, ${gen.counts.config} config, and macro m_7 (used by ${gen.counts.macroUsers} more models directly or via m_8/m_9); every schema differs (another target).`);
    out.push(`  result: ${correct ? 'OK: the plan found exactly the generated changes' : `WRONG: the plan found ${got.length} changes, ${gen.expectedChanged.length} expected`}.`);
    process.stdout.write(out.join('\n') + '\n');

    const json = {
      format: 'ferry.bench/v1',
      bench: 'dbt-plan',
      at: new Date().toISOString(),
      machine: { nproc: os.cpus().length, cpu, node: process.version, loadavgStart: LOAD_START, loadavgEnd: os.loadavg().map((l) => l.toFixed(2)).join(' ') },
      params: { models: MODELS, seed: SEED, reps: REPS, bytes: sizes, nodes: nodeCount, tests: gen.counts.tests, macros: macroCount, modified: { ...gen.counts, tests: undefined } },
      method: 'one child process per measurement (node --expose-gc); texts read before timing; peak = maxRSS - RSS before the work; retained = heapUsed after GC (texts dropped) - heapUsed before reading the texts',
      jsonParse: { runsMs: runs['json-parse']!.map((m) => m.ms.work), medianMs: base, peakRssBytes: peak('json-parse'), retainedHeapBytes: kept('json-parse') },
      readManifest: { runsMs: runs.read!.map((m) => m.ms.work), medianMs: t('read'), peakRssBytes: peak('read'), retainedHeapBytes: kept('read') },
      planDbt: { runsMs: runs.plan!.map((m) => m.ms.plan), medianMs: t('plan', 'plan') },
      endToEnd: { runsMs: runs.plan!.map((m) => m.ms.work), medianMs: t('plan'), peakRssBytes: peak('plan'), retainedHeapBytes: kept('plan') },
      ratios: { readVsJsonParse: t('read') / base, planVsJsonParse: t('plan', 'plan') / base, endToEndVsJsonParse: t('plan') / base, peakEndToEndVsJsonParse: peak('plan') / peak('json-parse') },
      plan: { ...summary, changedIds: undefined },
      correct,
    };
    fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
    fs.writeFileSync(RESULTS, JSON.stringify(json, (_k, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 10) / 10 : v), 2) + '\n');
    log(`figures written to ${path.relative(process.cwd(), RESULTS)}`);
    if (!correct) process.exitCode = 1;
  } finally {
    if (!KEEP) fs.rmSync(tmp, { recursive: true, force: true });
    else log(`work folder kept: ${tmp}`);
  }
}

if (argv[0] === '--child') child(argv[1]!, argv[2]!, argv[3]!);
else main();
