import { FerryError, fail, problem, type Location, type Problem } from '@ferry/core';
import type { DbtColumn, DbtMacro, DbtManifest, DbtNode, ManifestVersion } from './types.js';
import { isObject, NONE, sha256, varsIn, type Json } from './util.js';

/** Manifest schema versions ferry reads, with the dbt releases that write them. */
export const SUPPORTED_MANIFEST_VERSIONS: Record<ManifestVersion, string> = { v10: 'dbt 1.6', v11: 'dbt 1.7', v12: 'dbt 1.8 and later' };

/** Older schema versions and the dbt release that wrote them (for the error message). */
const OLDER: Record<string, string> = {
  v1: '0.19',
  v2: '0.20',
  v3: '0.21',
  v4: '1.0',
  v5: '1.1',
  v6: '1.2',
  v7: '1.3',
  v8: '1.4',
  v9: '1.5',
};

const SUPPORTED_TEXT = 'v10 (dbt 1.6), v11 (dbt 1.7) and v12 (dbt 1.8 and later)';

/**
 * Keys of `unrendered_config` that cannot change what a node builds, so never
 * count as a modification: `tags` and `group` (dbt itself excludes them),
 * `docs` (catalog display), `contract` (diffed as its own reason).
 */
const NOT_DIFFED_CONFIG = new Set(['tags', 'group', 'docs', 'contract']);

/** Source properties that say which relation a source is and how dbt reads it (schema/database are per target, so not here). */
const SOURCE_PROPS = ['identifier', 'loaded_at_field', 'freshness', 'external', 'quoting'] as const;

/** Collections of the manifest that ferry keeps, besides `nodes`. */
const EXTRA_COLLECTIONS = ['sources', 'exposures', 'unit_tests'] as const;

/** The schema version in `metadata.dbt_schema_version` ("https://schemas.getdbt.com/dbt/manifest/v11.json" → "v11"). */
export function manifestVersionOf(data: unknown): string | undefined {
  const v = isObject(data) && isObject(data.metadata) ? data.metadata.dbt_schema_version : undefined;
  if (typeof v !== 'string') return undefined;
  return /\/manifest\/(v\d+)(?:\.\d+)*\.json$/.exec(v)?.[1] ?? v;
}

/**
 * Reads a dbt `manifest.json` (schema v10, v11 or v12) and keeps only what the
 * state diff needs. Unknown fields are ignored. Throws a FerryError
 * (FERRY_DBT_MANIFEST_INVALID: not JSON or not a manifest's shape;
 * FERRY_DBT_MANIFEST_VERSION: another schema version), naming the file.
 *
 * Pass the text as a string when you have it: a Buffer is decoded to a string
 * first. The parsed document is dropped when this returns (only the extracted
 * nodes stay referenced), so a tens-of-MB manifest is not held twice.
 */
export function readManifest(input: string | Buffer, where: { file?: string } = {}): DbtManifest {
  const file = where.file;
  const label = file ?? 'the dbt manifest';
  let text = typeof input === 'string' ? input : input.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message;
    const at = /at position (\d+)/.exec(message);
    const pos = at ? Number(at[1]) : /end of JSON input/.test(message) ? text.length : undefined;
    const loc: Location = { ...(file ? { file } : {}), ...(pos !== undefined ? lineColumn(text, pos) : {}) };
    fail('FERRY_DBT_MANIFEST_INVALID', `${label} is not valid JSON: ${message.replace(/\s*\(line \d+ column \d+\)$/, '')}${text.trim() === '' ? ' (the file is empty)' : ''}`, {
      location: loc,
      hint: 'The file is truncated or corrupt: regenerate it with `dbt parse` (or rebuild the release that holds it).',
    });
  }
  text = '';
  return extract(data, file);
}

function lineColumn(text: string, pos: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < pos; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: pos - lineStart + 1 };
}

