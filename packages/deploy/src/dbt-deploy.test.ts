import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { loadConfig, MemoryRunner } from '@ferry/core';
import { history, LocalFileLedger } from '@ferry/ledger';
import { buildRelease, LocalReleaseStore } from '@ferry/release';
import { ORDERS, pipeline, setColumns, SUMMARY, type Json } from '../../dbt/src/test-support.js';
import { installFakeDbt } from '../../../test/support/fake-dbt.js';
import { commitAll, gitRepo } from '../../../test/support/git-repo.js';
import { applyPlan } from './apply.js';
import type { DeployContext } from './context.js';
import { planDeploy } from './plan.js';
import { planMarkdown } from './render.js';

const saved = { ...process.env };
afterEach(() => {
  for (const k of ['FAKE_DBT_MANIFEST', 'FAKE_DBT_LOG', 'FAKE_DBT_FAIL']) delete process.env[k];
  Object.assign(process.env, saved);
});

/** A project whose dbt "compiles" to `manifest` (written by the stand-in dbt) and deploys to dev and prod. */
function setup(manifest: Json) {
  const dir = gitRepo({ '.gitignore': '.ferry/\nbin/\nstate/\n', 'dbt/dbt_project.yml': 'name: test\nvars:\n  lookback: 3\n', 'dbt/models/orders.sql': 'select 1\n' }, { prefix: 'ferry-dbt-deploy-' });
  const fake = installFakeDbt(path.join(dir, 'bin'));
  fs.writeFileSync(
    path.join(dir, 'ferry.yml'),
    `project: shop
artifacts:
  dbt:
    path: dbt
    compile: { command: ["${fake.dbt}", compile, --target, ci] }
environments:
  - name: dev
    targets: { dbt: { kind: dbt, target: dev, command: ["${fake.dbt}"] } }
  - name: prod
    requires_approval: true
    targets: { dbt: { kind: dbt, target: prod, command: ["${fake.dbt}"], args: [--threads, "4"] } }
`,
  );
  commitAll(dir, 'ferry.yml');
  fs.mkdirSync(path.join(dir, 'state'));
  const manifestFile = path.join(dir, 'state', 'manifest.json');
  const compileTo = (m: Json) => fs.writeFileSync(manifestFile, JSON.stringify(m));
  compileTo(manifest);
  process.env.FAKE_DBT_MANIFEST = manifestFile;
  process.env.FAKE_DBT_LOG = fake.log;
  const config = loadConfig(path.join(dir, 'ferry.yml'));
  const ctx: DeployContext = { config, runner: new MemoryRunner(), ledger: new LocalFileLedger(path.join(dir, '.ferry/ledger.json')), store: new LocalReleaseStore(config.release.store), secret: () => undefined };
  const deploy = async (env: string, extra: Partial<DeployContext> = {}) => {
    const planned = await planDeploy({ ...ctx, ...extra }, env, await buildRelease(ctx));
    return { planned, result: await applyPlan({ ...ctx, ...extra }, planned) };
  };
  return { dir, fake, ctx, compileTo, deploy, builds: () => fake.calls().filter((c) => c.argv[0] === 'build').map((c) => c.argv) };
}

