import { createHash } from 'node:crypto';
import { FerryError, problem } from '@ferry/core';
import { algorithmOf, blobsOf, digestOf, isIndex, MANIFEST_ACCEPT, manifestMediaType, notAnImage, platformOf, type Descriptor, type Manifest, type ManifestJson } from './media.js';
import { formatRef, isDigest, isTag, parseImageRef, parseRepository, pinnedRef, type ImageRef } from './reference.js';
import { Transport, type TransportOptions } from './transport.js';

/** A repository in a registry: where manifests and blobs live. */
export interface Repo {
  registry: string;
  repository: string;
}

export interface RegistryClientOptions extends TransportOptions {
  /**
   * Blobs up to this size are uploaded in one PUT; larger ones in PATCH
   * chunks of this size (default 16 MiB), so a copy between registries holds
   * one chunk in memory at a time.
   */
  chunkSize?: number;
  /** Blobs copied at once (default 4). */
  concurrency?: number;
}

/** A tag (or digest) resolved to the manifest it names now. */
export interface ResolvedImage {
  /** The reference as given, parsed and normalised. */
  ref: ImageRef;
  digest: string;
  mediaType: string;
  size: number;
  /** `registry/repository@digest`. */
  pinned: string;
  /** For a multi-platform index: "linux/amd64", "linux/arm64/v8", … */
  platforms?: string[];
}

export interface CopyStats {
  blobsCopied: number;
  blobsMounted: number;
  /** Blobs the target already had (HEAD). */
  blobsSkipped: number;
  manifestsPushed: number;
  /** Manifests the target already had by digest. */
  manifestsSkipped: number;
  bytesCopied: number;
}

export interface CopyResult {
  digest: string;
  mediaType: string;
  /** The top manifest as copied: `tag()` and reverts put exactly these bytes. */
  manifest: Manifest;
  stats: CopyStats;
}

const emptyStats = (): CopyStats => ({ blobsCopied: 0, blobsMounted: 0, blobsSkipped: 0, manifestsPushed: 0, manifestsSkipped: 0, bytesCopied: 0 });

const pull = (r: Repo) => `repository:${r.repository}:pull`;
const push = (r: Repo) => `repository:${r.repository}:pull,push`;
const enc = (repository: string) => repository.split('/').map(encodeURIComponent).join('/');

/**
 * A client for the OCI distribution API (/v2/): resolves tags to digests,
 * copies images by digest between repositories and registries, and moves
 * tags. Every manifest read is checked against its digest.
 */
export class RegistryClient {
  readonly transport: Transport;
  private readonly chunkSize: number;
  private readonly concurrency: number;

  constructor(opts: RegistryClientOptions = {}) {
    this.transport = new Transport(opts);
    this.chunkSize = opts.chunkSize ?? 16 << 20;
    this.concurrency = Math.max(1, opts.concurrency ?? 4);
  }

  /**
   * What `image` names now: HEAD the manifest (cheap, and not counted as a
   * pull by Docker Hub), then GET it by that digest to check the bytes, that
   * it is an image, and which platforms an index holds. A reference with a
   * digest is checked the same way.
   */
  async resolve(image: string | ImageRef): Promise<ResolvedImage> {
    const ref = typeof image === 'string' ? parseImageRef(image) : image;
    const repo = { registry: ref.registry, repository: ref.repository };
    let digest = ref.digest;
    if (!digest) {
      const head = await this.headManifest(repo, ref.tag!);
      if (!head) throw this.unknown(ref);
      digest = head.digest;
    }
    const m = await this.getManifest(repo, digest ?? ref.tag!, `image ${formatRef(ref)}`);
    const why = notAnImage(m);
    if (why) throw new FerryError(problem('FERRY_REGISTRY_NOT_IMAGE', `${formatRef(ref)} is not a container image: ${why}`));
    const platforms = isIndex(m) ? [...new Set((m.json.manifests ?? []).map(platformOf).filter((p): p is string => Boolean(p)))] : undefined;
    return { ref, digest: m.digest, mediaType: m.mediaType, size: m.bytes.length, pinned: pinnedRef(ref, m.digest), ...(platforms ? { platforms } : {}) };
  }

