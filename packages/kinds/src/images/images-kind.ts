import path from 'node:path';
import { FerryError, problem, toProblems, type ArtifactKind, type Change, type KindContext, type KindPlan, type Problem, type ReleaseArtifact, type Staged } from '@ferry/core';
import {
  defaultCredentials,
  formatRef,
  insecureRegistries,
  isTag,
  parseImageRef,
  parseRepository,
  RegistryClient,
  type Manifest,
  type Repo,
} from '@ferry/registry';

/** One configured image as a release pins it (part of the release id: a moved tag gives another release). */
export interface PinnedImage {
  name: string;
  /** The reference as written in ferry.yml. */
  image: string;
  /** `registry/repository@digest`. */
  ref: string;
  digest: string;
  mediaType: string;
  /** Platforms of a multi-platform index. */
  platforms?: string[];
}

export interface ImagesMeta {
  images: PinnedImage[];
}

/** One image's promotion in one environment: what the plan saw and what apply does. */
export interface ImagePromotion {
  name: string;
  /** Pinned source, `registry/repository@digest`. */
  source: string;
  digest: string;
  /** Target repository, `registry/repository`. */
  repository: string;
  tag: string;
  /** Digest the target tag named when planned; null: no such tag yet. */
  before: string | null;
  action: 'create' | 'update' | 'noop';
}

export interface ImagesPlanDetails {
  pinned: PinnedImage[];
  promotions?: ImagePromotion[];
}

const NAME_SLOT = '{name}';
const short = (digest: string | null | undefined) => (digest ? `${digest.slice(0, 19)}…` : '(none)');

/** One client per deploy context, so tokens are reused from plan to commit. */
const clients = new WeakMap<KindContext, RegistryClient>();

/**
 * The registry client for a kind context: credentials from
 * FERRY_REGISTRY_<HOST>_USERNAME / _PASSWORD (the password through
 * `ctx.secret`, so it is masked when read) or Docker's config.json (masked
 * too); plain http only for loopback registries listed in
 * FERRY_REGISTRY_INSECURE.
 */
export function registryClient(ctx: KindContext): RegistryClient {
  let c = clients.get(ctx);
  if (!c) {
    c = new RegistryClient({
      credentials: defaultCredentials({ env: (n) => process.env[n] ?? ctx.secret(n), secret: (n) => ctx.secret(n), mask: (s) => ctx.runner.mask(s) }),
      insecure: insecureRegistries(),
      debug: (m) => ctx.runner.debug(`registry: ${m}`),
    });
    clients.set(ctx, c);
  }
  return c;
}

export function pinnedImages(artifact: ReleaseArtifact | undefined): PinnedImage[] {
  return ((artifact?.meta as ImagesMeta | undefined)?.images ?? []).slice();
}

/** `repository` with the image's name in place of {name}. */
export function targetRepository(template: string, name: string): string {
  return template.split(NAME_SLOT).join(name);
}

/**
 * Docker images, pinned by digest. build resolves every configured tag to the
 * digest it names now (a multi-platform index or a single manifest) and
 * records it in the release; a deploy promotes exactly that digest to the
 * environment's repository and tag: blobs and manifests are pushed by digest
 * while staging (invisible to anyone pulling the tag), and the commit moves
 * each tag with one PUT, then reads it back.
 */
