import { byOrder, descendants, graphOf, type Graph } from './graph.js';
import type { DbtCategory, DbtChange, DbtManifest, DbtNode, DbtReason, VarsOptions } from './types.js';
import { deepEqual, isObject, short, show, type Json } from './util.js';

/** Resource types the state diff reports. Analyses, operations and exposures are never built by a deploy. */
export const DIFFED_TYPES = new Set(['model', 'seed', 'snapshot', 'test', 'unit_test', 'source']);
/** Resource types whose relation can be renamed (a removed + an added node with the same body). */
const RENAMEABLE = new Set(['model', 'seed', 'snapshot']);
const TEST_TYPES = new Set(['test', 'unit_test']);

/** What changed in one node, in structured form (reasons and categories are written from it). */
export interface Facts {
  prev: DbtNode;
  next: DbtNode;
  body: boolean;
  config: { key: string; prev: unknown; next: unknown }[];
  contract: string[];
  columnsAdded: { name: string; type?: string }[];
  columnsRemoved: { name: string; type?: string }[];
  columnsRetyped: { name: string; prev: string; next: string }[];
  columnsTypeDeclared: { name: string; prev?: string; next?: string }[];
  macros: { id: string; via?: string; isNew: boolean }[];
  vars: { name: string; prev: unknown; next: unknown; via?: string }[];
  renamedFrom?: string;
  materialized?: [string | undefined, string | undefined];
  uniqueKey?: [unknown, unknown];
  identifier?: [unknown, unknown];
}

export interface DiffState {
  changes: DbtChange[];
  /** Facts of every modified change (renames included), by the change's unique id. */
  facts: Map<string, Facts>;
  nextGraph: Graph;
  notes: string[];
}

/**
 * The state diff between the manifest deployed in an environment and a new one:
 * nodes added, removed and modified, each with reasons, a change category and
 * the nodes downstream. Vars come from the two releases' dbt_project.yml; var
 * changes are only looked for when both are given.
 */
export function diffManifests(prev: DbtManifest, next: DbtManifest, opts: VarsOptions = {}): DbtChange[] {
  return diffState(prev, next, opts).changes;
}