  /**
   * The digest and media type `reference` (tag or digest) names in `repo`, or
   * undefined when there is no such manifest. Uses HEAD; when the registry
   * sends no `Docker-Content-Digest`, GETs the manifest and hashes it.
   */
  async headManifest(repo: Repo, reference: string): Promise<{ digest: string; mediaType: string; size: number } | undefined> {
    const what = `manifest ${repo.registry}/${repo.repository}${refSuffix(reference)}`;
    const res = await this.transport.request({
      method: 'HEAD',
      registry: repo.registry,
      path: `/v2/${enc(repo.repository)}/manifests/${encodeURIComponent(reference)}`,
      scopes: [pull(repo)],
      headers: { accept: MANIFEST_ACCEPT },
      expect: [200, 404],
      what,
    });
    if (res.status === 404) return undefined;
    const digest = res.headers.get('docker-content-digest');
    if (digest && isDigest(digest) && (!isDigest(reference) || reference === digest)) {
      return { digest, mediaType: (res.headers.get('content-type') ?? '').split(';')[0]!.trim(), size: Number(res.headers.get('content-length') ?? 0) };
    }
    const m = await this.getManifest(repo, reference, what, true);
    return m ? { digest: m.digest, mediaType: m.mediaType, size: m.bytes.length } : undefined;
  }

  /** A manifest by tag or digest, its bytes checked against the digest (the requested one, or the one the registry names). */
  async getManifest(repo: Repo, reference: string, what?: string): Promise<Manifest>;
  async getManifest(repo: Repo, reference: string, what: string | undefined, allowMissing: true): Promise<Manifest | undefined>;
  async getManifest(repo: Repo, reference: string, what?: string, allowMissing = false): Promise<Manifest | undefined> {
    const label = what ?? `manifest ${repo.registry}/${repo.repository}${refSuffix(reference)}`;
    const res = await this.transport.request({
      method: 'GET',
      registry: repo.registry,
      path: `/v2/${enc(repo.repository)}/manifests/${encodeURIComponent(reference)}`,
      scopes: [pull(repo)],
      headers: { accept: MANIFEST_ACCEPT },
      expect: allowMissing ? [200, 404] : [200],
      what: label,
    });
    if (res.status === 404) {
      await res.body?.cancel().catch(() => {});
      return undefined;
    }
    const bytes = Buffer.from(await res.arrayBuffer());
    const named = isDigest(reference) ? reference : res.headers.get('docker-content-digest');
    const algorithm = named && isDigest(named) ? algorithmOf(named) : 'sha256';
    const digest = digestOf(bytes, algorithm);
    if (named && isDigest(named) && named !== digest) {
      throw new FerryError(problem('FERRY_REGISTRY_DIGEST', `${label}: the registry says ${named}, but the ${bytes.length} bytes it sent hash to ${digest}`));
    }
    let json: ManifestJson;
    try {
      json = JSON.parse(bytes.toString('utf8')) as ManifestJson;
    } catch {
      throw new FerryError(problem('FERRY_REGISTRY_NOT_IMAGE', `${label} is not a JSON manifest (content type ${res.headers.get('content-type') ?? 'none'})`));
    }
    if (!json || typeof json !== 'object') throw new FerryError(problem('FERRY_REGISTRY_NOT_IMAGE', `${label} is not a manifest`));
    return { digest, mediaType: manifestMediaType(res.headers.get('content-type'), json), bytes, json };
  }