export const imagesKind: ArtifactKind = {
  name: 'images',

  enabled: (config) => Boolean(config.artifacts.images?.length),

  async validate(ctx) {
    const { config } = ctx;
    const file = path.basename(config.file);
    const images = config.artifacts.images ?? [];
    const problems: Problem[] = [];
    const seen = new Set<string>();
    images.forEach((img, i) => {
      if (seen.has(img.name)) problems.push(problem('FERRY_CONFIG_INVALID', `image name "${img.name}" is used twice`, { location: { file, key: `artifacts.images[${i}].name` }, hint: 'Give every image a unique name.' }));
      seen.add(img.name);
      problems.push(...attempt(() => parseImageRef(img.image, { file, key: `artifacts.images[${i}].image` })));
    });
    config.environments.forEach((env, j) => {
      const t = env.images;
      if (!t) return;
      const key = `environments[${j}].targets.images`;
      if (!isTag(t.tag)) problems.push(problem('FERRY_IMAGE_REF', `environment "${env.name}": "${t.tag}" is not a valid tag`, { location: { file, key: `${key}.tag` } }));
      if (!t.repository.includes(NAME_SLOT) && images.length > 1) {
        problems.push(
          problem('FERRY_CONFIG_INVALID', `environment "${env.name}": repository "${t.repository}" has no {name}, so all ${images.length} images would share one repository and tag`, {
            location: { file, key: `${key}.repository` },
            hint: 'Write the repository with {name}, e.g. ghcr.io/acme/{name}.',
          }),
        );
      }
      for (const img of images.length ? images : [{ name: 'image' }]) {
        const ps = attempt(() => parseRepository(targetRepository(t.repository, img.name), { file, key: `${key}.repository` }));
        problems.push(...ps);
        if (ps.length) break;
      }
    });
    return problems;
  },

  async build(ctx) {
    const images = ctx.config.artifacts.images ?? [];
    const client = registryClient(ctx);
    const file = path.basename(ctx.config.file);
    const results = await Promise.allSettled(images.map((img) => client.resolve(parseImageRef(img.image))));
    const problems: Problem[] = [];
    const pinned: PinnedImage[] = [];
    results.forEach((r, i) => {
      const img = images[i]!;
      if (r.status === 'rejected') {
        problems.push(...toProblems(r.reason).map((p) => ({ ...p, message: `image ${img.name}: ${p.message}`, location: { file, key: `artifacts.images[${i}].image` } })));
        return;
      }
      const v = r.value;
      pinned.push({ name: img.name, image: img.image, ref: v.pinned, digest: v.digest, mediaType: v.mediaType, ...(v.platforms ? { platforms: v.platforms } : {}) });
      ctx.runner.info(`image ${img.name}: ${formatRef(v.ref)} → ${v.digest}${v.platforms ? ` (${v.platforms.join(', ')})` : ''}`);
    });
    if (problems.length) throw new FerryError(problems);
    pinned.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
    const meta: ImagesMeta = { images: pinned };
    return { kind: 'images', files: [], meta: meta as unknown as Record<string, unknown> };
  },

  async plan(ctx, { env, artifact, previous }) {
    const pinned = pinnedImages(artifact);
    const t = env.images;
    if (!t) {
      return {
        kind: 'images',
        changes: [],
        unchanged: pinned.length,
        notes: [`images: ${pinned.length} image(s) pinned in the release, not promoted here (${env.name} has no targets.images)`],
        details: { pinned } satisfies ImagesPlanDetails,
      };
    }
    const client = registryClient(ctx);
    const before = new Map(pinnedImages(previous).map((p) => [p.name, p.digest]));
    const notes: string[] = [];
    const promotions: ImagePromotion[] = [];
    for (const img of pinned) {
      const repo = parseRepository(targetRepository(t.repository, img.name));
      const now = (await client.headManifest(repo, t.tag))?.digest ?? null;
      const action = now === img.digest ? 'noop' : now ? 'update' : 'create';
      promotions.push({ name: img.name, source: img.ref, digest: img.digest, repository: `${repo.registry}/${repo.repository}`, tag: t.tag, before: now, action });
      const deployed = before.get(img.name);
      if (deployed && now !== deployed) notes.push(`images: ${repo.registry}/${repo.repository}:${t.tag} names ${short(now)}, not ${short(deployed)} that the deployed release pinned: it was moved outside ferry`);
    }
    const changes: Change[] = promotions
      .filter((p) => p.action !== 'noop')
      .map((p) => ({
        kind: 'images',
        path: p.name,
        action: p.action,
        reason: p.action === 'create' ? `new tag ${p.repository}:${p.tag} → ${short(p.digest)}` : `${p.repository}:${p.tag} moves from ${short(p.before)} to ${short(p.digest)}`,
        ...(p.before ? { before: p.before } : {}),
        after: p.digest,
      }));
    return {
      kind: 'images',
      target: `registry:${t.repository}:${t.tag}`,
      changes,
      unchanged: promotions.length - changes.length,
      notes,
      details: { pinned, promotions } satisfies ImagesPlanDetails,
    };
  },

  async stage(ctx, { env }, kp) {
    const promotions = ((kp.details as ImagesPlanDetails | undefined)?.promotions ?? []).filter((p) => p.action !== 'noop');
    const stats = { written: 0, reused: 0, removed: 0, bytesWritten: 0 };
    const nothing = async () => {};
    if (!env.images || promotions.length === 0) return { stats, commit: nothing, abort: nothing, revert: nothing };
    const client = registryClient(ctx);
    const staged: { p: ImagePromotion; repo: Repo; manifest: Manifest }[] = [];
    for (const p of promotions) {
      const repo = parseRepository(p.repository);
      // By digest only: whoever pulls the tag still gets what it named before.
      const r = await client.copy(p.source, repo);
      stats.written += r.stats.blobsCopied + r.stats.blobsMounted + r.stats.manifestsPushed;
      stats.reused += r.stats.blobsSkipped + r.stats.manifestsSkipped;
      stats.bytesWritten += r.stats.bytesCopied;
      ctx.runner.info(
        `image ${p.name}: staged ${short(p.digest)} in ${p.repository} (${r.stats.blobsCopied} blob(s) copied, ${r.stats.blobsMounted} mounted, ${r.stats.blobsSkipped} already there)`,
      );
      staged.push({ p, repo, manifest: r.manifest });
    }
    const moved: typeof staged = [];
    const moveBack = async (items: typeof staged) => {
      for (const s of [...items].reverse()) {
        const where = `${s.p.repository}:${s.p.tag}`;
        if (s.p.before) {
          await client.tag(s.repo, s.p.tag, await client.getManifest(s.repo, s.p.before));
          ctx.runner.info(`image ${s.p.name}: ${where} points at ${short(s.p.before)} again`);
        } else {
          const r = await client.untag(s.repo, s.p.tag);
          if (r.deleted) ctx.runner.info(`image ${s.p.name}: removed the new tag ${where}`);
          else ctx.runner.warning(`image ${s.p.name}: ${where} was new in this deploy and stays at ${short(s.p.digest)}: the registry cannot delete a tag alone (${r.reason})`);
        }
      }
    };
    return {
      stats,
      async commit() {
        try {
          for (const s of staged) {
            const now = (await client.headManifest(s.repo, s.p.tag))?.digest ?? null;
            if (now !== s.p.before && now !== s.p.digest) {
              throw new FerryError(
                problem('FERRY_TARGET_DRIFT', `${s.p.repository}:${s.p.tag} moved to ${short(now)} after the plan saw ${short(s.p.before)}: someone else is promoting to it`, { hint: 'Plan again.' }),
              );
            }
            // The atomic switch: one PUT by tag, then read back (client.tag fails unless the tag names the digest).
            await client.tag(s.repo, s.p.tag, s.manifest);
            moved.push(s);
            ctx.runner.info(`image ${s.p.name}: ${s.p.repository}:${s.p.tag} → ${s.p.digest}`);
          }
        } catch (e) {
          // The deploy does not revert a kind whose commit failed: put back the tags this commit already moved.
          await moveBack(moved).catch((re) => ctx.runner.warning(`images: could not move every tag back: ${(re as Error).message}`));
          moved.length = 0;
          throw e;
        }
      },
      // Manifests and blobs pushed by digest are invisible to tag users; the registry's garbage collection removes them.
      abort: nothing,
      async revert() {
        await moveBack(moved);
        moved.length = 0;
      },
    } satisfies Staged;
  },

  async verify(ctx, { env, artifact }) {
    const t = env.images;
    if (!t) return [];
    const client = registryClient(ctx);
    const problems: Problem[] = [];
    for (const img of pinnedImages(artifact)) {
      const repo = parseRepository(targetRepository(t.repository, img.name));
      const where = `${repo.registry}/${repo.repository}:${t.tag}`;
      const now = await client.headManifest(repo, t.tag).catch((e: unknown) => e as Error);
      if (now instanceof Error) problems.push(...toProblems(now));
      else if (now?.digest !== img.digest) {
        problems.push(
          problem('FERRY_TARGET_DRIFT', `image ${img.name}: ${where} names ${now ? now.digest : 'nothing (no such tag)'}, the release pins ${img.digest}`, {
            hint: 'Deploy the release again, or find out who moved the tag.',
          }),
        );
      }
    }
    return problems;
  },

  describePlan(kp) {
    const d = kp.details as ImagesPlanDetails | undefined;
    if (!d?.pinned.length) return { markdown: [], text: [] };
    const esc = (s: string) => s.replace(/\|/g, '\\|');
    if (!d.promotions) {
      return {
        markdown: [`#### Images: pinned in the release, not promoted here`, '', '| image | pinned |', '|---|---|', ...d.pinned.map((p) => `| ${esc(p.name)} | \`${esc(p.ref)}\` |`)],
        text: d.pinned.map((p) => `images: ${p.name} pinned ${p.ref} (not promoted here)`),
      };
    }
    const md = [`#### Images: ${d.promotions.filter((p) => p.action !== 'noop').length} promotion(s) by digest`, '', '| image | target | digest | now | change |', '|---|---|---|---|---|'];
    const text: string[] = [];
    for (const p of d.promotions) {
      md.push(`| ${esc(p.name)} | \`${esc(p.repository)}:${esc(p.tag)}\` | \`${short(p.digest)}\` | ${p.before ? `\`${short(p.before)}\`` : '(new tag)'} | ${p.action === 'noop' ? 'unchanged' : p.action} |`);
      text.push(`images: ${p.name} → ${p.repository}:${p.tag} ${p.action === 'noop' ? 'already at' : p.action === 'create' ? 'new tag at' : `from ${short(p.before)} to`} ${short(p.digest)}`);
    }
    md.push('', `Source images: ${d.pinned.map((p) => `\`${esc(p.ref)}\``).join(', ')}`);
    return { markdown: md, text };
  },
};

function attempt(fn: () => unknown): Problem[] {
  try {
    fn();
    return [];
  } catch (e) {
    return toProblems(e);
  }
}

/** @internal for tests: the plan details of an images KindPlan. */
export function imagePlanDetails(kp: KindPlan): ImagesPlanDetails | undefined {
  return kp.details as ImagesPlanDetails | undefined;
}