export function diffState(prev: DbtManifest, next: DbtManifest, opts: VarsOptions = {}): DiffState {
  const nextGraph = graphOf(next);
  const notes: string[] = [];
  const macroReach = macroChanges(prev, next);
  const vars = opts.prevVars && opts.nextVars ? { prev: opts.prevVars, next: opts.nextVars, read: macroVars(next) } : undefined;
  if (!vars && (opts.prevVars || opts.nextVars)) notes.push(`vars are only compared when both releases' vars are known; the ${opts.prevVars ? 'new' : 'deployed'} release's are missing, so var changes are not detected`);

  const added: DbtNode[] = [];
  const removed: DbtNode[] = [];
  const facts = new Map<string, Facts>();
  for (const [id, n] of next.nodes) {
    if (!DIFFED_TYPES.has(n.resourceType)) continue;
    const p = prev.nodes.get(id);
    if (!p || p.resourceType !== n.resourceType) {
      added.push(n);
      continue;
    }
    const f = compare(p, n, macroReach, vars);
    if (f) facts.set(id, f);
  }
  for (const [id, p] of prev.nodes) {
    if (!DIFFED_TYPES.has(p.resourceType)) continue;
    const n = next.nodes.get(id);
    if (!n || n.resourceType !== p.resourceType) removed.push(p);
  }

  // A removed and an added node of the same type with the same body, one to one: a rename.
  const key = (n: DbtNode) => (RENAMEABLE.has(n.resourceType) && n.checksum ? `${n.resourceType}\0${n.checksum}` : undefined);
  const count = (list: DbtNode[]) => {
    const m = new Map<string, DbtNode[]>();
    for (const n of list) {
      const k = key(n);
      if (!k) continue;
      const list = m.get(k);
      if (list) list.push(n);
      else m.set(k, [n]);
    }
    return m;
  };
  const addedBy = count(added);
  const removedBy = count(removed);
  const renamedOld = new Set<string>();
  const renamedNew = new Set<string>();
  for (const [k, olds] of removedBy) {
    const news = addedBy.get(k);
    if (olds.length !== 1 || news?.length !== 1) continue;
    const [o, n] = [olds[0]!, news[0]!];
    const f = compare(o, n, macroReach, vars, true)!;
    f.renamedFrom = o.uniqueId;
    facts.set(n.uniqueId, f);
    renamedOld.add(o.uniqueId);
    renamedNew.add(n.uniqueId);
  }

  const changes: DbtChange[] = [];
  for (const n of added) {
    if (renamedNew.has(n.uniqueId)) continue;
    changes.push({ uniqueId: n.uniqueId, name: n.name, resourceType: n.resourceType, change: 'added', reasons: [], category: 'new', categoryReason: newReason(n), downstream: [] });
  }
  for (const [id, f] of facts) {
    const { category, categoryReason } = categorize(f);
    const change: DbtChange = {
      uniqueId: id,
      name: f.next.name,
      resourceType: f.next.resourceType,
      change: 'modified',
      reasons: reasonsOf(f),
      category,
      categoryReason,
      downstream: descendants(nextGraph, [id]),
    };
    if (f.renamedFrom) change.renamedFrom = f.renamedFrom;
    changes.push(change);
  }
  const order = (c: DbtChange) => nextGraph.order.get(c.uniqueId) ?? Infinity;
  changes.sort((a, b) => order(a) - order(b) || (a.uniqueId < b.uniqueId ? -1 : 1));
  for (const p of removed.sort((a, b) => (a.uniqueId < b.uniqueId ? -1 : 1))) {
    if (renamedOld.has(p.uniqueId)) continue;
    const downstream = descendants(graphOf(prev), [p.uniqueId]).filter((d) => next.nodes.has(d));
    changes.push({ uniqueId: p.uniqueId, name: p.name, resourceType: p.resourceType, change: 'removed', reasons: [], category: 'removed', categoryReason: removedReason(p, downstream), downstream: byOrder(nextGraph, downstream) });
  }
  if (prev.dbtVersion !== next.dbtVersion) {
    const viaBuiltIns = changes.filter((c) => c.reasons.length > 0 && c.reasons.every((r) => r.kind === 'macro' && DBT_OWN_MACRO.test(r.detail))).length;
    notes.push(`dbt ${prev.dbtVersion} → ${next.dbtVersion}${viaBuiltIns ? `: ${viaBuiltIns} node(s) count as modified only because dbt's own macros changed with the upgrade` : ''}`);
  }
  return { changes, facts, nextGraph, notes };
}

/** Macros of dbt-core and of its adapters: they change with a dbt upgrade. */
const DBT_OWN_MACRO = /^macro macro\.dbt(_(postgres|redshift|snowflake|bigquery|databricks|spark|duckdb|trino|athena|fabric|synapse|sqlserver|clickhouse))?\./;

type MacroReach = (node: DbtNode) => { id: string; via?: string; isNew: boolean }[];

/** For a node of `next`: the macros it uses, directly or through other macros, that are new or changed since `prev`. */
function macroChanges(prev: DbtManifest, next: DbtManifest): MacroReach {
  const changed = new Map<string, boolean>(); // id → is new
  for (const [id, m] of next.macros) {
    const p = prev.macros.get(id);
    if (!p) changed.set(id, true);
    else if (p.checksum !== m.checksum) changed.set(id, false);
  }
  if (changed.size === 0) return () => [];
  const memo = new Map<string, Set<string>>();
  const reach = (id: string): Set<string> => {
    const known = memo.get(id);
    if (known) return known;
    const out = new Set<string>();
    memo.set(id, out); // a macro cycle ends here
    if (changed.has(id)) out.add(id);
    for (const d of next.macros.get(id)?.dependsOnMacros ?? []) for (const c of reach(d)) out.add(c);
    return out;
  };
  return (node) => {
    if (!node.dependsOnMacros.some((d) => reach(d).size > 0)) return [];
    const found = new Map<string, string | undefined>();
    for (const direct of node.dependsOnMacros) {
      for (const c of reach(direct)) if (!found.has(c) || (c === direct && found.get(c) !== undefined)) found.set(c, c === direct ? undefined : direct);
    }
    // Only macros ferry can see changed: a node cannot depend on a macro of `next` that is not in `next`.
    return [...found].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, via]) => ({ id, ...(via ? { via } : {}), isNew: changed.get(id)! }));
  };
}

/** Vars read by each macro, directly or through the macros it calls (var → the first macro that reads it). */
function macroVars(next: DbtManifest): (node: DbtNode) => Map<string, string> {
  const memo = new Map<string, Map<string, string>>();
  const of = (id: string): Map<string, string> => {
    const known = memo.get(id);
    if (known) return known;
    const out = new Map<string, string>();
    memo.set(id, out);
    const m = next.macros.get(id);
    for (const v of m?.varsRead ?? []) out.set(v, id);
    for (const d of m?.dependsOnMacros ?? []) for (const [v, by] of of(d)) if (!out.has(v)) out.set(v, by);
    return out;
  };
  return (node) => {
    const out = new Map<string, string>();
    for (const d of node.dependsOnMacros) for (const [v, by] of of(d)) if (!out.has(v)) out.set(v, by);
    return out;
  };
}