function extract(data: unknown, file: string | undefined): DbtManifest {
  const label = file ?? 'the dbt manifest';
  const at = (key?: string): { location?: Location } => (file || key ? { location: { ...(file ? { file } : {}), ...(key ? { key } : {}) } } : {});
  if (!isObject(data)) fail('FERRY_DBT_MANIFEST_INVALID', `${label} is not a dbt manifest: it holds ${Array.isArray(data) ? 'an array' : `a ${data === null ? 'null' : typeof data}`}, not an object`, at());
  const metadata = data.metadata;
  const version = manifestVersionOf(data);
  if (!isObject(metadata) || version === undefined) {
    fail('FERRY_DBT_MANIFEST_INVALID', `${label} is not a dbt manifest.json: it has no metadata.dbt_schema_version`, {
      ...at('metadata.dbt_schema_version'),
      hint: 'Point ferry at the manifest.json that `dbt parse` / `dbt compile` writes into the target folder.',
    });
  }
  const dbtVersion = typeof metadata.dbt_version === 'string' ? metadata.dbt_version : 'unknown';
  if (!(version in SUPPORTED_MANIFEST_VERSIONS)) {
    if (!/^v\d+$/.test(version) || !/\/manifest\//.test(String(metadata.dbt_schema_version))) {
      fail('FERRY_DBT_MANIFEST_INVALID', `${label} is not a dbt manifest.json: metadata.dbt_schema_version is ${JSON.stringify(metadata.dbt_schema_version)}`, at('metadata.dbt_schema_version'));
    }
    const n = Number(version.slice(1));
    const written = OLDER[version] ? `dbt ${OLDER[version]}` : dbtVersion !== 'unknown' ? `dbt ${dbtVersion}` : 'a dbt release ferry does not know';
    fail(
      'FERRY_DBT_MANIFEST_VERSION',
      `${label} is manifest schema ${version} (written by ${written}${OLDER[version] && dbtVersion !== 'unknown' ? `; this one says dbt ${dbtVersion}` : ''}); ferry reads ${SUPPORTED_TEXT}`,
      {
        ...at('metadata.dbt_schema_version'),
        hint:
          n < 10
            ? 'Upgrade dbt-core to 1.6 or later in the workflow that builds the release, then rebuild it (`dbt parse` writes the manifest).'
            : `Schema ${version} is newer than this ferry knows: upgrade ferry, or build the manifest with a dbt-core release that writes ${SUPPORTED_TEXT}.`,
      },
    );
  }

  pool = new Map();
  typed = new Map();
  try {
    return collect(data, file, label, at, version as ManifestVersion, dbtVersion, metadata);
  } finally {
    pool = new Map();
    typed = new Map();
  }
}