  /**
   * Copies the image `from` (which must carry a digest) into `to`, by
   * digest: every blob (skipped when present; mounted from the source
   * repository on the same registry; else streamed across), then the child
   * manifests of an index, then the top manifest, each PUT by its digest.
   * Nothing a reader of a tag sees changes; `opts.tag` then moves that tag
   * (see `tag`). Safe to run again: what is there is skipped.
   */
  async copy(from: string | ImageRef, to: string | Repo, opts: { tag?: string } = {}): Promise<CopyResult> {
    const src = typeof from === 'string' ? parseImageRef(from) : from;
    if (!src.digest) throw new FerryError(problem('FERRY_IMAGE_REF', `copy needs the source by digest (name@sha256:…), got ${formatRef(src)}`));
    const dst = typeof to === 'string' ? parseRepository(to) : to;
    const source = { registry: src.registry, repository: src.repository };
    const stats = emptyStats();
    const top = await this.getManifest(source, src.digest, `image ${pinnedRef(src, src.digest)}`);
    const why = notAnImage(top);
    if (why) throw new FerryError(problem('FERRY_REGISTRY_NOT_IMAGE', `${pinnedRef(src, src.digest)} is not a container image: ${why}`));
    await this.copyManifest(source, dst, top, stats);
    if (opts.tag) await this.tag(dst, opts.tag, top);
    return { digest: top.digest, mediaType: top.mediaType, manifest: top, stats };
  }

  /**
   * Points `tag` in `repo` at `manifest` (already pushed by digest): one PUT
   * by tag, the atomic switch, then reads the tag back and fails unless it
   * names `manifest.digest`.
   */
  async tag(repo: Repo, tag: string, manifest: Manifest): Promise<void> {
    if (!isTag(tag)) throw new FerryError(problem('FERRY_IMAGE_REF', `"${tag}" is not a valid tag`));
    await this.putManifest(repo, tag, manifest);
    const back = await this.headManifest(repo, tag);
    if (back?.digest !== manifest.digest) {
      throw new FerryError(
        problem('FERRY_REGISTRY_DIGEST', `${repo.registry}/${repo.repository}:${tag} reads back as ${back?.digest ?? 'missing'} right after ferry pointed it at ${manifest.digest} (another writer moved it?)`),
      );
    }
  }

  /**
   * Removes `tag` (OCI distribution 1.1 `DELETE /manifests/<tag>`). Registries
   * that cannot delete a tag alone (distribution 2.x) answer an error: the
   * result says so and nothing changes.
   */
  async untag(repo: Repo, tag: string): Promise<{ deleted: boolean; reason?: string }> {
    try {
      const res = await this.transport.request({
        method: 'DELETE',
        registry: repo.registry,
        path: `/v2/${enc(repo.repository)}/manifests/${encodeURIComponent(tag)}`,
        scopes: [`repository:${repo.repository}:delete`, push(repo)],
        expect: [200, 202, 400, 404, 405],
        what: `tag ${repo.registry}/${repo.repository}:${tag}`,
      });
      const text = await res.text().catch(() => '');
      if (res.status === 202 || res.status === 200) return { deleted: true };
      return { deleted: false, reason: `HTTP ${res.status}${text ? ` ${text.replace(/\s+/g, ' ').slice(0, 160)}` : ''}` };
    } catch (e) {
      return { deleted: false, reason: (e as Error).message.split('\n')[0] };
    }
  }

  /** Whether `repo` holds the blob. */
  async hasBlob(repo: Repo, digest: string): Promise<boolean> {
    const res = await this.transport.request({
      method: 'HEAD',
      registry: repo.registry,
      path: `/v2/${enc(repo.repository)}/blobs/${digest}`,
      scopes: [push(repo)],
      expect: [200, 404],
      what: `blob ${digest.slice(0, 19)} in ${repo.registry}/${repo.repository}`,
    });
    return res.status === 200;
  }

