import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_CONFIG_FILE, fail, loadConfig, readSecretsFile, secretLookup, type FerryConfig, type StoredRelease } from '@ferry/core';
import type { DeployContext } from '@ferry/deploy';
import { LocalFileLedger } from '@ferry/ledger';
import { buildRelease, LocalReleaseStore, openRelease } from '@ferry/release';
import type { CliRunner } from './cli-runner.js';

export interface GlobalOptions {
  config?: string;
  ledger?: string;
  secretsFile?: string;
}

/** ferry.yml from --config, or the nearest one from the current folder upwards. */
export function findConfig(explicit: string | undefined, cwd = process.cwd()): string {
  if (explicit) return path.resolve(cwd, explicit);
  for (let dir = cwd; ; dir = path.dirname(dir)) {
    const f = path.join(dir, DEFAULT_CONFIG_FILE);
    if (fs.existsSync(f)) return f;
    if (path.dirname(dir) === dir) break;
  }
  return fail('FERRY_CONFIG_NOT_FOUND', `no ${DEFAULT_CONFIG_FILE} in ${cwd} or any folder above it`);
}

/** The CLI's deploy context: the local file ledger and local release store. */
export function openProject(opts: GlobalOptions, runner: CliRunner): DeployContext & { config: FerryConfig } {
  const config = loadConfig(findConfig(opts.config));
  const ledgerFile = opts.ledger ? path.resolve(opts.ledger) : path.join(config.root, '.ferry', 'ledger.json');
  return {
    config,
    runner,
    ledger: new LocalFileLedger(ledgerFile),
    store: new LocalReleaseStore(config.release.store),
    secret: secretLookup(opts.secretsFile ? [readSecretsFile(path.resolve(opts.secretsFile), runner)] : [], runner),
  };
}

/** `--release <id|folder>`, or a release built from the working tree (same content, same id). */
export async function resolveRelease(ctx: DeployContext & { config: FerryConfig }, release: string | undefined): Promise<StoredRelease> {
  // A folder is a release folder (openRelease says what is wrong with it); anything else is an id.
  if (release && fs.existsSync(release) && fs.statSync(release).isDirectory()) return openRelease(path.resolve(release));
  if (release) return ctx.store.get({ id: release });
  ctx.runner.info('building a release from the working tree (use --release <id> to deploy a built one)');
  return buildRelease(ctx);
}