function collect(data: Json, file: string | undefined, label: string, at: (key?: string) => { location?: Location }, version: ManifestVersion, dbtVersion: string, metadata: Json): DbtManifest {
  const problems: Problem[] = [];
  const bad = (key: string, message: string) => {
    if (problems.length < 20) problems.push(problem('FERRY_DBT_MANIFEST_INVALID', `${label}: ${message}`, at(key)));
  };
  const nodes = new Map<string, DbtNode>();
  const groups: [string, unknown][] = [['nodes', data.nodes], ...EXTRA_COLLECTIONS.map((k): [string, unknown] => [k, data[k]])];
  for (const [group, value] of groups) {
    if (value === undefined || value === null) {
      if (group === 'nodes' || group === 'sources') bad(group, `\`${group}\` is missing`);
      continue;
    }
    if (!isObject(value)) {
      bad(group, `\`${group}\` is not an object`);
      continue;
    }
    for (const id in value) {
      const raw = value[id];
      const key = `${group}[${JSON.stringify(id)}]`;
      if (!isObject(raw)) {
        bad(key, `${key} is not an object`);
        continue;
      }
      const resourceType = raw.resource_type;
      if (typeof resourceType !== 'string') {
        bad(`${key}.resource_type`, `${key} has no resource_type`);
        continue;
      }
      if (typeof raw.name !== 'string') {
        bad(`${key}.name`, `${key} has no name`);
        continue;
      }
      const dependsOn = raw.depends_on;
      if (dependsOn !== undefined && !isObject(dependsOn)) {
        bad(`${key}.depends_on`, `${key}.depends_on is not an object`);
        continue;
      }
      nodes.set(id, toNode(intern(id), raw, group));
    }
  }
  const macros = new Map<string, DbtMacro>();
  if (!isObject(data.macros)) bad('macros', '`macros` is missing or not an object');
  else {
    for (const id in data.macros) {
      const raw = data.macros[id];
      if (!isObject(raw) || typeof raw.macro_sql !== 'string') {
        bad(`macros[${JSON.stringify(id)}].macro_sql`, `macros[${JSON.stringify(id)}] has no macro_sql`);
        continue;
      }
      const deps = isObject(raw.depends_on) && Array.isArray(raw.depends_on.macros) ? strings(raw.depends_on.macros) : [];
      macros.set(intern(id), { checksum: sha256(raw.macro_sql), dependsOnMacros: deps, varsRead: varsIn(raw.macro_sql) });
    }
  }
  if (problems.length) throw new FerryError(problems);
  const adapterType = typeof metadata.adapter_type === 'string' ? metadata.adapter_type : undefined;
  return {
    version,
    dbtVersion,
    projectName: typeof metadata.project_name === 'string' ? metadata.project_name : '',
    ...(adapterType ? { adapterType } : {}),
    nodes,
    macros,
  };
}

/**
 * One copy of each repeated string (unique ids in depends_on, package and
 * folder names, data types): JSON.parse makes a new string for every value.
 * Set for the duration of one readManifest call.
 */
let pool = new Map<string, string>();
const intern = (s: string): string => {
  const known = pool.get(s);
  if (known !== undefined) return known;
  pool.set(s, s);
  return s;
};
/** The strings of a JSON array, interned, in an array of exactly their number (a pushed-to array keeps spare room). */
const strings = (v: unknown): string[] => {
  if (!Array.isArray(v) || v.length === 0) return NONE;
  return (v.every((x) => typeof x === 'string') ? (v as string[]) : v.filter((x): x is string => typeof x === 'string')).map(intern);
};
const str = (v: unknown): string | undefined => (typeof v === 'string' ? intern(v) : undefined);

function toNode(id: string, raw: Json, group: string): DbtNode {
  const config = isObject(raw.config) ? raw.config : {};
  const resourceType = group === 'unit_tests' ? 'unit_test' : (raw.resource_type as string);
  const dependsOn = isObject(raw.depends_on) ? raw.depends_on : {};
  const node: DbtNode = {
    uniqueId: id,
    name: raw.name as string,
    resourceType,
    packageName: str(raw.package_name) ?? '',
    fqn: strings(raw.fqn),
    contractEnforced: contractEnforced(raw, config),
    columns: columnsOf(raw.columns),
    dependsOnNodes: strings(dependsOn.nodes),
    dependsOnMacros: strings(dependsOn.macros),
    varsRead: varsIn(raw.raw_code),
    forwardOnly: forwardOnly(config.meta) || forwardOnly(raw.meta),
    configForDiff: configForDiff(raw, resourceType),
  };
  if (node.fqn.length === 0) node.fqn = [node.packageName, node.name];
  const path = str(raw.original_file_path);
  if (path !== undefined) node.path = path;
  const checksum = checksumOf(raw, resourceType);
  if (checksum !== undefined) node.checksum = checksum;
  const materialized = str(config.materialized);
  if (materialized !== undefined) node.materialized = materialized;
  const uniqueKey = config.unique_key;
  if (typeof uniqueKey === 'string' || (Array.isArray(uniqueKey) && uniqueKey.length)) node.uniqueKey = typeof uniqueKey === 'string' ? uniqueKey : strings(uniqueKey);
  const onSchemaChange = str(config.on_schema_change);
  if (onSchemaChange !== undefined) node.onSchemaChange = onSchemaChange;
  const strategy = str(config.incremental_strategy);
  if (strategy !== undefined) node.incrementalStrategy = strategy;
  if (typeof config.full_refresh === 'boolean') node.fullRefreshConfig = config.full_refresh;
  const contract = raw.contract;
  if (isObject(contract) && typeof contract.checksum === 'string' && contract.checksum) node.contractChecksum = contract.checksum;
  return node;
}

