import type { DbtManifest } from './types.js';

/** Parent → children edges of a manifest, from each node's depends_on (child_map is not relied on). */
export interface Graph {
  manifest: DbtManifest;
  children: Map<string, string[]>;
  /** Position of every node in a deterministic topological order (ties broken by unique id). */
  order: Map<string, number>;
  /** The nodes in that order. */
  ids: string[];
}

const graphs = new WeakMap<DbtManifest, Graph>();

export function graphOf(manifest: DbtManifest): Graph {
  let g = graphs.get(manifest);
  if (!g) {
    g = build(manifest);
    graphs.set(manifest, g);
  }
  return g;
}

function build(manifest: DbtManifest): Graph {
  // Ids are numbered in sorted order, so the smallest number is the smallest id (deterministic ties).
  const sorted = [...manifest.nodes.keys()].sort();
  const index = new Map<string, number>();
  for (let i = 0; i < sorted.length; i++) index.set(sorted[i]!, i);
  const kids: (number[] | undefined)[] = new Array(sorted.length);
  const indegree = new Int32Array(sorted.length);
  for (let c = 0; c < sorted.length; c++) {
    const deps = manifest.nodes.get(sorted[c]!)!.dependsOnNodes;
    for (let k = 0; k < deps.length; k++) {
      const p = index.get(deps[k]!);
      if (p === undefined || p === c || deps.indexOf(deps[k]!) !== k) continue; // missing/disabled, self, duplicate
      (kids[p] ??= []).push(c);
      indegree[c]!++;
    }
  }
  const order = new Map<string, number>();
  const ids: string[] = [];
  const heap = new IntHeap(sorted.length);
  for (let i = 0; i < sorted.length; i++) if (indegree[i] === 0) heap.push(i);
  while (heap.size) {
    const i = heap.pop();
    const id = sorted[i]!;
    order.set(id, ids.length);
    ids.push(id);
    for (const c of kids[i] ?? []) if (--indegree[c]! === 0) heap.push(c);
  }
  // A cycle (dbt refuses to parse one, so only a hand-made manifest has it): order the rest by id.
  if (ids.length < sorted.length) {
    for (const id of sorted) {
      if (order.has(id)) continue;
      order.set(id, ids.length);
      ids.push(id);
    }
  }
  const children = new Map<string, string[]>();
  for (let p = 0; p < sorted.length; p++) {
    const list = kids[p];
    if (list) children.set(sorted[p]!, list.map((c) => sorted[c]!));
  }
  return { manifest, children, order, ids };
}

/** A binary min-heap of small non-negative integers. */
export class IntHeap {
  private readonly a: Int32Array;
  size = 0;
  constructor(capacity: number) {
    this.a = new Int32Array(Math.max(1, capacity));
  }
  push(v: number): void {
    const a = this.a;
    let i = this.size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]! <= v) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = v;
  }
  peek(): number {
    return this.a[0]!;
  }
  pop(): number {
    const a = this.a;
    const top = a[0]!;
    const last = a[--this.size]!;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.size) break;
      const r = l + 1;
      const c = r < this.size && a[r]! < a[l]! ? r : l;
      if (a[c]! >= last) break;
      a[i] = a[c]!;
      i = c;
    }
    if (this.size > 0) a[i] = last;
    return top;
  }
}

/**
 * Unique ids reachable from `from` (a start is included only when another start reaches it), in topological order.
 * `through(id)` false stops the walk at that node (it is still returned).
 */
export function descendants(g: Graph, from: Iterable<string>, through: (id: string) => boolean = () => true): string[] {
  const seen = new Set<string>();
  const start = [...from];
  const stack = [...start];
  while (stack.length) {
    const id = stack.pop()!;
    for (const c of g.children.get(id) ?? []) {
      if (seen.has(c)) continue;
      seen.add(c);
      if (through(c)) stack.push(c);
    }
  }
  return byOrder(g, seen);
}

/** Unique ids in the graph's topological order (ids not in the graph last, by id). */
export function byOrder(g: Graph, ids: Iterable<string>): string[] {
  const known: number[] = [];
  const unknown: string[] = [];
  for (const id of ids) {
    const i = g.order.get(id);
    if (i === undefined) unknown.push(id);
    else known.push(i);
  }
  const sorted = Int32Array.from(known).sort();
  const out = new Array<string>(sorted.length);
  for (let k = 0; k < sorted.length; k++) out[k] = g.ids[sorted[k]!]!;
  return unknown.length ? out.concat(unknown.sort()) : out;
}