  private async copyManifest(src: Repo, dst: Repo, m: Manifest, stats: CopyStats): Promise<void> {
    if (await this.hasManifest(dst, m.digest)) {
      // A registry accepts a manifest only once everything it references is there.
      stats.manifestsSkipped++;
      return;
    }
    if (isIndex(m)) {
      for (const child of m.json.manifests ?? []) {
        const cm = await this.getManifest(src, child.digest, `manifest ${pinnedRef(src, child.digest)} (${platformOf(child) ?? child.mediaType})`);
        await this.copyManifest(src, dst, cm, stats);
      }
    } else {
      await this.parallel(blobsOf(m), (d) => this.copyBlob(src, dst, d, stats));
    }
    await this.putManifest(dst, m.digest, m);
    stats.manifestsPushed++;
  }

  private async hasManifest(repo: Repo, digest: string): Promise<boolean> {
    const res = await this.transport.request({
      method: 'HEAD',
      registry: repo.registry,
      path: `/v2/${enc(repo.repository)}/manifests/${digest}`,
      scopes: [push(repo)],
      headers: { accept: MANIFEST_ACCEPT },
      expect: [200, 404],
      what: `manifest ${pinnedRef(repo, digest)}`,
    });
    return res.status === 200;
  }

  private async putManifest(repo: Repo, reference: string, m: Manifest): Promise<void> {
    const what = `manifest ${repo.registry}/${repo.repository}${refSuffix(reference)}`;
    const res = await this.transport.request({
      method: 'PUT',
      registry: repo.registry,
      path: `/v2/${enc(repo.repository)}/manifests/${encodeURIComponent(reference)}`,
      scopes: [push(repo)],
      headers: { 'content-type': m.mediaType },
      body: m.bytes,
      expect: [200, 201],
      what,
    });
    await res.body?.cancel().catch(() => {});
    const said = res.headers.get('docker-content-digest');
    if (said && isDigest(said) && algorithmOf(said) === algorithmOf(m.digest) && said !== m.digest) {
      throw new FerryError(problem('FERRY_REGISTRY_DIGEST', `${what}: the registry stored it as ${said}, expected ${m.digest}`));
    }
  }

  /** One blob into `dst`: skipped when there, mounted within a registry, else streamed from `src`. */
  private async copyBlob(src: Repo, dst: Repo, d: Descriptor, stats: CopyStats): Promise<void> {
    if (await this.hasBlob(dst, d.digest)) {
      stats.blobsSkipped++;
      return;
    }
    const uploads = `/v2/${enc(dst.repository)}/blobs/uploads/`;
    const what = `blob ${d.digest.slice(0, 19)} → ${dst.registry}/${dst.repository}`;
    let location: string | undefined;
    if (src.registry === dst.registry && src.repository !== dst.repository) {
      const res = await this.transport.request({
        method: 'POST',
        registry: dst.registry,
        path: `${uploads}?mount=${encodeURIComponent(d.digest)}&from=${encodeURIComponent(src.repository)}`,
        scopes: [push(dst), pull(src)],
        
        expect: [201, 202],
        what: `mount of ${what}`,
      });
      await res.body?.cancel().catch(() => {});
      if (res.status === 201) {
        stats.blobsMounted++;
        return;
      }
      // 202: the registry would not mount (e.g. no pull access to the source) and opened an upload instead.
      location = res.headers.get('location') ?? undefined;
    }
    if (!location) {
      const res = await this.transport.request({ method: 'POST', registry: dst.registry, path: uploads, scopes: [push(dst)], expect: [202], what: `upload of ${what}` });
      await res.body?.cancel().catch(() => {});
      location = res.headers.get('location') ?? undefined;
      if (!location) throw new FerryError(problem('FERRY_REGISTRY_HTTP', `upload of ${what}: the registry opened an upload without a Location`));
    }
    const base = this.transport.baseUrl(dst.registry);
    location = new URL(location, base).toString();
    try {
      const bytes = await this.streamBlob(src, dst, d, location, what);
      stats.bytesCopied += bytes;
      stats.blobsCopied++;
    } catch (e) {
      // Leave no upload session behind; the registry would expire it anyway.
      await this.transport.request({ method: 'DELETE', registry: dst.registry, path: location, scopes: [push(dst)], expect: [204, 404, 400, 405], what: `cancel ${what}` }).catch(() => undefined);
      throw e;
    }
  }