function varValue(vars: Record<string, unknown>, pkg: string, name: string): unknown {
  const scoped = vars[pkg];
  if (isObject(scoped) && name in scoped) return scoped[name];
  return vars[name];
}

const normType = (t: string) => t.trim().toLowerCase().replace(/\s+/g, ' ');
const sameKey = (a: unknown, b: unknown) => deepEqual(Array.isArray(a) && a.length === 1 ? a[0] : a, Array.isArray(b) && b.length === 1 ? b[0] : b);

function compare(
  p: DbtNode,
  n: DbtNode,
  macroReach: MacroReach,
  vars: { prev: Record<string, unknown>; next: Record<string, unknown>; read: (node: DbtNode) => Map<string, string> } | undefined,
  rename = false,
): Facts | undefined {
  // The common case first, without allocating: nothing changed.
  if (
    !rename &&
    p.checksum === n.checksum &&
    p.contractEnforced === n.contractEnforced &&
    p.contractChecksum === n.contractChecksum &&
    sameColumns(p, n) &&
    deepEqual(p.configForDiff, n.configForDiff) &&
    (n.dependsOnMacros.length === 0 || macroReach(n).length === 0) &&
    (!vars || (n.varsRead.length === 0 && n.dependsOnMacros.length === 0))
  ) {
    return undefined;
  }
  const f: Facts = { prev: p, next: n, body: !rename && p.checksum !== n.checksum, config: [], contract: [], columnsAdded: [], columnsRemoved: [], columnsRetyped: [], columnsTypeDeclared: [], macros: [], vars: [] };
  const pc = (isObject(p.configForDiff) ? p.configForDiff : {}) as Json;
  const nc = (isObject(n.configForDiff) ? n.configForDiff : {}) as Json;
  if (!deepEqual(pc, nc)) {
    for (const key of [...new Set([...Object.keys(pc), ...Object.keys(nc)])].sort()) {
      if (!deepEqual(pc[key], nc[key])) f.config.push({ key, prev: pc[key], next: nc[key] });
    }
  }
  if (p.contractEnforced !== n.contractEnforced) f.contract.push(`contract enforced: ${p.contractEnforced} → ${n.contractEnforced}`);
  else if (n.contractEnforced && p.contractChecksum !== n.contractChecksum) f.contract.push(`contract checksum ${short(p.contractChecksum)} → ${short(n.contractChecksum)}`);

  if (!sameColumns(p, n)) diffColumns(p, n, f);

  f.macros = n.dependsOnMacros.length ? macroReach(n) : [];
  if (vars) {
    const read = new Map<string, string | undefined>(n.varsRead.map((v) => [v, undefined]));
    if (n.dependsOnMacros.length) for (const [v, by] of vars.read(n)) if (!read.has(v)) read.set(v, by);
    for (const [name, via] of [...read].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const before = varValue(vars.prev, p.packageName, name);
      const now = varValue(vars.next, n.packageName, name);
      if (!deepEqual(before, now)) f.vars.push({ name, prev: before, next: now, ...(via ? { via } : {}) });
    }
  }
  const touched = f.body || f.config.length > 0 || rename;
  if (touched && p.materialized !== n.materialized) f.materialized = [p.materialized, n.materialized];
  if (touched && !sameKey(p.uniqueKey, n.uniqueKey)) f.uniqueKey = [p.uniqueKey, n.uniqueKey];
  if (n.resourceType === 'source' && !deepEqual(pc.identifier, nc.identifier)) f.identifier = [pc.identifier, nc.identifier];

  const changed = rename || f.body || f.config.length || f.contract.length || f.columnsAdded.length || f.columnsRemoved.length || f.columnsRetyped.length || f.columnsTypeDeclared.length || f.macros.length || f.vars.length;
  return changed ? f : undefined;
}

/** Same declared columns, in the same order, with the same types (the common case: no map needed). */
function sameColumns(p: DbtNode, n: DbtNode): boolean {
  if (p.columns.size !== n.columns.size) return false;
  const it = n.columns.entries();
  for (const [name, c] of p.columns) {
    const [name2, c2] = it.next().value as [string, { dataType?: string }];
    if (name !== name2 || c.dataType !== c2.dataType) return false;
  }
  return true;
}

