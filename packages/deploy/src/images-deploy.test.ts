import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FerryError, loadConfig, MemoryRunner, type KindPlan } from '@ferry/core';
import { imagesKind } from '@ferry/kinds';
import { history, LocalFileLedger } from '@ferry/ledger';
import { buildRelease, LocalReleaseStore } from '@ferry/release';
import { gitRepo } from '../../../test/support/git-repo.js';
import { pushImage, pushIndex, startRegistry, tagDigest, type TestRegistry } from '../../../test/support/registry.js';
import { applyPlan } from './apply.js';
import type { DeployContext } from './context.js';
import { planDeploy } from './plan.js';
import { planMarkdown, planText } from './render.js';
import { planRollback } from './rollback.js';
import { verifyEnvironment } from './verify.js';

let upstream: TestRegistry;
let prodRegistry: TestRegistry;
const savedInsecure = process.env.FERRY_REGISTRY_INSECURE;

beforeAll(async () => {
  // Upstream and staging share one registry (blobs are mounted); prod is another registry with basic auth (blobs are copied).
  [upstream, prodRegistry] = await Promise.all([startRegistry(), startRegistry({ auth: 'basic' })]);
  process.env.FERRY_REGISTRY_INSECURE = `${upstream.host},${prodRegistry.host}`;
}, 60_000);

afterAll(async () => {
  if (savedInsecure === undefined) delete process.env.FERRY_REGISTRY_INSECURE;
  else process.env.FERRY_REGISTRY_INSECURE = savedInsecure;
  await Promise.all([upstream, prodRegistry].filter(Boolean).map((r) => r.stop()));
});

function setup(repo: string) {
  const u = upstream.host;
  const dir = gitRepo(
    {
      'ferry.yml': `project: demo
artifacts:
  dags: { path: dags }
  images:
    - name: etl
      image: ${u}/${repo}/etl:1.4
    - name: web
      image: ${u}/${repo}/web:2
environments:
  - name: dev
    targets:
      dags: { kind: local, path: live/dev/dags }
  - name: staging
    targets:
      dags: { kind: local, path: live/staging/dags }
      images: { kind: registry, repository: "${u}/${repo}-staging/{name}", tag: staging }
  - name: prod
    requires: staging
    targets:
      dags: { kind: local, path: live/prod/dags }
      images: { kind: registry, repository: "${prodRegistry.host}/${repo}/{name}", tag: prod }
`,
      '.gitignore': 'live/\n.ferry/\n',
      'dags/a.py': 'A = 1\n',
    },
    { prefix: 'ferry-images-' },
  );
  const runner = new MemoryRunner();
  const key = prodRegistry.host.replace(/[^0-9A-Za-z]/g, '_').toUpperCase();
  const secrets: Record<string, string> = { [`FERRY_REGISTRY_${key}_USERNAME`]: 'ci', [`FERRY_REGISTRY_${key}_PASSWORD`]: 'ci-password' };
  const config = loadConfig(path.join(dir, 'ferry.yml'));
  const ctx: DeployContext = {
    config,
    runner,
    ledger: new LocalFileLedger(path.join(dir, '.ferry/ledger.json')),
    store: new LocalReleaseStore(config.release.store),
    secret: (n) => {
      const v = secrets[n];
      if (v) runner.mask(v);
      return v;
    },
  };
  return { dir, ctx, runner };
}

const imagesOf = (kp: { kinds: KindPlan[] }) => kp.kinds.find((k) => k.kind === 'images')!;

