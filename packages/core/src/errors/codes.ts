/**
 * Every error ferry can report, by code. The code is stable (users search for
 * it, tests assert it); the text next to it is the generic fix shown when a
 * call site has nothing more specific to say.
 */
export const ERROR_CODES = {
  // ferry.yml
  FERRY_CONFIG_NOT_FOUND: 'Create a ferry.yml at the repository root, or pass its path with --config / the `config` input.',
  FERRY_CONFIG_YAML: 'Fix the YAML syntax at the position shown.',
  FERRY_CONFIG_INVALID: 'Fix the value at the key shown; the JSON Schema (ferry.schema.json) lists what is allowed.',
  FERRY_CONFIG_UNKNOWN_KEY: 'Remove the key or correct its spelling.',
  FERRY_CONFIG_DUPLICATE_ENV: 'Give every environment a unique name.',
  FERRY_CONFIG_REQUIRES: '`requires` must name an environment listed earlier in `environments`.',
  FERRY_CONFIG_MISSING_TARGET: 'Add a target for this artifact kind to the environment, or remove the artifact.',
  FERRY_UNKNOWN_ENV: 'Use one of the environments listed in ferry.yml.',
  // paths
  FERRY_PATH_ESCAPES: 'Keep every path inside the repository; remove `..` segments or absolute paths.',
  FERRY_SYMLINK_ESCAPES: 'Replace the symlink with a regular file, or point it inside the repository.',
  FERRY_PATH_NOT_FOUND: 'Create the folder or fix the path in ferry.yml.',
  FERRY_PATH_NOT_DIR: 'Point the path at a folder, not a file.',
  // configs
  FERRY_CONFIG_FILE_PARSE: 'Fix the syntax of the config file at the position shown.',
  FERRY_CONFIG_FILE_SCHEMA: 'Make the config file match its JSON Schema.',
  FERRY_CONFIG_SCHEMA_INVALID: 'Fix the JSON Schema file named in ferry.yml.',
  FERRY_SECRET_LITERAL: 'Replace the literal with a secret reference such as ${secret:NAME}; the value is resolved at deploy time.',
  FERRY_SECRET_REFERENCE: 'Write secret references exactly as ${secret:NAME}, NAME being letters, digits and underscores.',
  FERRY_SECRET_MISSING: 'Provide the secret to the deploy step as an environment variable of the same name (env: NAME: ${{ secrets.NAME }}).',
  // kinds
  FERRY_KIND_NOT_IMPLEMENTED: 'This artifact kind is not supported in this version of ferry; remove it from ferry.yml or upgrade.',
  // releases
  FERRY_RELEASE_NOT_FOUND: 'Build the release first (`ferry build` / build-artifacts), or check the release id and release store.',
  FERRY_RELEASE_TAMPERED: 'The release no longer matches its recorded hashes. Do not deploy it; rebuild from source.',
  FERRY_RELEASE_INVALID: 'The release.json is not a ferry release; rebuild it.',
  FERRY_RELEASE_AMBIGUOUS: 'Give more characters of the release id.',
  FERRY_GIT: 'Run inside a git checkout with the commit available (actions/checkout with fetch-depth: 0 for tags).',
  FERRY_TAG_EXISTS: 'A tag of that name points at another commit; choose another version or delete the tag.',
  // deploy
  FERRY_PROMOTION_UNVERIFIED: 'Deploy this release to the required environment and verify it there first.',
  FERRY_APPROVAL_REQUIRED: 'Apply the plan with the digest of the plan that was approved.',
  FERRY_NOT_DEPLOYED: 'Deploy a release to this environment first.',
  FERRY_NOTHING_TO_ROLLBACK: 'The environment has no earlier successful release to return to.',
  FERRY_TARGET_IO: 'Check that the target path is writable and on a local filesystem.',
  FERRY_TARGET_DRIFT: 'The target no longer holds the files of its release; redeploy or investigate who changed it.',
  FERRY_LOCKED: 'Another deploy to this environment is running; wait for it or remove the stale lock file.',
  // dbt
  FERRY_TOOL_MISSING: 'Install the tool in the workflow before this step, or change the command in ferry.yml.',
  FERRY_DBT_FAILED: 'Run the same dbt command locally and fix what it reports.',
  FERRY_DBT_RUN_FAILED: 'Fix the failing models or tests and deploy again; what dbt already built stays built.',
  FERRY_DBT_RUN_RESULTS: 'ferry reads run_results.json of schema v6 (dbt 1.5 and later); check the dbt version.',
  FERRY_DBT_MANIFEST_INVALID: 'The dbt manifest.json is corrupt or not a manifest; regenerate it with `dbt parse` (or rebuild the release that holds it).',
  FERRY_DBT_MANIFEST_VERSION: 'ferry reads dbt manifests of schema v10 (dbt 1.6), v11 (dbt 1.7) and v12 (dbt 1.8 and later); regenerate the manifest with a dbt-core release that writes one of them.',
  // ledger / GitHub
  FERRY_LEDGER: 'Check the ledger file or the GitHub token permissions (deployments: write).',
  FERRY_GITHUB_API: 'Check the token, its permissions and the repository name.',
  FERRY_INPUT: 'Fix the action input or command-line option shown.',
  FERRY_NOT_IMPLEMENTED: 'This action is not implemented in this version of ferry.',
  FERRY_INTERNAL: 'This is a bug in ferry; please report it with the log.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;
