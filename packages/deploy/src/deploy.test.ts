import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { commitAll, gitRepo, writeFiles } from '../../../test/support/git-repo.js';
import { loadConfig, MemoryRunner, type ArtifactKind } from '@ferry/core';
import { KINDS } from '@ferry/kinds';
import { history, LocalFileLedger } from '@ferry/ledger';
import { buildRelease, LocalReleaseStore } from '@ferry/release';
import { applyPlan } from './apply.js';
import type { DeployContext } from './context.js';
import { planDeploy } from './plan.js';
import { planMarkdown } from './render.js';
import { planRollback } from './rollback.js';
import { status } from './status.js';
import { verifyEnvironment } from './verify.js';

const FERRY_YML = `project: demo
artifacts:
  dags: { path: dags }
  configs: { path: config }
environments:
  - name: dev
    targets:
      dags: { kind: local, path: live/dev/dags }
      configs: { kind: local, path: live/dev/config }
  - name: staging
    targets:
      dags: { kind: local, path: live/staging/dags }
      configs: { kind: local, path: live/staging/config }
  - name: prod
    requires: staging
    targets:
      dags: { kind: local, path: live/prod/dags }
      configs: { kind: local, path: live/prod/config }
`;

function setup(kinds?: readonly ArtifactKind[]) {
  const dir = gitRepo(
    {
      'ferry.yml': FERRY_YML,
      '.gitignore': 'live/\n.ferry/\n',
      'dags/a.py': 'A = 1\n',
      'dags/b.py': 'B = 1\n',
      'config/app.yml': 'schema: x\npassword: "${secret:PW}"\n',
    },
    { prefix: 'ferry-deploy-' },
  );
  const write = (p: string, c: string) => writeFiles(dir, { [p]: c });
  const runner = new MemoryRunner();
  const config = loadConfig(path.join(dir, 'ferry.yml'));
  const ctx: DeployContext = {
    config,
    runner,
    ledger: new LocalFileLedger(path.join(dir, '.ferry/ledger.json')),
    store: new LocalReleaseStore(config.release.store),
    secret: (n) => (n === 'PW' ? 'pw-value' : undefined),
    kinds,
  };
  const commit = (msg: string) => commitAll(dir, msg);
  const deploy = async (env: string) => {
    const release = await buildRelease(ctx);
    const planned = await planDeploy(ctx, env, release);
    return { planned, result: await applyPlan(ctx, planned) };
  };
  const live = (env: string, p: string) => fs.readFileSync(path.join(dir, 'live', env, p), 'utf8');
  return { dir, ctx, runner, write, commit, deploy, live };
}