describe('images kind: pin at build, promote by digest at deploy', () => {
  it('pins digests in the release, promotes them per environment, and a moved upstream tag makes a new release that plans an update', async () => {
    const etl = await pushImage(upstream, 'p1/etl', '1.4', { seed: 'p1-etl-1.4' });
    const web = await pushIndex(upstream, 'p1/web', '2', ['linux/amd64', 'linux/arm64'], { seed: 'p1-web-2' });
    const t = setup('p1');

    const r1 = await buildRelease(t.ctx);
    const art = r1.manifest.artifacts.find((a) => a.kind === 'images')!;
    expect(art.files).toEqual([]);
    expect(art.meta).toEqual({
      images: [
        { name: 'etl', image: `${upstream.host}/p1/etl:1.4`, ref: `${upstream.host}/p1/etl@${etl.digest}`, digest: etl.digest, mediaType: 'application/vnd.oci.image.manifest.v1+json' },
        { name: 'web', image: `${upstream.host}/p1/web:2`, ref: `${upstream.host}/p1/web@${web.digest}`, digest: web.digest, mediaType: 'application/vnd.oci.image.index.v1+json', platforms: ['linux/amd64', 'linux/arm64'] },
      ],
    });
    // Same upstream digests: same release.
    expect((await buildRelease(t.ctx)).manifest.id).toBe(r1.manifest.id);

    // dev has no images target: pinned, not promoted.
    const dev = await planDeploy(t.ctx, 'dev', r1);
    expect(imagesOf(dev.plan)).toMatchObject({ changes: [], unchanged: 2 });
    expect(imagesOf(dev.plan).notes[0]).toMatch(/pinned in the release, not promoted here \(dev has no targets.images\)/);
    expect(planMarkdown(dev.plan)).toContain('#### Images: pinned in the release, not promoted here');
    await applyPlan(t.ctx, dev);

    // staging: two new tags, staged by digest (mounted from upstream), committed by tag.
    const staging = await planDeploy(t.ctx, 'staging', r1);
    expect(imagesOf(staging.plan).changes.map((c) => [c.action, c.path, c.after])).toEqual([
      ['create', 'etl', etl.digest],
      ['create', 'web', web.digest],
    ]);
    const md = planMarkdown(staging.plan);
    expect(md).toContain('#### Images: 2 promotion(s) by digest');
    expect(md).toContain(`| etl | \`${upstream.host}/p1-staging/etl:staging\` | \`${etl.digest.slice(0, 19)}…\` | (new tag) | create |`);
    expect(planText(staging.plan)).toContain(`images: web → ${upstream.host}/p1-staging/web:staging new tag at ${web.digest.slice(0, 19)}…`);
    const applied = await applyPlan(t.ctx, staging);
    expect(applied.stats.written).toBeGreaterThan(0);
    expect(await tagDigest(upstream, 'p1-staging/etl', 'staging')).toBe(etl.digest);
    expect(await tagDigest(upstream, 'p1-staging/web', 'staging')).toBe(web.digest);
    expect((await verifyEnvironment(t.ctx, 'staging')).ok).toBe(true);
    expect((await planDeploy(t.ctx, 'staging', r1)).plan).toMatchObject({ changed: false, counts: { create: 0, update: 0 } });

    // prod is another registry with basic auth: blobs are pulled and pushed, credentials come through ctx.secret (masked).
    await applyPlan(t.ctx, await planDeploy(t.ctx, 'prod', r1));
    expect(await tagDigest(prodRegistry, 'p1/etl', 'prod')).toBe(etl.digest);
    expect(await tagDigest(prodRegistry, 'p1/web', 'prod')).toBe(web.digest);
    expect(t.runner.everything()).not.toContain('ci-password');

    // Upstream moves etl:1.4: the next build pins another digest, so it is another release.
    const etl2 = await pushImage(upstream, 'p1/etl', '1.4', { seed: 'p1-etl-1.4-rebuilt' });
    const r2 = await buildRelease(t.ctx);
    expect(r2.manifest.id).not.toBe(r1.manifest.id);
    const next = await planDeploy(t.ctx, 'staging', r2);
    expect(next.plan.counts).toMatchObject({ create: 0, update: 1 });
    expect(imagesOf(next.plan).changes).toEqual([
      expect.objectContaining({ kind: 'images', path: 'etl', action: 'update', before: etl.digest, after: etl2.digest }),
    ]);
    expect(imagesOf(next.plan).unchanged).toBe(1);
    expect(planMarkdown(next.plan)).toMatch(/\| web \| .* \| unchanged \|/);
    await applyPlan(t.ctx, next);
    expect(await tagDigest(upstream, 'p1-staging/etl', 'staging')).toBe(etl2.digest);

    // Rolling staging back re-promotes the digest the earlier release pinned.
    const back = await planRollback(t.ctx, 'staging');
    expect(imagesOf(back.plan).changes).toEqual([expect.objectContaining({ action: 'update', before: etl2.digest, after: etl.digest })]);
    await applyPlan(t.ctx, back);
    expect(await tagDigest(upstream, 'p1-staging/etl', 'staging')).toBe(etl.digest);
    expect((await history(t.ctx.ledger, 'staging')).map((d) => d.outcome)).toEqual(['success', 'success', 'success']);
  });

  it('fails the build when a tag cannot be resolved, naming the image and its key', async () => {
    await pushImage(upstream, 'p2/etl', '1.4', { seed: 'p2-etl' });
    const t = setup('p2');
    const e = (await buildRelease(t.ctx).then(
      () => undefined,
      (x: unknown) => x,
    )) as FerryError;
    expect(e).toBeInstanceOf(FerryError);
    expect(e).toMatchObject({ problems: [{ code: 'FERRY_REGISTRY_NOT_FOUND', location: { key: 'artifacts.images[1].image' } }] });
    expect(e.problems[0]!.message).toContain(`image web: ${upstream.host}/p2/web:2: no such tag`);
  });

  it('validates references and targets without the network', async () => {
    const t = setup('p3');
    t.ctx.config.artifacts.images = [
      { name: 'etl', image: 'ghcr.io/Acme/etl:1' },
      { name: 'etl', image: 'ghcr.io/acme/etl:1' },
    ];
    t.ctx.config.environments[1]!.images = { kind: 'registry', repository: 'ghcr.io/acme/staging', tag: 'bad tag' };
    const ps = await imagesKind.validate(t.ctx);
    expect(ps.map((p) => [p.code, p.location?.key])).toEqual([
      ['FERRY_IMAGE_REF', 'artifacts.images[0].image'],
      ['FERRY_CONFIG_INVALID', 'artifacts.images[1].name'],
      ['FERRY_IMAGE_REF', 'environments[1].targets.images.tag'],
      ['FERRY_CONFIG_INVALID', 'environments[1].targets.images.repository'],
    ]);
  });

  it('reverts moved tags: after commit on request, and by itself when a later tag of the same commit fails', async () => {
    const etl = await pushImage(upstream, 'p4/etl', '1.4', { seed: 'p4-etl-a' });
    const web = await pushImage(upstream, 'p4/web', '2', { seed: 'p4-web-a' });
    const t = setup('p4');
    const r1 = await buildRelease(t.ctx);
    const first = { env: t.ctx.config.environments[1]!, release: r1, artifact: r1.manifest.artifacts.find((a) => a.kind === 'images')! };
    // Reverting a new tag: distribution 2.x cannot delete a tag alone, so it stays, with a warning.
    const created = await imagesKind.stage(t.ctx, first, await imagesKind.plan(t.ctx, first));
    await created.commit();
    await created.revert();
    expect(t.runner.logs.filter((l) => l.level === 'warning').map((l) => l.message)).toEqual([
      expect.stringMatching(/p4-staging\/web:staging was new in this deploy and stays at sha256:.*: the registry cannot delete a tag alone \(HTTP 400/),
      expect.stringMatching(/p4-staging\/etl:staging was new in this deploy/),
    ]);
    expect(await tagDigest(upstream, 'p4-staging/etl', 'staging')).toBe(etl.digest);
    const etlB = await pushImage(upstream, 'p4/etl', '1.4', { seed: 'p4-etl-b' });
    const webB = await pushImage(upstream, 'p4/web', '2', { seed: 'p4-web-b' });
    const r2 = await buildRelease(t.ctx);
    const input = () => ({ env: t.ctx.config.environments[1]!, release: r2, artifact: r2.manifest.artifacts.find((a) => a.kind === 'images')! });

    // Revert after a commit (what the deploy does when a later kind fails to switch).
    const kp = await imagesKind.plan(t.ctx, input());
    const staged = await imagesKind.stage(t.ctx, input(), kp);
    expect(await tagDigest(upstream, 'p4-staging/etl', 'staging')).toBe(etl.digest);
    await staged.commit();
    expect(await tagDigest(upstream, 'p4-staging/etl', 'staging')).toBe(etlB.digest);
    expect(await tagDigest(upstream, 'p4-staging/web', 'staging')).toBe(webB.digest);
    await staged.revert();
    expect(await tagDigest(upstream, 'p4-staging/etl', 'staging')).toBe(etl.digest);
    expect(await tagDigest(upstream, 'p4-staging/web', 'staging')).toBe(web.digest);

    // Someone moves the web tag between plan and commit: etl, already moved, goes back; nothing is left half-switched.
    const kp2 = await imagesKind.plan(t.ctx, input());
    const staged2 = await imagesKind.stage(t.ctx, input(), kp2);
    const other = await pushImage(upstream, 'p4-staging/web', 'staging', { seed: 'p4-web-someone-else' });
    await expect(staged2.commit()).rejects.toMatchObject({ code: 'FERRY_TARGET_DRIFT' });
    expect(await tagDigest(upstream, 'p4-staging/etl', 'staging')).toBe(etl.digest);
    expect(await tagDigest(upstream, 'p4-staging/web', 'staging')).toBe(other.digest);

    // verify names the drift.
    const problems = await imagesKind.verify(t.ctx, input());
    expect(problems.map((p) => p.code)).toEqual(['FERRY_TARGET_DRIFT', 'FERRY_TARGET_DRIFT']);
    expect(problems[1]!.message).toContain(`names ${other.digest}, the release pins ${webB.digest}`);
  });
});
