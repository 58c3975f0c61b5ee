/**
 * dbt's generic tests (not_null, unique, accepted_values, relationships)
 * compiled natively to SQL from the release's manifest.json, and the
 * contract check (live columns and types of models with an enforced
 * contract against their declared columns).
 *
 * Relations come from the manifest (`relation_name`, else
 * database.schema.alias). The manifest was compiled for the build's target;
 * with `smoke.sql.schema` set, each model's schema is that one, as dbt's
 * default generate_schema_name gives it for the environment's target: a
 * model with a custom schema `x` lives in `<schema>_x`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FerryError, problem, type StoredRelease } from '@ferry/core';
import { bundleSource } from '@ferry/kinds';
import type { Warehouse } from './warehouse.js';

export interface ManifestNode {
  unique_id: string;
  name: string;
  resource_type: string;
  database?: string | null;
  schema?: string;
  alias?: string | null;
  identifier?: string | null;
  relation_name?: string | null;
  column_name?: string | null;
  attached_node?: string | null;
  config?: { enabled?: boolean; severity?: string; where?: string | null; schema?: string | null; contract?: { enforced?: boolean } };
  test_metadata?: { name: string; namespace?: string | null; kwargs: Record<string, unknown> };
  depends_on?: { nodes?: string[] };
  refers_to?: unknown;
  columns?: Record<string, { name: string; data_type?: string | null }>;
}

export interface RawManifest {
  nodes: Record<string, ManifestNode>;
  sources?: Record<string, ManifestNode>;
}

/** The raw manifest.json a release's dbt artifact carries (undefined when the build did not compile the project). */
export async function releaseManifest(release: StoredRelease): Promise<RawManifest | undefined> {
  const artifact = release.manifest.artifacts.find((a) => a.kind === 'dbt');
  const file = (artifact?.meta as { manifest?: string } | undefined)?.manifest;
  const entry = file ? artifact!.files.find((f) => f.path === file) : undefined;
  if (!artifact || !entry) return undefined;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-smoke-dbt-'));
  try {
    await bundleSource(path.join(release.dir, artifact.bundle?.path ?? 'dbt.tar.gz'), artifact.files).extract([entry.path], tmp);
    const data = JSON.parse(fs.readFileSync(path.join(tmp, entry.path), 'utf8')) as RawManifest;
    if (!data || typeof data !== 'object' || typeof data.nodes !== 'object') throw new Error('no nodes');
    return data;
  } catch (e) {
    if (e instanceof FerryError) throw e;
    throw new FerryError(problem('FERRY_DBT_MANIFEST_INVALID', `${release.manifest.version}: ${entry.path} is not a dbt manifest (${(e as Error).message})`));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

export interface CompiledTest {
  name: string;
  /** e.g. not_null(orders.id) */
  label: string;
  /** Returns one row with `failures`. */
  sql: string;
  severity: 'error' | 'warn';
}

const GENERIC = new Set(['not_null', 'unique', 'accepted_values', 'relationships']);

export function relationOf(node: ManifestNode, wh: Pick<Warehouse, 'quote'>, schema?: string): string {
  if (schema && node.resource_type !== 'source') {
    const custom = node.config?.schema;
    return `${wh.quote(custom ? `${schema}_${custom.trim()}` : schema)}.${wh.quote(node.alias ?? node.name)}`;
  }
  if (node.relation_name) return node.relation_name;
  const parts = [node.database, node.schema, node.identifier ?? node.alias ?? node.name].filter((p): p is string => Boolean(p));
  return parts.map((p) => wh.quote(p)).join('.');
}

/** Where the live table of a model is, for describe(). */
export function locationOf(node: ManifestNode, schema?: string): { schema: string; name: string } {
  const custom = node.config?.schema;
  return { schema: schema ? (custom ? `${schema}_${custom.trim()}` : schema) : node.schema ?? 'public', name: node.alias ?? node.name };
}

const literal = (v: unknown) => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : `'${String(v).replace(/'/g, "''")}'`);

/**
 * The enabled generic tests of the manifest's models, compiled to SQL. Tests
 * of other kinds (custom generic tests, singular tests) are listed in
 * `skipped`: ferry does not run dbt's macros.
 */
export function compileTests(m: RawManifest, wh: Pick<Warehouse, 'quote'>, schema?: string): { tests: CompiledTest[]; skipped: string[] } {
  const tests: CompiledTest[] = [];
  const skipped: string[] = [];
  const all = { ...m.nodes, ...m.sources };
  for (const node of Object.values(m.nodes)) {
    if (node.resource_type !== 'test' || node.config?.enabled === false) continue;
    const meta = node.test_metadata;
    if (!meta || !GENERIC.has(meta.name) || (meta.namespace && meta.namespace !== 'dbt')) {
      skipped.push(node.name);
      continue;
    }
    const parentId = node.attached_node ?? node.depends_on?.nodes?.[0];
    const parent = parentId ? all[parentId] : undefined;
    const kw = meta.kwargs ?? {};
    const column = (kw.column_name as string | undefined) ?? node.column_name ?? undefined;
    if (!parent || !column) {
      skipped.push(node.name);
      continue;
    }
    const where = node.config?.where;
    const rel = relationOf(parent, wh, schema);
    const from = where ? `(select * from ${rel} where ${where}) dbt_subquery` : rel;
    let sql: string;
    switch (meta.name) {
      case 'not_null':
        sql = `select count(*) as failures from ${from} where ${column} is null`;
        break;
      case 'unique':
        sql = `select count(*) as failures from (select ${column} from ${from} where ${column} is not null group by ${column} having count(*) > 1) dbt_dupes`;
        break;
      case 'accepted_values': {
        const values = Array.isArray(kw.values) ? kw.values : [];
        const quote = kw.quote !== false;
        const list = values.map((v) => (quote ? `'${String(v).replace(/'/g, "''")}'` : literal(v))).join(', ');
        sql = values.length ? `select count(*) as failures from ${from} where ${column} not in (${list})` : `select count(*) as failures from ${from}`;
        break;
      }
      case 'relationships': {
        const toId = (node.depends_on?.nodes ?? []).find((id) => id !== parentId) ?? parentId;
        const to = toId ? all[toId] : undefined;
        const field = kw.field as string | undefined;
        if (!to || !field) {
          skipped.push(node.name);
          continue;
        }
        sql = `select count(*) as failures from (select ${column} as from_field from ${from} where ${column} is not null) child left join (select ${field} as to_field from ${relationOf(to, wh, schema)}) parent on child.from_field = parent.to_field where parent.to_field is null`;
        break;
      }
      default:
        continue;
    }
    tests.push({ name: node.name, label: `${meta.name}(${parent.name}.${column})`, sql, severity: String(node.config?.severity ?? 'error').toLowerCase() === 'warn' ? 'warn' : 'error' });
  }
  return { tests, skipped };
}

/** Type names as written in contracts and as information_schema reports them, reduced to one spelling. */
const ALIASES: Record<string, string> = {
  int: 'integer',
  int4: 'integer',
  integer: 'integer',
  serial: 'integer',
  int8: 'bigint',
  bigint: 'bigint',
  bigserial: 'bigint',
  int2: 'smallint',
  smallint: 'smallint',
  varchar: 'text',
  'character varying': 'text',
  text: 'text',
  string: 'text',
  char: 'character',
  character: 'character',
  bpchar: 'character',
  bool: 'boolean',
  boolean: 'boolean',
  float8: 'double precision',
  'double precision': 'double precision',
  double: 'double precision',
  float: 'double precision',
  float4: 'real',
  real: 'real',
  numeric: 'numeric',
  decimal: 'numeric',
  timestamp: 'timestamp',
  'timestamp without time zone': 'timestamp',
  timestamptz: 'timestamptz',
  'timestamp with time zone': 'timestamptz',
  time: 'time',
  'time without time zone': 'time',
  timetz: 'timetz',
  'time with time zone': 'timetz',
  date: 'date',
  json: 'json',
  jsonb: 'jsonb',
  uuid: 'uuid',
};

export function normaliseType(t: string): { base: string; params?: string } {
  const s = t.trim().toLowerCase().replace(/\s+/g, ' ');
  // "timestamp(3) with time zone" and "numeric(10, 2)": parameters apart from the name.
  const m = /^([a-z][a-z0-9_ ]*?)\s*(?:\(([^)]*)\))?(?:\s+([a-z ]+))?$/.exec(s);
  if (!m) return { base: s };
  const name = `${m[1]!.trim()}${m[3] ? ` ${m[3].trim()}` : ''}`.trim();
  return { base: ALIASES[name] ?? name, params: m[2]?.replace(/\s+/g, '') };
}