function diffColumns(p: DbtNode, n: DbtNode, f: Facts): void {
  const before = new Map([...p.columns].map(([name, c]) => [name.toLowerCase(), { name, type: c.dataType }]));
  const after = new Map([...n.columns].map(([name, c]) => [name.toLowerCase(), { name, type: c.dataType }]));
  for (const [k, b] of before) {
    const a = after.get(k);
    if (!a) f.columnsRemoved.push({ name: b.name, ...(b.type ? { type: b.type } : {}) });
    else if (b.type && a.type && normType(b.type) !== normType(a.type)) f.columnsRetyped.push({ name: a.name, prev: b.type, next: a.type });
    else if (!b.type !== !a.type) f.columnsTypeDeclared.push({ name: a.name, ...(b.type ? { prev: b.type } : {}), ...(a.type ? { next: a.type } : {}) });
  }
  for (const [k, a] of after) if (!before.has(k)) f.columnsAdded.push({ name: a.name, ...(a.type ? { type: a.type } : {}) });
}

function bodyWord(n: DbtNode): string {
  if (n.resourceType === 'seed') return 'seed file';
  if (n.resourceType === 'unit_test') return 'unit test definition';
  if (n.checksum?.startsWith('generic:')) return 'test definition';
  return 'SQL body';
}

const clip = (s: string) => (s.length > 120 ? `${s.slice(0, 117)}…` : s);

function reasonsOf(f: Facts): DbtReason[] {
  const r: DbtReason[] = [];
  if (f.renamedFrom) r.push({ kind: 'renamed', detail: `renamed ${f.renamedFrom} → ${f.next.uniqueId} (same ${bodyWord(f.next)})` });
  if (f.body) {
    const generic = f.next.checksum?.startsWith('generic:') || f.prev.checksum?.startsWith('generic:');
    r.push({ kind: 'body', detail: generic ? `${bodyWord(f.next)} changed (test_metadata / column_name)` : `${bodyWord(f.next)} changed (sha256 ${short(f.prev.checksum)} → ${short(f.next.checksum)})` });
  }
  for (const c of f.config) r.push({ kind: 'config', detail: clip(`${c.key}: ${show(c.prev)} → ${show(c.next)}`) });
  for (const c of f.contract) r.push({ kind: 'contract', detail: c });
  for (const c of f.columnsRemoved) r.push({ kind: 'columns', detail: `column ${c.name} removed` });
  for (const c of f.columnsAdded) r.push({ kind: 'columns', detail: `column ${c.name} added${c.type ? ` (${c.type})` : ''}` });
  for (const c of f.columnsRetyped) r.push({ kind: 'columns', detail: `column ${c.name} type ${c.prev} → ${c.next}` });
  for (const c of f.columnsTypeDeclared) r.push({ kind: 'columns', detail: c.next ? `column ${c.name} type now declared (${c.next})` : `column ${c.name} type no longer declared (was ${c.prev})` });
  for (const m of f.macros) r.push({ kind: 'macro', detail: `macro ${m.id} ${m.isNew ? 'is new' : 'changed'}${m.via ? ` (used via ${m.via})` : ''}` });
  for (const v of f.vars) r.push({ kind: 'var', detail: `var ${v.name}: ${clip(show(v.prev))} → ${clip(show(v.next))}${v.via ? ` (read by ${v.via})` : ''}` });
  return r;
}

const names = (xs: { name: string }[]) => xs.map((x) => x.name).join(', ');
const colWord = (n: number) => (n === 1 ? 'column' : 'columns');

