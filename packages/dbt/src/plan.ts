import { DIFFED_TYPES, diffState, type Facts } from './diff.js';
import { byOrder, descendants, graphOf, IntHeap, type Graph } from './graph.js';
import type { DbtChange, DbtInvocation, DbtManifest, DbtNode, DbtPlan, DbtRebuild, VarsOptions } from './types.js';

const TEST_TYPES = new Set(['test', 'unit_test']);
/** Materializations on which --full-refresh changes nothing: they can share an invocation with either flag. */
const NEUTRAL_MATERIALIZATIONS = new Set(['view', 'table', 'ephemeral']);
/** Adapters whose table/view materializations drop the old relation with `cascade`, taking the views on it along. */
const CASCADE_ADAPTERS = new Set(['postgres', 'redshift']);
/**
 * Config keys whose change takes effect on a normal incremental run: they do not
 * change the rows already built, so they never call for a full refresh.
 */
const CONFIG_SAFE_FOR_INCREMENTAL = new Set([
  'access',
  'concurrent_batches',
  'full_refresh',
  'grants',
  'incremental_predicates',
  'incremental_strategy',
  'labels',
  'merge_exclude_columns',
  'merge_update_columns',
  'meta',
  'on_schema_change',
  'persist_docs',
  'post-hook',
  'post_hook',
  'pre-hook',
  'pre_hook',
  'query_tag',
  'snowflake_warehouse',
]);
const ADDITIVE_SCHEMA_CHANGE = new Set(['append_new_columns', 'sync_all_columns']);

const isBuildable = (n: DbtNode | undefined): n is DbtNode =>
  !!n && (n.resourceType === 'seed' || n.resourceType === 'snapshot' || TEST_TYPES.has(n.resourceType) || (n.resourceType === 'model' && n.materialized !== 'ephemeral'));
const isEphemeral = (n: DbtNode | undefined) => n?.resourceType === 'model' && n.materialized === 'ephemeral';
const isForwardOnly = (n: DbtNode | undefined) => n?.resourceType === 'model' && n.forwardOnly;
const isIncremental = (n: DbtNode) => n.resourceType === 'model' && n.materialized === 'incremental';
/** A node whose build depends on --full-refresh (incremental models, seeds, materialized views, custom materializations). */
const isSensitive = (n: DbtNode) => n.resourceType === 'seed' || (n.resourceType === 'model' && !NEUTRAL_MATERIALIZATIONS.has(n.materialized ?? 'view'));

/**
 * The dbt part of a deploy plan: the state diff, what rebuilds (with
 * --full-refresh where existing rows must be replaced), the dbt invocations
 * that do it, and the selection for slim CI. `prev` undefined is a first
 * deploy: everything builds, without --full-refresh.
 */