export function sameType(declared: string, live: string): boolean {
  const a = normaliseType(declared);
  const b = normaliseType(live);
  if (a.base !== b.base) return false;
  return a.params === undefined || b.params === undefined || a.params === b.params;
}

export interface ContractResult {
  model: string;
  relation: string;
  ok: boolean;
  detail: string;
}

/** Models with `config.contract.enforced`, their live columns compared with the declared ones. */
export async function checkContracts(m: RawManifest, wh: Warehouse, schema?: string): Promise<ContractResult[]> {
  const out: ContractResult[] = [];
  for (const node of Object.values(m.nodes)) {
    if (node.resource_type !== 'model' || node.config?.enabled === false || node.config?.contract?.enforced !== true) continue;
    const loc = locationOf(node, schema);
    const relation = `${loc.schema}.${loc.name}`;
    const live = await wh.describe(loc);
    if (live.length === 0) {
      out.push({ model: node.name, relation, ok: false, detail: `${relation} does not exist (or has no columns)` });
      continue;
    }
    const liveBy = new Map(live.map((c) => [c.name.toLowerCase(), c]));
    const declared = Object.values(node.columns ?? {});
    const problems: string[] = [];
    for (const c of declared) {
      const l = liveBy.get(c.name.toLowerCase());
      if (!l) problems.push(`column ${c.name} is missing`);
      else if (c.data_type && !sameType(c.data_type, l.dataType)) problems.push(`column ${c.name} is ${l.dataType}, the contract says ${c.data_type}`);
    }
    const declaredNames = new Set(declared.map((c) => c.name.toLowerCase()));
    for (const l of live) if (!declaredNames.has(l.name.toLowerCase())) problems.push(`column ${l.name} (${l.dataType}) is not in the contract`);
    out.push({ model: node.name, relation, ok: problems.length === 0, detail: problems.length ? problems.join('; ') : `${declared.length} column(s) match the contract` });
  }
  return out;
}
