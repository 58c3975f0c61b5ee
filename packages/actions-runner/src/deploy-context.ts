import path from 'node:path';
import { fail, FerryError, loadConfig, readSecretsFile, secretLookup, type Ledger, type Runner, type StoredRelease } from '@ferry/core';
import type { DeployContext } from '@ferry/deploy';
import { createClient, githubContext, runUrl } from '@ferry/github';
import { GitHubLedger, LocalFileLedger } from '@ferry/ledger';
import { GitHubReleaseStore, LocalReleaseStore, openRelease, tagName, type ReleaseStore } from '@ferry/release';
import { inputs } from './inputs.js';

/** Inputs shared by the actions that deploy or verify (deploy-env, smoke-test). */
export interface EnvironmentSettings {
  configPath: string;
  environment: string;
  ledger: 'github' | 'local';
  ledgerFile: string;
  token?: string;
  reuseRunDeployment: boolean;
  secrets: Record<string, string>;
  secretsFile?: string;
}

export function readEnvironmentSettings(runner: Runner): EnvironmentSettings {
  const token = inputs.secret('token');
  return {
    configPath: inputs.string('config') ?? 'ferry.yml',
    environment: inputs.required('environment'),
    ledger: inputs.oneOf('ledger', ['github', 'local'] as const, 'github'),
    ledgerFile: inputs.string('ledger-file') ?? '.ferry/ledger.json',
    token,
    reuseRunDeployment: inputs.boolean('reuse-run-deployment', true),
    secrets: parseSecrets(inputs.string('secrets'), runner),
    secretsFile: inputs.string('secrets-file'),
  };
}

/** `${{ toJSON(secrets) }}`: every value masked before anything else runs; the text is never echoed. */
function parseSecrets(json: string | undefined, runner: Runner): Record<string, string> {
  if (!json) return {};
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return fail('FERRY_INPUT', 'input "secrets" is not valid JSON (its content is not shown)', { hint: 'Pass ${{ toJSON(secrets) }} or a JSON object of name: value.' });
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) fail('FERRY_INPUT', 'input "secrets" must be a JSON object of name: value');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') continue;
    runner.mask(v);
    out[k] = v;
  }
  return out;
}

/** The deploy context on a runner: GitHub (or file) ledger, local store with GitHub release assets behind it. */
export function actionDeployContext(runner: Runner, s: EnvironmentSettings): DeployContext {
  const config = loadConfig(path.resolve(s.configPath));
  const local = new LocalReleaseStore(config.release.store);
  const needsGitHub = s.ledger === 'github';
  if (needsGitHub && !s.token) fail('FERRY_INPUT', 'input "token" is empty, but ledger: github needs it', { hint: 'Leave token at its default (${{ github.token }}) and grant `deployments: write`.' });
  const gctx = s.token ? githubContext() : undefined;
  const gh = s.token && gctx ? createClient(s.token, gctx.apiUrl) : undefined;
  const ledger: Ledger =
    s.ledger === 'github' ? new GitHubLedger(gh!, gctx!, { reuseRunDeployment: s.reuseRunDeployment }) : new LocalFileLedger(path.resolve(config.root, s.ledgerFile), () => process.env.GITHUB_ACTOR || 'unknown');
  const store: ReleaseStore = gh && gctx ? new GitHubReleaseStore(gh, gctx, local, (v) => tagName(config.project, v, config.release.tagPrefix), runner) : local;
  return {
    config,
    runner,
    ledger,
    store,
    logUrl: gctx ? runUrl(gctx) : undefined,
    secret: secretLookup([s.secrets, ...(s.secretsFile ? [readSecretsFile(path.resolve(s.secretsFile), runner)] : [])], runner),
  };
}

/**
 * The release a deploy job was handed: a folder (release-path) or an id, whose
 * version the ledger knows (any environment that ran it) so it can be fetched.
 */
export async function releaseFromInputs(ctx: DeployContext, releasePath?: string, releaseId?: string): Promise<StoredRelease> {
  if (releasePath) {
    return openRelease(path.resolve(releasePath));
  }
  if (!releaseId) fail('FERRY_INPUT', 'give `release-path` (from build-artifacts) or `release-id`', { hint: 'Pass `release-path: ${{ needs.build.outputs.release-path }}` after downloading the release artifact.' });
  // The store first (local cache, then GitHub releases by id): the ledger walk
  // below reads every environment's whole history when the id never ran anywhere.
  const stored = await ctx.store.get({ id: releaseId }).catch((e: unknown) => {
    if (FerryError.is(e) && e.code === 'FERRY_RELEASE_NOT_FOUND') return undefined;
    throw e;
  });
  if (stored) return stored;
  for (const env of ctx.config.environments) {
    for await (const r of ctx.ledger.records(env.name)) {
      if (r.releaseId.startsWith(releaseId)) return ctx.store.get({ id: r.releaseId, version: r.version });
    }
  }
  return fail('FERRY_RELEASE_NOT_FOUND', `release ${releaseId} is not in the release store, on GitHub, or in any environment's history`);
}
