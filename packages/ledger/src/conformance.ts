import { describe, expect, it } from '@jest/globals';
import type { Ledger, StartDeployment } from '@ferry/core';
import { currentDeployment, history, latestOfRelease, rollbackCandidate } from './queries.js';

const start = (environment: string, releaseId: string, extra: Partial<StartDeployment> = {}): StartDeployment => ({
  environment,
  releaseId,
  version: `v-${releaseId.slice(0, 6)}`,
  commit: 'a'.repeat(40),
  ref: 'refs/heads/main',
  production: environment === 'prod',
  manifestDigest: 'd'.repeat(64),
  description: `deploy ${releaseId}`,
  ...extra,
});

const rid = (n: number) => n.toString(16).padStart(64, '0');

/** The behaviour every Ledger must have; each implementation's test calls this with a factory for an empty ledger. */
export function describeLedgerConformance(name: string, fresh: () => Promise<Ledger>, opts: { manyRecords?: number } = {}): void {
  describe(`Ledger conformance: ${name}`, () => {
    it('records a deployment from in progress to success, with its release facts', async () => {
      const l = await fresh();
      const r = await l.start(start('staging', rid(1), { commit: 'b'.repeat(40), ref: 'refs/tags/x' }));
      expect(r).toMatchObject({ environment: 'staging', releaseId: rid(1), outcome: 'in_progress', verification: null });
      expect(await currentDeployment(l, 'staging')).toBeUndefined();
      await l.finish(r.id, 'success', 'done');
      const cur = await currentDeployment(l, 'staging');
      expect(cur).toMatchObject({ id: r.id, releaseId: rid(1), version: `v-${rid(1).slice(0, 6)}`, commit: 'b'.repeat(40), ref: 'refs/tags/x', outcome: 'success' });
      expect(typeof cur!.createdAt).toBe('string');
      expect(cur!.creator).toBeTruthy();
    });

    it('keeps environments apart and failures out of "current"', async () => {
      const l = await fresh();
      const a = await l.start(start('dev', rid(1)));
      await l.finish(a.id, 'success', 'ok');
      const b = await l.start(start('dev', rid(2)));
      await l.finish(b.id, 'failure', 'boom');
      expect((await currentDeployment(l, 'dev'))!.releaseId).toBe(rid(1));
      expect(await currentDeployment(l, 'staging')).toBeUndefined();
      expect((await history(l, 'dev')).map((r) => r.outcome)).toEqual(['failure', 'success']);
    });

    it('records verification, and the latest deployment of a release answers for it', async () => {
      const l = await fresh();
      const a = await l.start(start('staging', rid(1)));
      await l.finish(a.id, 'success', 'ok');
      expect((await latestOfRelease(l, 'staging', rid(1)))!.verification).toBeNull();
      await l.verify(a.id, 'verified', 'smoke tests passed');
      const v = await latestOfRelease(l, 'staging', rid(1));
      expect(v!.verification).toBe('verified');
      expect(v!.verifiedAt).toBeTruthy();
      expect(await latestOfRelease(l, 'staging', rid(2))).toBeUndefined();
      const b = await l.start(start('staging', rid(3)));
      await l.finish(b.id, 'success', 'ok');
      await l.verify(b.id, 'failed', 'smoke tests failed');
      expect((await latestOfRelease(l, 'staging', rid(3)))!.verification).toBe('failed');
    });

    it('rolls back to the previous release, and further back on a second rollback', async () => {
      const l = await fresh();
      for (const n of [1, 2, 3]) {
        const r = await l.start(start('prod', rid(n)));
        await l.finish(r.id, 'success', 'ok');
      }
      const first = await rollbackCandidate(l, 'prod');
      expect(first.current!.releaseId).toBe(rid(3));
      expect(first.target!.releaseId).toBe(rid(2));
      const rb = await l.start(start('prod', rid(2), { rollbackOf: rid(3) }));
      await l.finish(rb.id, 'success', 'rolled back');
      expect((await currentDeployment(l, 'prod'))!.rollbackOf).toBe(rid(3));
      const second = await rollbackCandidate(l, 'prod');
      expect(second.current!.releaseId).toBe(rid(2));
      expect(second.target!.releaseId).toBe(rid(1));
    });

    it('stores the approval of a deployment (approvers, freeze override) and returns it', async () => {
      const l = await fresh();
      const approval = {
        mode: 'comment' as const,
        environment: 'prod',
        releaseId: rid(7),
        approvers: [{ login: 'alice', at: '2026-11-27T10:00:00Z' }, { login: 'bob', at: '2026-11-27T10:05:00Z' }],
        override: { window: 'Friday afternoons', reason: 'hotfix for the orders backlog' },
        url: 'https://github.com/acme/data/issues/3#issuecomment-1',
      };
      const r = await l.start(start('prod', rid(7), { approval }));
      expect(r.approval).toEqual(approval);
      await l.finish(r.id, 'success', 'ok');
      expect((await currentDeployment(l, 'prod'))!.approval).toEqual(approval);
      const plain = await l.start(start('prod', rid(8)));
      expect(plain.approval).toBeUndefined();
      expect((await history(l, 'prod'))[0]!.approval).toBeUndefined();
    });

    it('has nothing to roll back to with a single release', async () => {
      const l = await fresh();
      const r = await l.start(start('prod', rid(1)));
      await l.finish(r.id, 'success', 'ok');
      expect((await rollbackCandidate(l, 'prod')).target).toBeUndefined();
    });

    const many = opts.manyRecords ?? 120;
    it(`pages through all of history (${many} deployments), newest first`, async () => {
      const l = await fresh();
      const first = await l.start(start('dev', rid(10_000)));
      await l.finish(first.id, 'success', 'ok');
      await l.verify(first.id, 'verified', 'ok');
      for (let i = 1; i < many; i++) await l.start(start('dev', rid(i)));
      const all = await history(l, 'dev', 10_000);
      expect(all.length).toBe(many);
      expect(all[0]!.releaseId).toBe(rid(many - 1));
      // The only verified deployment is the oldest: finding it needs the last page.
      expect((await latestOfRelease(l, 'dev', rid(10_000)))!.verification).toBe('verified');
      expect((await currentDeployment(l, 'dev'))!.releaseId).toBe(rid(10_000));
    }, 120_000);
  });
}
