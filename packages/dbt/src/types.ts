/** dbt manifest schema versions ferry reads: v10 (dbt 1.6), v11 (dbt 1.7), v12 (dbt 1.8 and later). */
export type ManifestVersion = 'v10' | 'v11' | 'v12';

export type DbtResourceType =
  | 'model'
  | 'seed'
  | 'snapshot'
  | 'test'
  | 'unit_test'
  | 'source'
  | 'analysis'
  | 'operation'
  | 'sql_operation'
  | 'exposure'
  | (string & {});

export interface DbtColumn {
  /** The declared `data_type`, as written (undefined when none is declared). */
  dataType?: string;
}

/**
 * What ferry keeps of one manifest node: only what the state diff and the plan
 * need (no SQL, no descriptions), so a large manifest is not held twice.
 */
export interface DbtNode {
  uniqueId: string;
  name: string;
  resourceType: DbtResourceType;
  packageName: string;
  /** `original_file_path`, relative to the project (or to its package). */
  path?: string;
  /** dbt's fully qualified name (used to build a selector when two nodes share a name). */
  fqn: string[];
  /**
   * The body checksum: dbt's sha256 of the file for models, seeds, snapshots,
   * singular tests and unit tests; for generic tests (whose checksum dbt leaves
   * empty) a digest of test_metadata + column_name; undefined for sources and exposures.
   */
  checksum?: string;
  materialized?: string;
  uniqueKey?: string | string[];
  onSchemaChange?: string;
  incrementalStrategy?: string;
  /** `config.full_refresh` when set: `false` makes dbt ignore --full-refresh for this model. */
  fullRefreshConfig?: boolean;
  contractEnforced: boolean;
  /** dbt's checksum of the enforced contract (v10+), when it computed one. */
  contractChecksum?: string;
  /** Declared columns (YAML), by name as written. Empty when none are declared. */
  columns: Map<string, DbtColumn>;
  dependsOnNodes: string[];
  dependsOnMacros: string[];
  /** Vars the node reads itself, from `var('x')` in its raw_code (macros it calls are followed by the diff). */
  varsRead: string[];
  /** `config.meta.ferry.forward_only === true` (or the same under the node's `meta`): ferry never backfills it. */
  forwardOnly: boolean;
  /**
   * What the config diff compares: the `unrendered_config` (what the user wrote,
   * not the per-target rendered values) without the keys that cannot change the
   * built data (tags, group, docs, contract — diffed on its own — and meta.ferry);
   * snapshot target_schema/target_database equal to the node's own rendered
   * schema/database are replaced by "<target>". For sources, plus identifier,
   * loaded_at_field, freshness, external and quoting.
   */
  configForDiff: unknown;
}

export interface DbtMacro {
  /** sha256 of macro_sql. */
  checksum: string;
  dependsOnMacros: string[];
  /** Vars the macro reads, from `var('x')` in its macro_sql. */
  varsRead: string[];
}

export interface DbtManifest {
  version: ManifestVersion;
  dbtVersion: string;
  projectName: string;
  /** `metadata.adapter_type` (postgres, snowflake, …) when dbt wrote it. */
  adapterType?: string;
  /** Models, seeds, snapshots, tests, unit tests, analyses, sources and exposures, by unique id. */
  nodes: Map<string, DbtNode>;
  macros: Map<string, DbtMacro>;
}

export interface DbtReason {
  kind: 'body' | 'config' | 'contract' | 'columns' | 'macro' | 'var' | 'renamed';
  detail: string;
}

export type DbtCategory = 'new' | 'removed' | 'breaking' | 'non-breaking' | 'forward-only' | 'unknown';

export interface DbtChange {
  uniqueId: string;
  name: string;
  resourceType: string;
  /** A rename is one `modified` change on the new id, with a `renamed` reason and `renamedFrom`. */
  change: 'added' | 'removed' | 'modified';
  reasons: DbtReason[];
  category: DbtCategory;
  categoryReason: string;
  /**
   * Unique ids downstream, transitively (next manifest; for a removed node, the
   * nodes of the previous manifest that depended on it and still exist). Empty
   * for added nodes: whatever is downstream of a new node is itself new or modified.
   */
  downstream: string[];
  /** For a rename: the unique id it had in the previous manifest. */
  renamedFrom?: string;
}

export interface DbtRebuild {
  uniqueId: string;
  name: string;
  resourceType: string;
  fullRefresh: boolean;
  why: string;
}

export interface DbtInvocation {
  /** argv after `dbt`, e.g. ['build', '--select', 'a', 'b'] or with '--full-refresh'. Add --target/--profiles-dir yourself. */
  args: string[];
  fullRefresh: boolean;
  /** Unique ids selected, in a topological order. */
  nodes: string[];
}

export interface DbtPlan {
  changes: DbtChange[];
  rebuild: DbtRebuild[];
  /** Run in order; stop at the first that fails. */
  invocations: DbtInvocation[];
  /** Selectors for slim CI: `dbt build --select <ciSelect…> --defer --state <deployed manifest dir>`. */
  ciSelect: string[];
  notes: string[];
}

export interface VarsOptions {
  /** `vars:` of the deployed release's dbt_project.yml (global keys, and/or scoped by package name). */
  prevVars?: Record<string, unknown>;
  /** `vars:` of the new release's dbt_project.yml. */
  nextVars?: Record<string, unknown>;
}