function checksumOf(raw: Json, resourceType: string): string | undefined {
  const c = raw.checksum;
  if (typeof c === 'string') return c || undefined; // unit tests (v12)
  if (isObject(c) && typeof c.checksum === 'string' && c.checksum && c.name !== 'none') return c.checksum;
  if (resourceType === 'test' && isObject(raw.test_metadata)) {
    // Generic tests have no file of their own: their definition is the test and its arguments
    // (in the order dbt writes them, which follows the YAML).
    return `generic:${sha256(JSON.stringify([raw.test_metadata, raw.column_name ?? null]))}`;
  }
  return undefined;
}

function contractEnforced(raw: Json, config: Json): boolean {
  return (isObject(config.contract) && config.contract.enforced === true) || (isObject(raw.contract) && raw.contract.enforced === true);
}

function forwardOnly(meta: unknown): boolean {
  return isObject(meta) && isObject(meta.ferry) && meta.ferry.forward_only === true;
}

/** Shared by every node without declared columns (most tests): it cannot be changed. */
class NoColumns extends Map<string, DbtColumn> {
  override set(): this {
    throw new TypeError('a node without declared columns has a read-only columns map');
  }
  override delete(): boolean {
    throw new TypeError('a node without declared columns has a read-only columns map');
  }
  override clear(): void {
    throw new TypeError('a node without declared columns has a read-only columns map');
  }
}
const NO_COLUMNS: Map<string, DbtColumn> = new NoColumns();
/** Column values are frozen and shared: one per data type. */
const UNTYPED: DbtColumn = Object.freeze({});
let typed = new Map<string, DbtColumn>();

function columnsOf(v: unknown): Map<string, DbtColumn> {
  if (!isObject(v)) return NO_COLUMNS;
  let map: Map<string, DbtColumn> | undefined;
  for (const key in v) {
    const c = v[key];
    const name = isObject(c) && typeof c.name === 'string' ? intern(c.name) : key;
    const dataType = isObject(c) && typeof c.data_type === 'string' && c.data_type.trim() ? c.data_type : undefined;
    let column = UNTYPED;
    if (dataType !== undefined) {
      column = typed.get(dataType) ?? Object.freeze({ dataType: intern(dataType) });
      typed.set(dataType, column);
    }
    (map ??= new Map()).set(name, column);
  }
  return map ?? NO_COLUMNS;
}

function configForDiff(raw: Json, resourceType: string): Json {
  const unrendered = isObject(raw.unrendered_config) ? raw.unrendered_config : {};
  const out: Json = {};
  for (const key in unrendered) {
    if (NOT_DIFFED_CONFIG.has(key)) continue;
    let value = unrendered[key];
    if (key === 'meta' && isObject(value) && 'ferry' in value) {
      // ferry's own switches (forward_only) steer the plan; they do not change what dbt builds.
      const { ferry: _ferry, ...rest } = value;
      if (Object.keys(rest).length === 0) continue;
      value = rest;
    }
    // A config() call in a snapshot's SQL renders `target_schema=schema` at parse
    // time: the per-target schema lands in unrendered_config. It is the target, not a change.
    if (resourceType === 'snapshot' && ((key === 'target_schema' && value === raw.schema) || (key === 'target_database' && value === raw.database))) {
      value = '<target>';
    }
    out[key] = value;
  }
  if (resourceType === 'source') {
    for (const key of SOURCE_PROPS) {
      const value = raw[key];
      if (value !== undefined && value !== null) out[key] = value;
    }
  }
  return out;
}