export function planDbt(prev: DbtManifest | undefined, next: DbtManifest, opts: VarsOptions = {}): DbtPlan {
  if (!prev) return firstDeploy(next);
  const state = diffState(prev, next, opts);
  const g = state.nextGraph;
  const nodes = next.nodes;
  const notes = [...state.notes];

  /** id → why it rebuilds, by cause. */
  const own = new Map<string, DbtChange>();
  const upstream = new Map<string, Set<string>>(); // downstream of a breaking/unknown change: the changed node(s)
  const viaEphemeral = new Map<string, Set<string>>();
  const viaView = new Map<string, Set<string>>();
  const testing = new Map<string, Set<string>>();
  const rebuild = new Set<string>();
  const add = <T>(m: Map<string, Set<T>>, id: string, v: T) => {
    const s = m.get(id);
    if (s) s.add(v);
    else m.set(id, new Set([v]));
  };
  const testOnly = new Set<string>(); // changed sources and ephemeral models: nothing to build, their tests run
  const forwardOnly: string[] = [];
  const skippedForwardOnly = new Map<string, Set<string>>();

  for (const c of state.changes) {
    const n = nodes.get(c.uniqueId);
    if (c.change === 'removed' || !n) continue;
    if (c.category === 'forward-only') {
      forwardOnly.push(c.uniqueId);
      continue;
    }
    if (c.category === 'new') {
      if (isBuildable(n)) {
        own.set(c.uniqueId, c);
        rebuild.add(c.uniqueId);
      }
      continue;
    }
    if (isBuildable(n)) {
      own.set(c.uniqueId, c);
      rebuild.add(c.uniqueId);
    }
    if (n.resourceType === 'source' || isEphemeral(n)) testOnly.add(c.uniqueId);
    if (c.category === 'breaking' || c.category === 'unknown') {
      for (const d of descendants(g, [c.uniqueId], (id) => !isForwardOnly(nodes.get(id)))) {
        const dn = nodes.get(d);
        if (isForwardOnly(dn)) add(skippedForwardOnly, d, c.uniqueId);
        else if (isBuildable(dn) && !TEST_TYPES.has(dn.resourceType)) {
          add(upstream, d, c.uniqueId);
          rebuild.add(d);
        }
      }
    } else if (isEphemeral(n)) {
      // An ephemeral model is inlined into the models that select from it: they are what rebuilds.
      for (const d of descendants(g, [c.uniqueId], (id) => isEphemeral(nodes.get(id)))) {
        const dn = nodes.get(d);
        if (isBuildable(dn) && !TEST_TYPES.has(dn.resourceType) && !isForwardOnly(dn)) {
          add(viaEphemeral, d, c.uniqueId);
          rebuild.add(d);
        }
      }
    }
  }

  // --full-refresh, per node.
  const full = new Map<string, { fullRefresh: boolean; why?: string }>();
  const blocked: string[] = [];
  for (const id of rebuild) full.set(id, fullRefreshOf(nodes.get(id)!, own.get(id), state.facts.get(id), upstream.has(id), blocked));

  // On Postgres/Redshift, rebuilding a table or view drops the views on it (drop … cascade): recreate them.
  if (next.adapterType && CASCADE_ADAPTERS.has(next.adapterType)) {
    const work = byOrder(g, rebuild).reverse();
    while (work.length) {
      const id = work.pop()!;
      const n = nodes.get(id)!;
      const drops = n.resourceType === 'model' ? n.materialized !== 'incremental' || full.get(id)?.fullRefresh : n.resourceType === 'seed' && full.get(id)?.fullRefresh;
      if (!drops) continue;
      const views = descendants(g, [id], (d) => isEphemeral(nodes.get(d))).filter((d) => {
        const dn = nodes.get(d);
        return dn?.resourceType === 'model' && dn.materialized === 'view';
      });
      for (const v of views) {
        // Only said of the views that rebuild for this reason alone.
        if (!rebuild.has(v)) {
          add(viaView, v, id);
          rebuild.add(v);
          full.set(v, { fullRefresh: false });
          work.push(v);
        } else if (viaView.has(v)) add(viaView, v, id);
      }
    }
  }

  // Tests of everything rebuilt, and of changed sources, run (dbt build runs them after their parents).
  for (const id of [...rebuild, ...testOnly]) {
    if (TEST_TYPES.has(nodes.get(id)!.resourceType)) continue;
    for (const t of g.children.get(id) ?? []) {
      const tn = nodes.get(t);
      if (tn && TEST_TYPES.has(tn.resourceType)) {
        add(testing, t, id);
        if (!rebuild.has(t)) {
          rebuild.add(t);
          full.set(t, { fullRefresh: false });
        }
      }
    }
  }

  const name = (id: string) => nodes.get(id)?.name ?? id;
  const list = (ids: Iterable<string>) => upTo(5, byOrder(g, ids).map(name));
  const changeOf = new Map(state.changes.map((c) => [c.uniqueId, c]));
  const rebuildList: DbtRebuild[] = byOrder(g, rebuild).map((id) => {
    const n = nodes.get(id)!;
    const why: string[] = [];
    const c = own.get(id);
    if (c) why.push(c.categoryReason);
    const ups = upstream.get(id);
    // Changes are visited in topological order, so each set already is in that order.
    if (ups) why.push(`downstream of ${[...take(ups, 5)].map((u) => `${name(u)} (${changeOf.get(u)?.category})`).join(', ')}${ups.size > 5 ? ` and ${ups.size - 5} more` : ''}`);
    const eph = viaEphemeral.get(id);
    if (eph) why.push(`selects from ephemeral model ${list(eph)}, whose logic changed (ephemeral models are inlined, never built)`);
    const vv = viaView.get(id);
    if (vv) why.push(`a view on ${list(vv)}, which is rebuilt: on ${next.adapterType} that drops the views on it (drop … cascade), so it is recreated`);
    const tt = testing.get(id);
    if (tt) {
      const built = [...tt].filter((t) => !testOnly.has(t));
      const sources = [...tt].filter((t) => testOnly.has(t));
      if (built.length) why.push(`tests ${list(built)}, which ${built.length === 1 ? 'is' : 'are'} rebuilt`);
      if (sources.length) why.push(`tests ${list(sources)}, which changed`);
    }
    const f = full.get(id)!;
    if (f.why) why.push(f.why);
    return { uniqueId: id, name: n.name, resourceType: n.resourceType, fullRefresh: f.fullRefresh, why: why.join('; ') };
  });

  const select = selectorsFor(next);
  const invocations = invoke(g, new Map(rebuildList.map((r) => [r.uniqueId, r.fullRefresh])), select);

  const ci = new Set(rebuild);
  for (const id of forwardOnly) {
    ci.add(id);
    for (const t of g.children.get(id) ?? []) if (TEST_TYPES.has(nodes.get(t)?.resourceType ?? '')) ci.add(t);
  }
  const ciSelect = byOrder(g, ci).map((id) => select(id));

  // Notes: what the plan deliberately does not do.
  for (const id of forwardOnly) {
    notes.push(`${name(id)} is forward-only (config.meta.ferry.forward_only: true): not rebuilt now; the rows already built are kept, and its next run applies the new logic to new data`);
  }
  for (const [id, from] of skippedForwardOnly) {
    if (rebuild.has(id)) continue;
    notes.push(`${name(id)} is forward-only: not rebuilt although ${list(from)} upstream changed; its next run uses the new upstream for new data only, and what is downstream of it alone is not rebuilt either`);
  }
  const removedRelations = state.changes.filter((c) => c.change === 'removed' && !TEST_TYPES.has(c.resourceType) && c.resourceType !== 'source' && !isEphemeral(prev.nodes.get(c.uniqueId)));
  if (removedRelations.length) notes.push(`removed: ${upTo(10, removedRelations.map((c) => c.name))}; dbt does not drop their relations: drop them by hand once nothing reads them`);
  const renamed = state.changes.filter((c) => c.renamedFrom);
  if (renamed.length) notes.push(`renamed: ${upTo(10, renamed.map((c) => `${prev.nodes.get(c.renamedFrom!)?.name ?? c.renamedFrom} → ${c.name}`))}; the relation under the old name stays in the warehouse until dropped by hand`);
  const snapshots = rebuildList.filter((r) => r.resourceType === 'snapshot');
  if (snapshots.length) notes.push(`snapshots are never full-refreshed (their history would be lost): ${upTo(10, snapshots.map((s) => s.name))} run normally and capture rows with the new logic from now on`);
  for (const b of blocked) notes.push(b);
  const refreshed = rebuildList.filter((r) => r.fullRefresh);
  if (refreshed.length) notes.push(`--full-refresh (rebuilt from scratch): ${upTo(10, refreshed.map((r) => r.name))}`);
  if (invocations.length > 1) notes.push(`${invocations.length} dbt invocations (--full-refresh only where planned), in order: stop at the first that fails`);
  if (rebuildList.length === 0) notes.push(state.changes.length ? 'nothing to rebuild' : 'no dbt changes: nothing to rebuild');
  return { changes: state.changes, rebuild: rebuildList, invocations, ciSelect, notes };
}

