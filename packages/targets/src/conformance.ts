import { describe, expect, it } from '@jest/globals';
import { applyTo, MemoryRunner, type SourceTree, type Target } from '@ferry/core';
import { memorySource } from './memory-source.js';

export interface ConformanceOptions {
  /**
   * What `revert()` after a commit does. `restores`: the previous tree is live
   * again (local directory: the old symlink target). `warns`: the target
   * cannot restore old bytes (S3 without versioning), so it keeps the new
   * release, consistent and fully marked, and says so with a runner warning;
   * a rollback deploy restores the old release.
   */
  revert?: 'restores' | 'warns';
}

/**
 * The behaviour every Target must have. Each implementation's test file calls
 * this with a factory returning a fresh, empty target.
 */
export function describeTargetConformance(name: string, fresh: () => Promise<Target>, opts: ConformanceOptions = {}): void {
  const runner = new MemoryRunner();
  const revert = opts.revert ?? 'restores';
  const v1 = { 'a.py': 'print(1)\n', 'pkg/b.py': 'B = 1\n', 'pkg/c.sql': 'select 1;\n' };
  const v2 = { 'a.py': 'print(2)\n', 'pkg/b.py': 'B = 1\n', 'new/d.py': 'D = 4\n' };

  describe(`Target conformance: ${name}`, () => {
    it('starts empty', async () => {
      const t = await fresh();
      const s = await t.state();
      expect(s.releaseId).toBeUndefined();
      expect(s.files.size).toBe(0);
      expect((await t.scan()).size).toBe(0);
    });

    it('holds exactly the applied tree and names its release', async () => {
      const t = await fresh();
      const src = memorySource(v1);
      const stats = await applyTo(t, src, 'r1', runner);
      expect(stats.written).toBe(3);
      const s = await t.state();
      expect(s.releaseId).toBe('r1');
      expect(Object.fromEntries(s.files)).toEqual(hashes(src));
      expect(Object.fromEntries(await t.scan())).toEqual(hashes(src));
    });

    it('writes only changed files and removes deleted ones', async () => {
      const t = await fresh();
      await applyTo(t, memorySource(v1), 'r1', runner);
      const src = memorySource(v2);
      const stats = await applyTo(t, src, 'r2', runner);
      expect(src.extracted.sort()).toEqual(['a.py', 'new/d.py']);
      expect(stats).toMatchObject({ written: 2, reused: 1, removed: 1 });
      expect(Object.fromEntries(await t.scan())).toEqual(hashes(src));
      expect((await t.state()).releaseId).toBe('r2');
    });

    it('re-applying the live release converges without rewriting', async () => {
      const t = await fresh();
      await applyTo(t, memorySource(v1), 'r1', runner);
      const again = memorySource(v1);
      await applyTo(t, again, 'r1', runner);
      expect(again.extracted).toEqual([]);
      expect((await t.state()).releaseId).toBe('r1');
    });

    it('keeps the old release live when apply fails halfway, and a re-run converges', async () => {
      const t = await fresh();
      const good = memorySource(v1);
      await applyTo(t, good, 'r1', runner);
      const broken: SourceTree = {
        files: memorySource(v2).files,
        async extract(paths, dir) {
          await memorySource(v2).extract(paths.slice(0, 1), dir);
          throw new Error('disk full (simulated)');
        },
      };
      await expect(applyTo(t, broken, 'r2', runner)).rejects.toThrow('disk full');
      expect((await t.state()).releaseId).toBe('r1');
      expect(Object.fromEntries(await t.scan())).toEqual(hashes(good));
      const retry = memorySource(v2);
      await applyTo(t, retry, 'r2', runner);
      expect((await t.state()).releaseId).toBe('r2');
      expect(Object.fromEntries(await t.scan())).toEqual(hashes(retry));
    });

    it('changes nothing readers see until commit; abort keeps the old release and frees the target', async () => {
      const t = await fresh();
      const good = memorySource(v1);
      await applyTo(t, good, 'r1', runner);
      const staged = await t.stage(memorySource(v2), 'r2', runner);
      expect((await t.state()).releaseId).toBe('r1');
      expect(Object.fromEntries(await t.scan())).toEqual(hashes(good));
      await staged.abort();
      expect((await t.state()).releaseId).toBe('r1');
      await applyTo(t, memorySource(v2), 'r2', runner);
      expect((await t.state()).releaseId).toBe('r2');
    });

    if (revert === 'restores') {
      it('reverts a committed change to the tree that was live before', async () => {
        const t = await fresh();
        const good = memorySource(v1);
        await applyTo(t, good, 'r1', runner);
        const staged = await t.stage(memorySource(v2), 'r2', runner);
        await staged.commit();
        expect((await t.state()).releaseId).toBe('r2');
        await staged.revert();
        expect((await t.state()).releaseId).toBe('r1');
        expect(Object.fromEntries(await t.scan())).toEqual(hashes(good));
      });
    } else {
      it('says it cannot revert a committed change, and keeps the new release whole', async () => {
        const t = await fresh();
        await applyTo(t, memorySource(v1), 'r1', runner);
        const own = new MemoryRunner();
        const src = memorySource(v2);
        const staged = await t.stage(src, 'r2', own);
        await staged.commit();
        await staged.revert();
        expect(own.logs.filter((l) => l.level === 'warning').map((l) => l.message).join('\n')).toMatch(/not reverted/);
        expect((await t.state()).releaseId).toBe('r2');
        expect(Object.fromEntries(await t.scan())).toEqual(hashes(src));
        // A rollback deploy is how the old release comes back.
        const back = memorySource(v1);
        await applyTo(t, back, 'r1', runner);
        expect(Object.fromEntries(await t.scan())).toEqual(hashes(back));
      });
    }

    it('abort after commit (what a failed multi-kind deploy does) leaves the committed release', async () => {
      const t = await fresh();
      await applyTo(t, memorySource(v1), 'r1', runner);
      const src = memorySource(v2);
      const staged = await t.stage(src, 'r2', runner);
      await staged.commit();
      await staged.abort();
      expect((await t.state()).releaseId).toBe('r2');
      expect(Object.fromEntries(await t.scan())).toEqual(hashes(src));
      await applyTo(t, memorySource(v1), 'r1', runner);
      expect((await t.state()).releaseId).toBe('r1');
    });

    it('applies a release after an aborted stage of it with the same result as a clean apply', async () => {
      const t = await fresh();
      await applyTo(t, memorySource(v1), 'r1', runner);
      await (await t.stage(memorySource(v2), 'r2', runner)).abort();
      const src = memorySource(v2);
      await applyTo(t, src, 'r2', runner);
      expect((await t.state()).releaseId).toBe('r2');
      expect(Object.fromEntries(await t.scan())).toEqual(hashes(src));
    });

    it('state() lists exactly the files of the release it names', async () => {
      const t = await fresh();
      await applyTo(t, memorySource(v1), 'r1', runner);
      const src = memorySource(v2);
      await applyTo(t, src, 'r2', runner);
      const s = await t.state();
      expect(s.releaseId).toBe('r2');
      expect(Object.fromEntries(s.files)).toEqual(hashes(src));
      expect(s.notes).toEqual([]);
    });

    it('can go back to an earlier release (rollback)', async () => {
      const t = await fresh();
      await applyTo(t, memorySource(v1), 'r1', runner);
      await applyTo(t, memorySource(v2), 'r2', runner);
      const back = memorySource(v1);
      await applyTo(t, back, 'r1', runner);
      expect((await t.state()).releaseId).toBe('r1');
      expect(Object.fromEntries(await t.scan())).toEqual(hashes(back));
    });

    it('handles a file turning into a folder', async () => {
      const t = await fresh();
      await applyTo(t, memorySource({ x: 'file' }), 'r1', runner);
      const src = memorySource({ 'x/y.py': 'nested' });
      await applyTo(t, src, 'r2', runner);
      expect(Object.fromEntries(await t.scan())).toEqual(hashes(src));
    });
  });
}

function hashes(src: SourceTree): Record<string, string> {
  return Object.fromEntries(src.files.map((f) => [f.path, f.sha256]));
}