describe('deploy', () => {
  it('plans a first deploy as all creates, applies it, then has nothing to deploy', async () => {
    const t = setup();
    const release = await buildRelease(t.ctx);
    const planned = await planDeploy(t.ctx, 'dev', release);
    expect(planned.plan).toMatchObject({ changed: true, current: null, counts: { create: 3, update: 0, delete: 0 } });
    expect(planMarkdown(planned.plan)).toMatch(/\| dags \| `local:.*live\/dev\/dags` \| 2 \| 0 \| 0 \| 0 \|/);
    const r = await applyPlan(t.ctx, planned);
    expect(r.changed).toBe(true);
    expect(t.live('dev', 'dags/a.py')).toBe('A = 1\n');
    expect(t.live('dev', 'config/app.yml')).toContain('pw-value');

    const again = await planDeploy(t.ctx, 'dev', release);
    expect(again.plan).toMatchObject({ changed: false, counts: { create: 0, update: 0, delete: 0, noop: 3 } });
    expect(planMarkdown(again.plan)).toMatch(/Nothing to deploy/);
    expect((await applyPlan(t.ctx, again)).changed).toBe(false);
    expect(await history(t.ctx.ledger, 'dev')).toHaveLength(1);
  });

  it('plans updates and deletes against the release the ledger says is live', async () => {
    const t = setup();
    await t.deploy('dev');
    t.write('dags/a.py', 'A = 2\n');
    fs.rmSync(path.join(t.dir, 'dags/b.py'));
    t.write('dags/c.py', 'C = 1\n');
    t.commit('change');
    const { planned } = await t.deploy('dev');
    const changes = planned.plan.kinds.find((k) => k.kind === 'dags')!.changes.map((c) => [c.action, c.path]);
    expect(changes).toEqual([
      ['update', 'a.py'],
      ['delete', 'b.py'],
      ['create', 'c.py'],
    ]);
    expect(fs.existsSync(path.join(t.dir, 'live/dev/dags/b.py'))).toBe(false);
    expect(t.live('dev', 'dags/c.py')).toBe('C = 1\n');
  });

  it('refuses prod until this release is verified in staging, saying what staging has', async () => {
    const t = setup();
    await t.deploy('staging');
    const release = await buildRelease(t.ctx);
    const refused = await planDeploy(t.ctx, 'prod', release);
    expect(refused.plan.promotion).toMatchObject({ ok: false, requires: 'staging' });
    expect(refused.plan.promotion.detail).toMatch(/not verified yet; staging runs release [0-9a-f]{12} \(version .*, not verified yet\)/);
    await expect(applyPlan(t.ctx, refused)).rejects.toMatchObject({ code: 'FERRY_PROMOTION_UNVERIFIED' });
    expect(fs.existsSync(path.join(t.dir, 'live/prod'))).toBe(false);
    expect(await history(t.ctx.ledger, 'prod')).toHaveLength(0);

    expect((await verifyEnvironment(t.ctx, 'staging')).ok).toBe(true);
    const ok = await planDeploy(t.ctx, 'prod', release);
    expect(ok.plan.promotion.ok).toBe(true);
    await applyPlan(t.ctx, ok);

    // A new release is refused again until it, too, is verified in staging.
    t.write('dags/a.py', 'A = 3\n');
    t.commit('again');
    const next = await planDeploy(t.ctx, 'prod', await buildRelease(t.ctx));
    expect(next.plan.promotion.ok).toBe(false);
    expect(next.plan.promotion.detail).toMatch(/never deployed to staging; staging runs release .*verified\)/);
  });

  it('refuses a stale plan', async () => {
    const t = setup();
    const planned = await planDeploy(t.ctx, 'dev', await buildRelease(t.ctx));
    await t.deploy('dev');
    await expect(applyPlan(t.ctx, planned)).rejects.toMatchObject({ code: 'FERRY_LEDGER' });
  });

  it('stages every kind before switching any: a failing kind leaves all targets on the old release', async () => {
    const failing: ArtifactKind[] = KINDS.map((k) =>
      k.name === 'dags' ? { ...k, stage: async () => Promise.reject(new Error('disk full (simulated)')) } : k,
    );
    const t = setup(failing);
    const ok = { ...t.ctx, kinds: undefined };
    const v1 = await buildRelease(ok);
    await applyPlan(ok, await planDeploy(ok, 'dev', v1));
    t.write('dags/a.py', 'A = 2\n');
    t.write('config/app.yml', 'schema: y\npassword: "${secret:PW}"\n');
    t.commit('v2');
    const v2 = await buildRelease(t.ctx);
    await expect(applyPlan(t.ctx, await planDeploy(t.ctx, 'dev', v2))).rejects.toThrow('disk full');
    expect(t.live('dev', 'config/app.yml')).toContain('schema: x');
    expect(t.live('dev', 'dags/a.py')).toBe('A = 1\n');
    const [latest, previous] = await history(t.ctx.ledger, 'dev');
    expect(latest!.outcome).toBe('failure');
    expect(previous!.releaseId).toBe(v1.manifest.id);
  });

  it('reverts kinds already switched when a later kind fails to switch', async () => {
    const failing: ArtifactKind[] = KINDS.map((k) =>
      k.name === 'dags'
        ? { ...k, stage: async (...args) => ({ ...(await k.stage(...args)), commit: async () => Promise.reject(new Error('rename failed (simulated)')) }) }
        : k,
    );
    const t = setup();
    await t.deploy('dev');
    t.write('dags/a.py', 'A = 2\n');
    t.write('config/app.yml', 'schema: y\npassword: "${secret:PW}"\n');
    t.commit('v2');
    const ctx = { ...t.ctx, kinds: failing };
    await expect(applyPlan(ctx, await planDeploy(ctx, 'dev', await buildRelease(ctx)))).rejects.toThrow('rename failed');
    expect(t.live('dev', 'config/app.yml')).toContain('schema: x');
    expect(t.live('dev', 'dags/a.py')).toBe('A = 1\n');
    // The target is usable again afterwards (its lock was released).
    await t.deploy('dev');
    expect(t.live('dev', 'dags/a.py')).toBe('A = 2\n');
  });

  it('rolls back to the previous release, then further back, never toggling', async () => {
    const t = setup();
    const ids: string[] = [];
    for (const v of ['10', '20', '30']) {
      t.write('dags/a.py', `A = ${v}\n`);
      t.commit(`v${v}`);
      ids.push((await t.deploy('dev')).planned.plan.release.id);
    }
    const back = await planRollback(t.ctx, 'dev');
    expect(back.plan).toMatchObject({ mode: 'rollback', release: { id: ids[1] }, promotion: { ok: true } });
    await applyPlan(t.ctx, back);
    expect(t.live('dev', 'dags/a.py')).toBe('A = 20\n');
    expect((await history(t.ctx.ledger, 'dev'))[0]).toMatchObject({ releaseId: ids[1], rollbackOf: ids[2] });

    await applyPlan(t.ctx, await planRollback(t.ctx, 'dev'));
    expect(t.live('dev', 'dags/a.py')).toBe('A = 10\n');
    await expect(planRollback(t.ctx, 'dev')).rejects.toMatchObject({ code: 'FERRY_NOTHING_TO_ROLLBACK' });

    const to3 = await planRollback(t.ctx, 'dev', ids[2]!.slice(0, 10));
    expect(to3.plan.release.id).toBe(ids[2]);
  });

  it('rollback needs an earlier release', async () => {
    const t = setup();
    await expect(planRollback(t.ctx, 'dev')).rejects.toMatchObject({ code: 'FERRY_NOTHING_TO_ROLLBACK' });
    await t.deploy('dev');
    await expect(planRollback(t.ctx, 'dev')).rejects.toMatchObject({ code: 'FERRY_NOTHING_TO_ROLLBACK' });
    await expect(planRollback(t.ctx, 'dev', 'abcdef')).rejects.toMatchObject({ code: 'FERRY_RELEASE_NOT_FOUND' });
  });

  it('verification catches a hand-edited target, records it, and that blocks promotion', async () => {
    const t = setup();
    await t.deploy('staging');
    fs.writeFileSync(path.join(t.dir, 'live/staging/dags/a.py'), 'A = "hotfix"\n');
    fs.writeFileSync(path.join(t.dir, 'live/staging/dags/extra.py'), 'X = 1\n');
    const v = await verifyEnvironment(t.ctx, 'staging');
    expect(v.ok).toBe(false);
    expect(v.problems[0]).toMatchObject({ code: 'FERRY_TARGET_DRIFT' });
    expect(v.problems[0]!.message).toMatch(/changed a\.py, unexpected extra\.py/);
    expect((await history(t.ctx.ledger, 'staging'))[0]!.verification).toBe('failed');
    const plan = await planDeploy(t.ctx, 'prod', await buildRelease(t.ctx));
    expect(plan.plan.promotion.detail).toMatch(/failed verification/);
  });

  it('applies a plan with destructive steps in a requires_approval environment only with that plan\'s digest', async () => {
    const destructiveKinds: ArtifactKind[] = KINDS.map((k) =>
      k.name === 'dags' ? { ...k, plan: async (...args) => ({ ...(await k.plan(...args)), destructive: ['full refresh of fct_orders'] }) } : k,
    );
    const t = setup(destructiveKinds);
    fs.writeFileSync(path.join(t.dir, 'ferry.yml'), FERRY_YML.replace('  - name: dev\n', '  - name: dev\n    requires_approval: true\n'));
    const ctx = { ...t.ctx, config: loadConfig(path.join(t.dir, 'ferry.yml')) };
    const release = await buildRelease(ctx);
    const planned = await planDeploy(ctx, 'dev', release);
    expect(planned.plan.approval).toMatchObject({ required: true, reason: 'full refresh of fct_orders in dev, which requires approval' });
    expect(planned.plan.approval.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(planMarkdown(planned.plan)).toContain(`Plan digest \`${planned.plan.approval.digest}\``);
    await expect(applyPlan(ctx, planned)).rejects.toMatchObject({ code: 'FERRY_APPROVAL_REQUIRED' });
    await expect(applyPlan({ ...ctx, approvedPlan: 'f'.repeat(64) }, planned)).rejects.toThrow(/the approval given names plan ffffffffffff/);
    expect(fs.existsSync(path.join(t.dir, 'live/dev'))).toBe(false);
    // The same plan again has the same digest: an approval survives re-planning an unchanged state.
    expect((await planDeploy(ctx, 'dev', release)).plan.approval.digest).toBe(planned.plan.approval.digest);
    await applyPlan({ ...ctx, approvedPlan: planned.plan.approval.digest.slice(0, 16) }, planned);
    expect(t.live('dev', 'dags/a.py')).toBe('A = 1\n');
    // Without requires_approval the step is only reported.
    const staging = await planDeploy(ctx, 'staging', release);
    expect(staging.plan.approval).toMatchObject({ required: false, reason: 'full refresh of fct_orders' });
  });

  it('reports status per environment', async () => {
    const t = setup();
    await t.deploy('dev');
    await verifyEnvironment(t.ctx, 'dev');
    const rows = await status(t.ctx);
    expect(rows.map((r) => [r.environment, r.deployment?.verification ?? null])).toEqual([
      ['dev', 'verified'],
      ['staging', null],
      ['prod', null],
    ]);
    expect(rows[2]).toMatchObject({ production: true, requires: 'staging' });
  });
});