/** "a, b, c" or "a, b, c and 7 more". */
const upTo = (n: number, names: string[]) => (names.length > n ? `${names.slice(0, n).join(', ')} and ${names.length - n} more` : names.join(', '));

function* take<T>(xs: Iterable<T>, n: number): Iterable<T> {
  if (n <= 0) return;
  for (const x of xs) {
    yield x;
    if (--n === 0) return;
  }
}

function fullRefreshOf(n: DbtNode, own: DbtChange | undefined, facts: Facts | undefined, downstreamOfBreaking: boolean, blocked: string[]): { fullRefresh: boolean; why?: string } {
  if (n.resourceType === 'snapshot') return { fullRefresh: false, why: 'snapshots are never full-refreshed (their history would be lost): it runs normally' };
  if (n.resourceType === 'seed') {
    const columns = facts && (facts.columnsAdded.length || facts.columnsRemoved.length || facts.columnsRetyped.length || facts.config.some((c) => c.key === 'column_types'));
    if (columns) return { fullRefresh: true, why: "--full-refresh: the seed's columns changed, so its table is recreated" };
    if (own?.change === 'added') return { fullRefresh: false };
    return { fullRefresh: false, why: "reloaded (truncate and insert); if the CSV's header changed it needs --full-refresh: declare the seed's columns so ferry can tell" };
  }
  if (!isIncremental(n)) return { fullRefresh: false };
  if (own && (own.change === 'added' || own.renamedFrom)) return { fullRefresh: false, why: 'a new relation: built from scratch, no --full-refresh needed' };
  let need: string | undefined;
  if (downstreamOfBreaking) need = '--full-refresh: incremental, and the rows already built were computed from the old upstream';
  else if (facts) {
    const onSchemaChange = n.onSchemaChange ?? 'ignore';
    const onlyAdded = own?.category === 'non-breaking' && facts.columnsAdded.length > 0 && !facts.columnsRemoved.length && !facts.columnsRetyped.length;
    const configOnly = !facts.body && !facts.macros.length && !facts.vars.length && !facts.columnsAdded.length && !facts.columnsRemoved.length && !facts.columnsRetyped.length;
    const unsafe = facts.config.filter((c) => !CONFIG_SAFE_FOR_INCREMENTAL.has(c.key)).map((c) => c.key);
    if (onlyAdded && ADDITIVE_SCHEMA_CHANGE.has(onSchemaChange) && unsafe.length === 0) {
      return { fullRefresh: false, why: `no --full-refresh: ${facts.columnsAdded.length === 1 ? 'column' : 'columns'} ${facts.columnsAdded.map((c) => c.name).join(', ')} only added and on_schema_change is ${onSchemaChange}, so the incremental run adds ${facts.columnsAdded.length === 1 ? 'it' : 'them'} (rows already built hold NULL there)` };
    }
    if (configOnly && unsafe.length === 0) return { fullRefresh: false, why: `no --full-refresh: only ${facts.config.length ? `config ${facts.config.map((c) => c.key).join(', ')}` : 'the contract or declared column types'} changed, which a normal incremental run applies` };
    if (onlyAdded) need = `--full-refresh: ${facts.columnsAdded.length === 1 ? 'column' : 'columns'} ${facts.columnsAdded.map((c) => c.name).join(', ')} added, but on_schema_change is ${onSchemaChange}: only a full refresh adds ${facts.columnsAdded.length === 1 ? 'it' : 'them'}`;
    else if (configOnly) need = `--full-refresh: config ${unsafe.join(', ')} changed, which only a full refresh applies to the rows already built`;
    else need = '--full-refresh: incremental, and the rows already built came from the old logic';
  } else need = '--full-refresh: incremental, and the rows already built came from the old logic';
  if (n.fullRefreshConfig === false) {
    blocked.push(`${n.name} needs a full refresh but has config full_refresh: false, so dbt ignores --full-refresh for it: the rows already built keep the old logic; rebuild it by hand or lift the setting for this deploy`);
    return { fullRefresh: false, why: `${need.replace(/^--full-refresh: /, 'would need --full-refresh (')}) but config full_refresh: false stops it: runs incrementally` };
  }
  return { fullRefresh: true, why: need };
}