describe('dbt deploys (with a STAND-IN dbt executable: dbt cannot be installed here)', () => {
  it('ships the manifest and compiled SQL in the release and builds everything on the first deploy', async () => {
    const t = setup(pipeline());
    const release = await buildRelease(t.ctx);
    const dbt = release.manifest.artifacts.find((a) => a.kind === 'dbt')!;
    expect(dbt.meta).toMatchObject({ manifest: 'target/manifest.json', manifestVersion: 'v11', dbtVersion: '1.7.6' });
    expect(dbt.files.map((f) => f.path)).toEqual(['dbt_project.yml', 'models/orders.sql', 'target/compiled/test/models/orders.sql', 'target/manifest.json']);
    expect(t.fake.calls()[0]!.argv).toEqual(['compile', '--target', 'ci']);

    const { planned } = await t.deploy('dev');
    expect(planned.plan.kinds[0]).toMatchObject({ kind: 'dbt', target: 'dbt:dev' });
    const [build] = t.builds();
    expect(build!.slice(0, 1)).toEqual(['build']);
    expect(build!.slice(-4, -2)).toEqual(['--target', 'dev']);
    // dbt ran on the release's copy of the project, not the working tree.
    const projectDir = build![build!.indexOf('--project-dir') + 1]!;
    expect(projectDir).not.toContain(t.dir);
    expect(fs.existsSync(projectDir)).toBe(false);
  });

  it('rebuilds only what changed, with --full-refresh only for the incremental model whose columns broke', async () => {
    const base = pipeline();
    const t = setup(base);
    await t.deploy('dev');
    const next = structuredClone(base);
    setColumns(next.nodes[ORDERS], { id: 'bigint' }); // `amount` dropped: breaking
    t.compileTo(next);
    const before = t.builds().length;
    const { planned } = await t.deploy('dev');
    const kp = planned.plan.kinds.find((k) => k.kind === 'dbt')!;
    expect(kp.changes.map((c) => [c.path, c.action])).toEqual([[ORDERS, 'update']]);
    expect(kp.changes[0]!.reason).toMatch(/^breaking: .*amount/);
    expect(kp.destructive).toEqual(['full refresh of orders']);
    expect(planned.plan.approval.required).toBe(false);
    const md = planMarkdown(planned.plan);
    expect(md).toContain('#### dbt: 1 change(s)');
    expect(md).toMatch(/\| `orders` \| \*\*yes\*\* \|/);
    const runs = t.builds().slice(before);
    expect(runs.some((a) => a.includes('--full-refresh') && a.includes('orders'))).toBe(true);
    expect(runs.flatMap((a) => a).filter((x) => x === 'orders_summary')).toHaveLength(1);
    // Tables and views downstream may share the --full-refresh invocation (it changes nothing for them); only orders needs it.
    const dp = kp.details as { rebuild: { name: string; fullRefresh: boolean }[] };
    expect(dp.rebuild.filter((r) => r.fullRefresh).map((r) => r.name)).toEqual(['orders']);
  });

  it('needs the approved plan digest for full refreshes in prod', async () => {
    const base = pipeline();
    const t = setup(base);
    await t.deploy('prod'); // first deploy: no full refresh, no approval needed
    const next = structuredClone(base);
    setColumns(next.nodes[ORDERS], { id: 'bigint', amount: 'text' });
    t.compileTo(next);
    const release = await buildRelease(t.ctx);
    const planned = await planDeploy(t.ctx, 'prod', release);
    expect(planned.plan.approval).toMatchObject({ required: true, reason: 'full refresh of orders in prod, which requires approval' });
    const ran = t.builds().length;
    await expect(applyPlan(t.ctx, planned)).rejects.toMatchObject({ code: 'FERRY_APPROVAL_REQUIRED' });
    expect(t.builds()).toHaveLength(ran);
    await applyPlan({ ...t.ctx, approvedPlan: planned.plan.approval.digest }, planned);
    const last = t.builds().at(-1)!;
    expect(last.slice(-6)).toEqual(['--target', 'prod', '--project-dir', expect.any(String), '--threads', '4'].slice(-6));
  });

  it('fails the deployment with one problem per failing model, and records the failure', async () => {
    const base = pipeline();
    const t = setup(base);
    await t.deploy('dev');
    const next = structuredClone(base);
    next.nodes[SUMMARY].raw_code += '\n-- changed';
    next.nodes[SUMMARY].checksum.checksum = 'f'.repeat(64);
    t.compileTo(next);
    process.env.FAKE_DBT_FAIL = SUMMARY;
    const err = await t.deploy('dev').catch((e) => e);
    expect(err.code).toBe('FERRY_DBT_RUN_FAILED');
    expect(err.problems[0].message).toMatch(/^model orders_summary: error: relation "orders_summary" failed/);
    const [latest] = await history(t.ctx.ledger, 'dev');
    expect(latest!.outcome).toBe('failure');
  });
});