/** The change category of a modified node, and why, in words. */
export function categorize(f: Facts): { category: DbtCategory; categoryReason: string } {
  const n = f.next;
  const type = n.resourceType;
  const logic = [...(f.body ? [bodyWord(n)] : []), ...f.macros.map((m) => `macro ${m.id}`), ...f.vars.map((v) => `var ${v.name}`)];
  if (TEST_TYPES.has(type)) return { category: 'non-breaking', categoryReason: `non-breaking: the ${type === 'unit_test' ? 'unit test' : 'test'} changed; it runs again (tests build nothing)` };

  const breaking: string[] = [];
  if (f.renamedFrom) breaking.push(`renamed from ${f.prev.name}: whatever reads the old relation breaks`);
  if (f.columnsRemoved.length) breaking.push(`${colWord(f.columnsRemoved.length)} ${names(f.columnsRemoved)} removed (or renamed)`);
  if (f.columnsRetyped.length) breaking.push(`${colWord(f.columnsRetyped.length)} type changed: ${f.columnsRetyped.map((c) => `${c.name} ${c.prev} → ${c.next}`).join(', ')}`);
  if (f.uniqueKey) breaking.push(`unique_key changed: ${show(f.uniqueKey[0])} → ${show(f.uniqueKey[1])} (the grain changed)`);
  if (f.materialized) breaking.push(`materialization changed: ${f.materialized[0] ?? '(unset)'} → ${f.materialized[1] ?? '(unset)'}`);
  if (f.identifier) breaking.push(`the source reads another table: identifier ${show(f.identifier[0])} → ${show(f.identifier[1])}`);
  if (type === 'seed' && f.config.some((c) => c.key === 'column_types')) breaking.push('the seed column_types changed');

  if (n.forwardOnly && type === 'model' && !f.renamedFrom) {
    const warn =
      n.materialized === 'incremental' && (f.columnsAdded.length || f.columnsRemoved.length || f.columnsRetyped.length) && !['append_new_columns', 'sync_all_columns'].includes(n.onSchemaChange ?? 'ignore')
        ? `; its declared columns changed but on_schema_change is ${n.onSchemaChange ?? 'ignore'}, so incremental runs will not change the table's columns (use append_new_columns or sync_all_columns)`
        : '';
    return {
      category: 'forward-only',
      categoryReason: `forward-only (config.meta.ferry.forward_only: true): not rebuilt; the rows already built are kept and the new logic applies to new data from its next run${breaking.length ? ` (otherwise breaking: ${breaking.join('; ')})` : ''}${warn}`,
    };
  }
  if (breaking.length) return { category: 'breaking', categoryReason: `breaking: ${breaking.join('; ')}: rebuild it and everything downstream` };

  const known = f.prev.columns.size > 0 && n.columns.size > 0;
  const evidence = n.contractEnforced ? 'the contract is enforced, so dbt checks them at build' : 'declared in YAML, not enforced: dbt does not check them';
  if (logic.length) {
    const shown = logic.length > 3 ? `${logic.slice(0, 3).join(', ')} and ${logic.length - 3} more` : logic.join(', ');
    const what = type === 'seed' && f.body && logic.length === 1 ? 'the seed data changed' : `the logic changed (${shown})`;
    if (!known) {
      const none = f.prev.columns.size === 0 && n.columns.size === 0 ? 'no declared columns' : f.prev.columns.size === 0 ? 'no declared columns before' : 'no declared columns now';
      return { category: 'unknown', categoryReason: `unknown, treated as breaking: ${what} and the output columns cannot be told (${none})` };
    }
    if (f.columnsAdded.length) return { category: 'non-breaking', categoryReason: `non-breaking: ${what}; ${colWord(f.columnsAdded.length)} ${names(f.columnsAdded)} only added, the other columns are unchanged (${evidence})` };
    return { category: 'non-breaking', categoryReason: `non-breaking: ${what} but the output columns are unchanged (${evidence})` };
  }
  if (f.columnsAdded.length) return { category: 'non-breaking', categoryReason: `non-breaking: ${colWord(f.columnsAdded.length)} ${names(f.columnsAdded)} only added` };
  const parts = [...(f.config.length ? [`config ${f.config.map((c) => c.key).join(', ')}`] : []), ...(f.contract.length ? ['the contract'] : []), ...(f.columnsTypeDeclared.length ? ['declared column types'] : [])];
  return { category: 'non-breaking', categoryReason: `non-breaking: only ${parts.join(', ')} changed; the output columns do not change` };
}

function newReason(n: DbtNode): string {
  if (TEST_TYPES.has(n.resourceType)) return `new ${n.resourceType === 'unit_test' ? 'unit test' : 'test'}: runs from now on`;
  if (n.resourceType === 'source') return 'new source: nothing to build';
  if (n.resourceType === 'model' && n.materialized === 'ephemeral') return 'new ephemeral model: inlined into the models that use it, never built';
  return `new ${n.resourceType}: built for the first time`;
}

function removedReason(p: DbtNode, downstream: string[]): string {
  if (TEST_TYPES.has(p.resourceType)) return `removed ${p.resourceType === 'unit_test' ? 'unit test' : 'test'}: no longer runs`;
  if (p.resourceType === 'source') return 'removed source';
  if (p.resourceType === 'model' && p.materialized === 'ephemeral') return 'removed ephemeral model: nothing to drop';
  const still = downstream.length ? `; ${downstream.length} node(s) that depended on it are still there` : '';
  return `removed: dbt does not drop its relation; drop it by hand once nothing reads it${still}`;
}