/** `select(id)`: the node's name, or `fqn:…` where another node has the same name. */
function selectorsFor(m: DbtManifest): (id: string) => string {
  const count = new Map<string, number>();
  for (const n of m.nodes.values()) {
    const leaf = n.fqn[n.fqn.length - 1] ?? n.name;
    count.set(leaf, (count.get(leaf) ?? 0) + 1);
    if (leaf !== n.name) count.set(n.name, (count.get(n.name) ?? 0) + 1);
  }
  return (id) => {
    const n = m.nodes.get(id)!;
    const leaf = n.fqn[n.fqn.length - 1];
    return leaf === n.name && count.get(n.name) === 1 ? n.name : `fqn:${n.fqn.join('.')}`;
  };
}

/**
 * Cuts the rebuild set into `dbt build` invocations: a topological order of the
 * whole graph (nodes not selected pass freely), greedily keeping nodes of the
 * same --full-refresh flag together. Nodes on which the flag changes nothing
 * (views, tables, tests, snapshots) join whichever invocation is open.
 */
function invoke(g: Graph, selected: Map<string, boolean>, select: (id: string) => string): DbtInvocation[] {
  const nodes = g.manifest.nodes;
  const n = g.ids.length;
  const indegree = new Int32Array(n);
  const kids: number[][] = new Array(n);
  for (let i = 0; i < n; i++) {
    kids[i] = (g.children.get(g.ids[i]!) ?? []).map((c) => g.order.get(c)!);
    for (const c of kids[i]!) indegree[c]!++;
  }
  // Heaps of topological positions: the lowest position first, so the order is deterministic.
  const free = new IntHeap(n);
  const neutral = new IntHeap(n);
  const flagged = { true: new IntHeap(n), false: new IntHeap(n) };
  const ready = (i: number) => {
    const id = g.ids[i]!;
    const fr = selected.get(id);
    if (fr === undefined) free.push(i);
    else if (!isSensitive(nodes.get(id)!)) neutral.push(i);
    else flagged[`${fr}`].push(i);
  };
  for (let i = 0; i < n; i++) if (indegree[i] === 0) ready(i);
  const runs: { flag?: boolean; nodes: string[] }[] = [];
  let run: { flag?: boolean; nodes: string[] } | undefined;
  const emit = (i: number) => {
    for (const c of kids[i]!) if (--indegree[c]! === 0) ready(c);
  };
  const join = (i: number) => {
    if (!run) runs.push((run = { nodes: [] }));
    run.nodes.push(g.ids[i]!);
    emit(i);
  };
  for (;;) {
    if (free.size) emit(free.pop());
    else if (neutral.size) join(neutral.pop());
    else if (flagged.true.size || flagged.false.size) {
      if (run?.flag === undefined) {
        const pick = !flagged.false.size ? true : !flagged.true.size ? false : flagged.true.peek() < flagged.false.peek();
        if (!run) runs.push((run = { nodes: [] }));
        run.flag = pick;
      }
      const heap = flagged[`${run.flag!}`];
      if (heap.size) join(heap.pop());
      else run = undefined; // only the other flag is ready: close this invocation
    } else break;
  }
  return runs
    .filter((r) => r.nodes.length)
    .map((r) => {
      const fullRefresh = r.flag === true;
      return { args: ['build', '--select', ...r.nodes.map(select), ...(fullRefresh ? ['--full-refresh'] : [])], fullRefresh, nodes: r.nodes };
    });
}

