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
  // approvals and freeze windows (require-approval, deploy-env)
  FERRY_FROZEN: 'Wait until the freeze window ends, or deploy with a freeze override: require-approval with `freeze-override: <reason>`, its `approval` output passed to deploy-env.',
  FERRY_APPROVAL_SELF: 'Ask someone other than the release\'s author and the run\'s actor to approve, or set approval.allow_self_approval: true in ferry.yml.',
  FERRY_APPROVAL_NOT_ALLOWED: 'Ask one of the users or teams in approval.allowed to approve, or add the approver there in ferry.yml.',
  FERRY_APPROVAL_OTHER_RELEASE: 'Approve the release being deployed: the approval must name its id (at least 12 characters).',
  FERRY_APPROVAL_TOO_FEW: 'Ask more distinct allowed approvers to approve, or lower approval.min_approvals in ferry.yml.',
  FERRY_APPROVAL_DENIED: 'An allowed reviewer denied the deploy; address the reason and request approval again with a new run.',
  FERRY_APPROVAL_TIMEOUT: 'No decision came in time; run require-approval again (or use `wait: resume`), or raise approval.timeout in ferry.yml.',
  FERRY_APPROVAL_INVALID: 'Pass the `approval` output of require-approval unchanged (a JSON ApprovalRecord).',
  FERRY_NOTHING_TO_ROLLBACK: 'The environment has no earlier successful release to return to.',
  FERRY_TARGET_IO: 'Check that the target path is writable and on a local filesystem.',
  FERRY_TARGET_DRIFT: 'The target no longer holds the files of its release; redeploy or investigate who changed it.',
  FERRY_LOCKED: 'Another deploy to this environment is running; wait for it or remove the stale lock file.',
  // S3 targets
  FERRY_S3: 'Check the bucket, prefix, region and endpoint in ferry.yml, and that the store is reachable; the AWS error code is in the message.',
  FERRY_S3_ACCESS_DENIED: 'Give the deploy role s3:ListBucket on the bucket (for the prefix) and s3:GetObject, s3:PutObject, s3:DeleteObject on arn:aws:s3:::<bucket>/<prefix>*.',
  FERRY_S3_NO_SUCH_BUCKET: 'Create the bucket, or fix `bucket` (and `region` / `endpoint`) of the S3 target in ferry.yml.',
  FERRY_S3_CREDENTIALS: 'Provide AWS credentials through the standard chain: in GitHub Actions run aws-actions/configure-aws-credentials (OIDC role) before this step; locally set AWS_PROFILE or AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.',
  // dbt
  FERRY_TOOL_MISSING: 'Install the tool in the workflow before this step, or change the command in ferry.yml.',
  FERRY_DBT_FAILED: 'Run the same dbt command locally and fix what it reports.',
  FERRY_DBT_RUN_FAILED: 'Fix the failing models or tests and deploy again; what dbt already built stays built.',
  FERRY_DBT_RUN_RESULTS: 'ferry reads run_results.json of schema v6 (dbt 1.5 and later); check the dbt version.',
  FERRY_DBT_MANIFEST_INVALID: 'The dbt manifest.json is corrupt or not a manifest; regenerate it with `dbt parse` (or rebuild the release that holds it).',
  FERRY_DBT_MANIFEST_VERSION: 'ferry reads dbt manifests of schema v10 (dbt 1.6), v11 (dbt 1.7) and v12 (dbt 1.8 and later); regenerate the manifest with a dbt-core release that writes one of them.',
  // images / OCI registries
  FERRY_IMAGE_REF: 'Write the image as [registry/]repository[:tag][@sha256:digest], e.g. ghcr.io/acme/etl:1.4 (repository names are lowercase).',
  FERRY_REGISTRY_UNAUTHORIZED: 'Give ferry credentials for the registry: FERRY_REGISTRY_<HOST>_USERNAME and _PASSWORD (HOST upper-cased, other characters as "_", e.g. FERRY_REGISTRY_GHCR_IO_USERNAME), or `docker login` / docker/login-action before this step.',
  FERRY_REGISTRY_DENIED: 'The credentials are valid but lack this access: grant the account pull (and push, for a promotion target) on the repository.',
  FERRY_REGISTRY_NOT_FOUND: 'Check the image name and tag, and that the image was pushed before the release is built.',
  FERRY_REGISTRY_NOT_IMAGE: 'Point the reference at a container image (OCI or Docker v2 manifest or index), not another kind of artifact.',
  FERRY_REGISTRY_DIGEST: 'The registry returned content that does not match its digest; retry, and report it to the registry operator if it persists.',
  FERRY_REGISTRY_INSECURE: 'Plain http:// is allowed only for registries on this machine (localhost, 127.0.0.0/8, [::1]) named in FERRY_REGISTRY_INSECURE; use https for any other registry.',
  FERRY_REGISTRY_HTTP: 'Check that the registry is reachable from this runner and retry; the registry\'s own error is shown.',
  // Airflow REST API (checks after a deploy)
  FERRY_AIRFLOW_API: 'Check airflow.url (the webserver / API server base URL, without /api/v1 or /api/v2) and that it is reachable from this runner; Airflow\'s own answer is shown.',
  FERRY_AIRFLOW_AUTH: 'Check airflow.auth: Airflow 2 takes basic auth (username/password) or a bearer token; Airflow 3 takes a username/password exchanged at /auth/token, or a token. Pass secrets as ${secret:NAME}; the user needs permission for DAGs, DAG runs, Variables and Connections.',
  FERRY_AIRFLOW_DAG_MISSING: 'The files are deployed, but Airflow has not parsed them yet: raise airflow.wait.timeout (DAG folders sync in minutes on MWAA/Composer) or check the DAG processor / scheduler logs; roll back if the release must not stay.',
  FERRY_AIRFLOW_IMPORT_ERROR: 'Fix the error in the DAG file (run it with python locally; `airflow dags list-import-errors` shows the same), then deploy again, or roll back.',
  FERRY_AIRFLOW_CONFIG: 'Fix airflow.variables / airflow.connections in ferry.yml, or the config file they name (rendered for this environment).',
  FERRY_AIRFLOW_BACKFILL: 'Check the backfill in the Airflow UI (Browse → DAG runs / Backfills); a DAG can have only one running backfill at a time.',
  // Slack (notify-slack)
  FERRY_SLACK_AUTH: 'Slack refused the credentials: create a new incoming webhook (Slack app → Incoming Webhooks) or bot token (OAuth & Permissions, scope chat:write) and store it as a repository secret passed to `webhook-url` / `token`.',
  FERRY_SLACK_CHANNEL: 'Check `channel` (a channel id like C0123ABCD, shown under the channel name → About): it must exist, not be archived, and the bot must be a member (/invite @your-app in the channel).',
  FERRY_SLACK_REJECTED: 'Slack refused the message itself; this is most likely a bug in ferry: report it with the Slack error code shown.',
  FERRY_SLACK_UNAVAILABLE: 'Slack could not be reached or kept rate limiting after the retries; the deployment is not affected. Check https://slack-status.com and re-run the job to post the message.',
  // smoke tests (smoke-test / ferry verify)
  FERRY_SMOKE_FAILED: 'A smoke check failed (see the report): roll back (the rollback workflow or `ferry rollback <env>`) or fix forward and deploy again.',
  FERRY_WAREHOUSE: 'Check smoke.sql.connection (a postgres:// URL, usually "${secret:NAME}"), that the warehouse is reachable from this runner, and that the user may read the checked tables.',
  // ledger / GitHub
  FERRY_LEDGER: 'Check the ledger file or the GitHub token permissions (deployments: write).',
  FERRY_GITHUB_API: 'Check the token, its permissions and the repository name.',
  FERRY_INPUT: 'Fix the action input or command-line option shown.',
  FERRY_NOT_IMPLEMENTED: 'This action is not implemented in this version of ferry.',
  FERRY_INTERNAL: 'This is a bug in ferry; please report it with the log.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;
