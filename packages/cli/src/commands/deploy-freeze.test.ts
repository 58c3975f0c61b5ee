import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from '@jest/globals';
import { commitAll, gitRepo } from '../../../../test/support/git-repo.js';
import type { Io } from '../cli-runner.js';
import { main } from '../main.js';

const example = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../examples/data-platform');
const secrets = { WAREHOUSE_PASSWORD: 'wh-secret-1', APP_DB_PASSWORD: 'app-secret-2', ORDERS_API_TOKEN: 'orders-secret-3', CRM_API_TOKEN: 'crm-secret-4' };

async function ferry(dir: string, ...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (s) => out.push(s), err: (s) => err.push(s), isTTY: false, color: false };
  const code = await main(['-c', path.join(dir, 'ferry.yml'), ...argv], io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

it('ferry deploy refuses a frozen environment; --override-freeze needs a reason and --approved-by, and is recorded', async () => {
  Object.assign(process.env, secrets);
  const dir = gitRepo({}, { from: example, prefix: 'ferry-cli-freeze-' });
  const file = path.join(dir, 'ferry.yml');
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('  - name: dev\n', '  - name: dev\n    freeze:\n      - { name: migration, from: "2000-01-01T00:00:00Z", to: "2999-01-01T00:00:00Z" }\n'));
  commitAll(dir, 'freeze dev');

  const frozen = await ferry(dir, 'deploy', 'dev');
  expect(frozen.code).toBe(1);
  expect(frozen.err).toMatch(/FERRY_FROZEN.*dev is frozen by window 'migration' until 2999-01-01T00:00:00Z/);
  expect(frozen.out).toMatch(/FROZEN: window 'migration'/);

  const noApprover = await ferry(dir, 'deploy', 'dev', '--override-freeze', 'hotfix');
  expect(noApprover.code).toBe(1);
  expect(noApprover.err).toMatch(/FERRY_INPUT.*--override-freeze needs --approved-by/);
  const noReason = await ferry(dir, 'deploy', 'dev', '--override-freeze', ' ', '--approved-by', 'alice');
  expect(noReason.err).toMatch(/--override-freeze needs a reason/);

  const ok = await ferry(dir, 'deploy', 'dev', '--override-freeze', 'hotfix for orders', '--approved-by', 'alice,bob');
  expect(ok.code).toBe(0);
  const ledger = JSON.parse(fs.readFileSync(path.join(dir, '.ferry/ledger.json'), 'utf8'));
  expect(ledger.deployments[0].approval).toMatchObject({ mode: 'cli', environment: 'dev', approvers: [{ login: 'alice' }, { login: 'bob' }], override: { window: 'migration', reason: 'hotfix for orders' } });
});

it('ferry history shows who approved a deployment and the freeze override it passed', async () => {
  Object.assign(process.env, secrets);
  const dir = gitRepo({}, { from: example, prefix: 'ferry-cli-freeze-' });
  const file = path.join(dir, 'ferry.yml');
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('  - name: dev\n', '  - name: dev\n    freeze:\n      - { name: migration, from: "2000-01-01T00:00:00Z", to: "2999-01-01T00:00:00Z" }\n'));
  commitAll(dir, 'freeze dev');
  expect((await ferry(dir, 'deploy', 'dev', '--override-freeze', 'hotfix for orders', '--approved-by', 'alice,bob')).code).toBe(0);
  const hist = await ferry(dir, 'history', 'dev');
  expect(hist.out).toMatch(/approved by/);
  expect(hist.out).toContain('alice, bob (freeze override: hotfix for orders)');
});

it('ferry backfill needs the environment to have an Airflow API, and says so', async () => {
  Object.assign(process.env, secrets);
  const dir = gitRepo({}, { from: example, prefix: 'ferry-cli-backfill-' });
  const r = await ferry(dir, 'backfill', 'dev');
  expect(r.code).toBe(1);
  expect(r.err).toMatch(/FERRY_AIRFLOW_CONFIG.*dev has no `airflow:` in ferry.yml/);
  expect(r.err).toMatch(/Add environments.dev.airflow/);
});