function firstDeploy(next: DbtManifest): DbtPlan {
  const g = graphOf(next);
  const select = selectorsFor(next);
  const all = byOrder(g, next.nodes.keys());
  const changes: DbtChange[] = [];
  for (const id of all) {
    const n = next.nodes.get(id)!;
    if (!DIFFED_TYPES.has(n.resourceType)) continue;
    changes.push({ uniqueId: id, name: n.name, resourceType: n.resourceType, change: 'added', reasons: [], category: 'new', categoryReason: 'first deploy: nothing of this project was deployed to this environment before', downstream: [] });
  }
  const built = all.filter((id) => isBuildable(next.nodes.get(id)));
  const rebuild = built.map((id) => {
    const n = next.nodes.get(id)!;
    return { uniqueId: id, name: n.name, resourceType: n.resourceType, fullRefresh: false, why: 'first deploy: everything builds' };
  });
  return {
    changes,
    rebuild,
    invocations: built.length ? [{ args: ['build'], fullRefresh: false, nodes: built }] : [],
    ciSelect: built.map(select),
    notes: [
      `first deploy of ${next.projectName || 'this project'} to this environment (no deployed manifest to compare with): every model, seed, snapshot and test builds, without --full-refresh (relations that already exist are built the way dbt finds them: incremental models run incrementally)`,
    ],
  };
}