  /**
   * GETs the blob and uploads it: one PUT when it fits in a chunk, else PATCH
   * chunks (Content-Range) and a closing PUT. Checks size and digest before
   * the closing PUT, so a corrupt copy is never committed.
   */
  private async streamBlob(src: Repo, dst: Repo, d: Descriptor, location: string, what: string): Promise<number> {
    const res = await this.transport.request({
      method: 'GET',
      registry: src.registry,
      path: `/v2/${enc(src.repository)}/blobs/${d.digest}`,
      scopes: [pull(src)],
      expect: [200],
      what: `blob ${pinnedRef(src, d.digest)}`,
      stream: true,
    });
    if (!res.body) throw new FerryError(problem('FERRY_REGISTRY_HTTP', `blob ${pinnedRef(src, d.digest)}: empty response`));
    const chunked = d.size > this.chunkSize;
    const hash = createHash(algorithmOf(d.digest));
    let url = location;
    let received = 0;
    let sent = 0;
    let pending: Buffer[] = [];
    let pendingSize = 0;
    const patch = async (chunk: Buffer) => {
      const r = await this.transport.request({
        method: 'PATCH',
        registry: dst.registry,
        path: url,
        scopes: [push(dst)],
        headers: { 'content-type': 'application/octet-stream', 'content-range': `${sent}-${sent + chunk.length - 1}` },
        body: chunk,
        expect: [202],
        what: `chunk of ${what}`,
      });
      await r.body?.cancel().catch(() => {});
      url = new URL(r.headers.get('location') ?? url, this.transport.baseUrl(dst.registry)).toString();
      sent += chunk.length;
    };
    for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) {
      const buf = Buffer.from(part);
      hash.update(buf);
      received += buf.length;
      pending.push(buf);
      pendingSize += buf.length;
      if (chunked && pendingSize >= this.chunkSize) {
        let all = Buffer.concat(pending);
        while (all.length >= this.chunkSize) {
          await patch(all.subarray(0, this.chunkSize));
          all = all.subarray(this.chunkSize);
        }
        pending = all.length ? [all] : [];
        pendingSize = all.length;
      }
    }
    const got = `${algorithmOf(d.digest)}:${hash.digest('hex')}`;
    if (got !== d.digest || received !== d.size) {
      throw new FerryError(problem('FERRY_REGISTRY_DIGEST', `blob ${pinnedRef(src, d.digest)}: ${received} bytes hashing to ${got} arrived (the manifest says ${d.size} bytes)`));
    }
    const rest = Buffer.concat(pending);
    if (chunked && rest.length) await patch(rest);
    const done = new URL(url);
    done.searchParams.set('digest', d.digest);
    const put = await this.transport.request({
      method: 'PUT',
      registry: dst.registry,
      path: done.toString(),
      scopes: [push(dst)],
      headers: chunked ? {} : { 'content-type': 'application/octet-stream' },
      body: chunked ? undefined : rest,
      expect: [201],
      what: `upload of ${what}`,
    });
    await put.body?.cancel().catch(() => {});
    return received;
  }

  private async parallel<T>(items: T[], fn: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const workers = Array.from({ length: Math.min(this.concurrency, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    });
    await Promise.all(workers);
  }

  private unknown(ref: ImageRef): FerryError {
    return new FerryError(
      problem('FERRY_REGISTRY_NOT_FOUND', `${formatRef(ref)}: no such tag in ${ref.registry}/${ref.repository} (or the repository does not exist)`, {
        hint: 'Check the tag, and push the image before building the release.',
      }),
    );
  }
}

function refSuffix(reference: string): string {
  return isDigest(reference) ? `@${reference}` : `:${reference}`;
}
