import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { gitRepo } from '../../../test/support/git-repo.js';
import { loadConfig, MemoryRunner, type ApprovalRecord } from '@ferry/core';
import { history, LocalFileLedger } from '@ferry/ledger';
import { buildRelease, LocalReleaseStore } from '@ferry/release';
import { applyPlan } from './apply.js';
import type { DeployContext } from './context.js';
import { planDeploy } from './plan.js';
import { planMarkdown, planText } from './render.js';
import { planRollback } from './rollback.js';

const FERRY_YML = `project: demo
artifacts:
  dags: { path: dags }
environments:
  - name: prod
    targets:
      dags: { kind: local, path: live/prod/dags }
    freeze:
      - { name: Friday afternoons, cron: "0 16 * * 5", duration: 3h, timezone: Europe/Berlin }
`;

// Friday 27 November 2026, 16:30 in Berlin: inside the window (15:00Z-18:00Z).
const FROZEN = new Date('2026-11-27T15:30:00Z');
const THAWED = new Date('2026-11-27T12:00:00Z');

function setup() {
  const dir = gitRepo({ 'ferry.yml': FERRY_YML, '.gitignore': 'live/\n.ferry/\n', 'dags/a.py': 'A = 1\n' }, { prefix: 'ferry-freeze-' });
  const config = loadConfig(path.join(dir, 'ferry.yml'));
  let now = FROZEN;
  const ctx: DeployContext = { config, runner: new MemoryRunner(), ledger: new LocalFileLedger(path.join(dir, '.ferry/ledger.json')), store: new LocalReleaseStore(config.release.store), secret: () => undefined, now: () => now };
  return { dir, ctx, setNow: (d: Date) => (now = d) };
}

const approval = (releaseId: string, extra: Partial<ApprovalRecord> = {}): ApprovalRecord => ({
  mode: 'comment',
  environment: 'prod',
  releaseId,
  approvers: [{ login: 'alice', at: '2026-11-27T15:20:00Z' }],
  override: { window: 'Friday afternoons', reason: 'hotfix: orders backlog' },
  ...extra,
});

describe('freeze windows in the deploy core', () => {
  it('plans the active window (not part of the digest) and refuses to apply with FERRY_FROZEN naming window and end', async () => {
    const { ctx, setNow } = setup();
    const release = await buildRelease(ctx);
    const planned = await planDeploy(ctx, 'prod', release);
    expect(planned.plan.freeze).toEqual({ active: { window: 'Friday afternoons', startedAt: '2026-11-27T15:00:00Z', endsAt: '2026-11-27T18:00:00Z' }, next: expect.objectContaining({ startedAt: '2026-12-04T15:00:00Z' }) });
    expect(planMarkdown(planned.plan)).toContain("prod is frozen by window 'Friday afternoons' until 2026-11-27T18:00:00Z");
    expect(planText(planned.plan)).toContain("FROZEN: window 'Friday afternoons'");
    await expect(applyPlan(ctx, planned)).rejects.toMatchObject({ code: 'FERRY_FROZEN', message: expect.stringContaining("prod is frozen by window 'Friday afternoons' until 2026-11-27T18:00:00Z") });
    expect(await history(ctx.ledger, 'prod')).toEqual([]);

    setNow(THAWED);
    const later = await planDeploy(ctx, 'prod', release);
    expect(later.plan.freeze).toEqual({ next: expect.objectContaining({ window: 'Friday afternoons', startedAt: '2026-11-27T15:00:00Z' }) });
    expect(later.plan.approval.digest).toBe(planned.plan.approval.digest);
    expect(planMarkdown(later.plan)).toContain("Next freeze window: 'Friday afternoons'");
    await expect(applyPlan(ctx, later)).resolves.toMatchObject({ changed: true });
  });

  it('an override without a reason, for another window, or for another release is refused', async () => {
    const { ctx } = setup();
    const release = await buildRelease(ctx);
    const planned = await planDeploy(ctx, 'prod', release);
    const id = release.manifest.id;
    await expect(applyPlan({ ...ctx, approval: approval(id, { override: { window: 'Friday afternoons', reason: '  ' } }) }, planned)).rejects.toMatchObject({ code: 'FERRY_FROZEN', message: expect.stringContaining('has no reason') });
    await expect(applyPlan({ ...ctx, approval: approval(id, { override: { window: 'weekend', reason: 'x' } }) }, planned)).rejects.toMatchObject({ code: 'FERRY_FROZEN', message: expect.stringContaining("approved for window 'weekend'") });
    await expect(applyPlan({ ...ctx, approval: approval(id, { override: undefined }) }, planned)).rejects.toMatchObject({ code: 'FERRY_FROZEN' });
    await expect(applyPlan({ ...ctx, approval: approval('f'.repeat(64)) }, planned)).rejects.toMatchObject({ code: 'FERRY_APPROVAL_OTHER_RELEASE' });
    await expect(applyPlan({ ...ctx, approval: approval(id, { environment: 'staging' }) }, planned)).rejects.toMatchObject({ code: 'FERRY_APPROVAL_OTHER_RELEASE' });
    await expect(applyPlan({ ...ctx, approval: approval(id, { approvers: [] }) }, planned)).rejects.toMatchObject({ code: 'FERRY_APPROVAL_TOO_FEW' });
    expect(await history(ctx.ledger, 'prod')).toEqual([]);
  });

  it('an approved override deploys and is recorded in the ledger; a rollback in the window needs one too', async () => {
    const { ctx, setNow, dir } = setup();
    setNow(THAWED);
    const first = await buildRelease(ctx);
    await applyPlan(ctx, await planDeploy(ctx, 'prod', first));
    setNow(FROZEN);
    const { writeFiles, commitAll } = await import('../../../test/support/git-repo.js');
    writeFiles(dir, { 'dags/a.py': 'A = 2\n' });
    commitAll(dir, 'change');
    const second = await buildRelease(ctx);
    const a = approval(second.manifest.id.slice(0, 12));
    const result = await applyPlan({ ...ctx, approval: a }, await planDeploy(ctx, 'prod', second));
    expect(result.changed).toBe(true);
    const [rec] = await history(ctx.ledger, 'prod');
    expect(rec).toMatchObject({ releaseId: second.manifest.id, outcome: 'success', approval: a });
    expect((ctx.runner as MemoryRunner).logs.map((l) => l.message).join('\n')).toContain("overridden by alice: hotfix: orders backlog");

    const rb = await planRollback(ctx, 'prod');
    await expect(applyPlan(ctx, rb)).rejects.toMatchObject({ code: 'FERRY_FROZEN', message: expect.stringContaining('rollbacks are refused') });
  });
});
