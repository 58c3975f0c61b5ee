import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
// Types only: the SDK (~300 ms to import) is loaded on first use, so commands
// and deploys that touch no S3 target do not pay for it.
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import { fail, hashFile, type ApplyStats, type ReleaseFile, type Runner, type SourceTree, type Staged, type Target, type TargetState } from '@ferry/core';
import { awsCode, s3Error } from './errors.js';
import { checkPath, contentType, MARKER_PATH, normalisePrefix, RESERVED } from './keys.js';
import { MARKER_FORMAT, parseMarker, type S3Marker } from './marker.js';
import { forEachLimit } from './pool.js';

/** User metadata holding each object's sha256 (sent as `x-amz-meta-ferry-sha256`). */
export const SHA256_METADATA = 'ferry-sha256';

/** The `kind: s3` entry of ferry.yml (defaults applied by the schema; optional here for direct use). */
export interface S3TargetOptions {
  bucket: string;
  prefix?: string;
  region?: string;
  endpoint?: string;
  force_path_style?: boolean;
  concurrency?: number;
}

/** Knobs for tests and benchmarks. */
export interface S3TargetInternals {
  /** A ready client (tests add fault-injecting middleware to it). */
  client?: S3Client;
  /** Files larger than this go up as multipart uploads (default 64 MiB). */
  multipartThreshold?: number;
  /** Part size of multipart uploads (default 16 MiB; S3's minimum is 5 MiB). */
  partSize?: number;
}

interface Listed {
  key: string;
  etag: string;
  size: number;
  /** Known content hash: from the marker (ETag unchanged since ferry recorded it) or from the object's metadata. */
  sha256?: string;
}

type Sdk = typeof import('@aws-sdk/client-s3');
let sdkLoading: Promise<Sdk> | undefined;
const sdk = (): Promise<Sdk> => (sdkLoading ??= import('@aws-sdk/client-s3'));

const SHA_RE = /^[0-9a-f]{64}$/;
const MIB = 1 << 20;
/** Up to this much of what a commit overwrites or deletes is kept in memory, so revert() can put it back. */
const BACKUP_MAX_BYTES = 256 * MIB;
const BACKUP_MAX_OBJECTS = 5000;

/**
 * An S3 bucket and prefix: MWAA's DAG folder model (and any S3-compatible
 * store through `endpoint` + `force_path_style`). Credentials and region come
 * from the AWS SDK's default chain (environment, shared config/credentials
 * files and profiles, web identity token, container/instance metadata), so
 * OIDC through aws-actions/configure-aws-credentials works unchanged.
 *
 * Incremental deploys: the prefix is listed once (1 request per 1,000 keys)
 * and compared with the release's sha256 hashes. Every object ferry uploads
 * carries its sha256 as metadata (`x-amz-meta-ferry-sha256`); the marker
 * object `<prefix>.ferry/release.json` records each object's sha256 and the
 * ETag S3 returned for it. An object whose listed ETag is still the recorded
 * one needs no further request; any other object (changed behind ferry's
 * back, uploaded by an interrupted deploy, or never deployed by ferry) is
 * asked for its metadata with one HEAD request. ETags are only compared for
 * equality, never taken for content hashes (multipart and SSE-KMS ETags are
 * not MD5s). What differs (hash mismatch, or no ferry metadata) is uploaded;
 * what the release removed is deleted (DeleteObjects, 1,000 keys a request);
 * the marker is written last.
 *
 * Not atomic. S3 has no rename or swap, and MWAA reads one fixed prefix, so
 * readers can see a mix of two releases while a deploy runs (uploads first,
 * then deletes: a file moved from a.py to b.py exists twice for a moment,
 * never zero times). To make an interruption visible, commit first writes the
 * marker with `status: "in-progress"` naming the release being deployed and
 * the one it replaces; only the final marker says `complete`. `state()` then
 * reports the unfinished deploy (and takes the files from the listing, so the
 * next plan is right), and the next apply converges to its release.
 *
 * Two-phase protocol, honestly mapped: `stage()` lists, decides what to
 * upload and delete, and extracts the changed files to a temporary folder —
 * nothing visible changes. `commit()` does all the writes (so it is not one
 * atomic step). `abort()` removes the temporary folder. `revert()` cannot
 * restore the previous release (its bytes are gone from an unversioned
 * bucket): it logs a warning and leaves the new release; the deploy is then
 * recorded as failed, and a rollback deploy of the previous release restores
 * it.
 *
 * No lock: S3 offers none that every S3-compatible store supports. Deploys to
 * one environment are serialised by the deploy ledger's stale-plan check and
 * the workflow's concurrency group; commit also refuses when the marker
 * changed since staging (another deploy got there first).
 *
 * Requests: state() 1 GET (marker; plus the listing and HEADs below when the
 * last deploy did not finish). A deploy: 1 GET (marker) + 1 LIST per 1,000
 * keys + 1 HEAD per unrecognised object + 1 PUT per changed file (multipart
 * above 64 MiB) + 1 POST per 1,000 deletes + 1 HEAD and 2 PUTs (markers; none
 * when nothing changed). The marker holds ~190 bytes per file (path, sha256,
 * ETag): ~1.9 MB for 10,000 files, read by plan and stage, written twice.
 * scan() (verify): 1 LIST per 1,000 keys + 1 HEAD per object + 1 GET (a full
 * download, hashed) per object without ferry metadata; it trusts the metadata
 * ferry wrote rather than downloading every object.
 */
export class S3Target implements Target {
  readonly description: string;
  readonly bucket: string;
  /** Normalised: "" or ending in "/". */
  readonly prefix: string;
  private readonly config: S3TargetOptions;
  private clientLoading?: Promise<S3Client>;
  private readonly concurrency: number;
  private readonly multipartThreshold: number;
  private readonly partSize: number;

  constructor(config: S3TargetOptions, internals: S3TargetInternals = {}) {
    this.bucket = config.bucket;
    this.prefix = normalisePrefix(config.prefix ?? '', config.bucket);
    this.description = `s3://${this.bucket}/${this.prefix}${config.endpoint ? ` (${config.endpoint})` : ''}`;
    this.concurrency = config.concurrency ?? 16;
    this.multipartThreshold = internals.multipartThreshold ?? 64 * MIB;
    this.partSize = internals.partSize ?? 16 * MIB;
    this.config = config;
    if (internals.client) this.clientLoading = Promise.resolve(internals.client);
  }

  /** The SDK client (created on first use, with the SDK's default credential and region chain). */
  client(): Promise<S3Client> {
    return (this.clientLoading ??= sdk().then((m) => new m.S3Client(clientConfig(this.config, this.concurrency))));
  }

  private get markerKey(): string {
    return this.prefix + MARKER_PATH;
  }

  async state(): Promise<TargetState> {
    const { marker } = await this.readMarker();
    if (marker?.status === 'complete') return { releaseId: marker.releaseId, files: new Map(Object.entries(marker.files)), notes: [] };
    if (marker) {
      // The prefix holds a mix of two releases: report what is actually there.
      const objects = await this.survey(marker);
      const files = new Map<string, string>();
      for (const [p, o] of objects) if (o.sha256) files.set(p, o.sha256);
      return { releaseId: undefined, files, notes: [unfinishedNote(this.description, marker)] };
    }
    const some = await this.list(10);
    const notes = some.size
      ? [
          `${this.description} holds objects but no ferry marker (${MARKER_PATH}): the first deploy keeps the objects whose ${SHA256_METADATA} metadata matches the release, uploads the others, and deletes every object under the prefix that the release does not contain`,
        ]
      : [];
    return { releaseId: undefined, files: new Map(), notes };
  }

  async scan(): Promise<Map<string, string>> {
    const { m, client } = await this.s3();
    const listed = await this.list();
    const out = new Map<string, string>();
    await forEachLimit([...listed], this.concurrency, async ([p, o]) => {
      const head = await this.call(`HeadObject ${o.key}`, () => client.send(new m.HeadObjectCommand({ Bucket: this.bucket, Key: o.key })));
      const meta = head.Metadata?.[SHA256_METADATA];
      out.set(p, meta && SHA_RE.test(meta) ? meta : await this.downloadHash(o.key));
    });
    return out;
  }

  async stage(source: SourceTree, releaseId: string, runner: Runner): Promise<Staged> {
    for (const f of source.files) checkPath(f.path, this.prefix, this.description);
    const { marker, etag: markerEtag } = await this.readMarker();
    const objects = await this.survey(marker, runner);
    const wanted = new Map(source.files.map((f) => [f.path, f.sha256]));
    const upload: ReleaseFile[] = source.files.filter((f) => objects.get(f.path)?.sha256 !== f.sha256);
    const remove = [...objects.keys()].filter((p) => !wanted.has(p)).sort();
    const stats: ApplyStats = {
      written: upload.length,
      reused: source.files.length - upload.length,
      removed: remove.length,
      bytesWritten: upload.reduce((s, f) => s + f.size, 0),
    };
    const previousReleaseId = marker?.status === 'complete' ? marker.releaseId : marker?.previousReleaseId;
    const markerCurrent =
      marker?.status === 'complete' &&
      marker.releaseId === releaseId &&
      Object.keys(marker.files).length === wanted.size &&
      [...wanted].every(([p, sha]) => marker.files[p] === sha && marker.etags[p] === objects.get(p)?.etag);
    const nothingToDo = upload.length === 0 && remove.length === 0 && markerCurrent;

    // Changed files come out of the release now, so a bad bundle fails before anything is written.
    let tmp: string | undefined;
    const dropTmp = async () => {
      if (tmp) await fsp.rm(tmp, { recursive: true, force: true });
      tmp = undefined;
    };
    if (upload.length) {
      tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'ferry-s3-'));
      try {
        await source.extract(
          upload.map((f) => f.path),
          tmp,
        );
        await forEachLimit(upload, 8, async (f) => {
          const got = await hashFile(path.join(tmp!, f.path));
          if (got.sha256 !== f.sha256) fail('FERRY_RELEASE_TAMPERED', `${f.path} extracted for ${this.description} has sha256 ${got.sha256.slice(0, 12)}…, the release says ${f.sha256.slice(0, 12)}…`);
        });
      } catch (e) {
        await dropTmp();
        throw e;
      }
    }
    runner.debug(`${this.description}: ${upload.length} to upload, ${remove.length} to delete, ${stats.reused} unchanged${nothingToDo ? ' (marker current: nothing to write)' : ''}`);

    // An unversioned bucket keeps no earlier copy: keep the bytes this commit
    // overwrites or deletes (usually a handful) so revert() can put them back.
    const touched = [...upload.filter((f) => objects.has(f.path)).map((f) => f.path), ...remove];
    const touchedBytes = touched.reduce((n, p) => n + (objects.get(p)?.size ?? 0), 0);
    let backup: Map<string, { data: Buffer; sha256: string }> | undefined;
    if (touched.length <= BACKUP_MAX_OBJECTS && touchedBytes <= BACKUP_MAX_BYTES) {
      try {
        backup = await this.fetchAll(touched.map((p) => [p, objects.get(p)!]));
      } catch (e) {
        await dropTmp();
        throw e;
      }
    } else {
      runner.debug(`${this.description}: ${touched.length} object(s), ${touchedBytes} bytes would be overwritten or deleted: too much to keep for revert()`);
    }

    let state: 'staged' | 'committing' | 'committed' | 'failed' | 'done' = 'staged';
    return {
      stats,
      commit: async () => {
        if (state !== 'staged') throw new Error(`cannot commit a ${state} change`);
        state = 'committing';
        try {
          if (!nothingToDo) {
            await this.checkMarkerUnchanged(markerEtag);
            const known = Object.fromEntries([...objects].filter(([, o]) => o.sha256).map(([p, o]) => [p, o.sha256!]));
            const knownEtags = Object.fromEntries([...objects].filter(([, o]) => o.sha256).map(([p, o]) => [p, o.etag]));
            if (upload.length || remove.length) {
              await this.writeMarker({ format: MARKER_FORMAT, status: 'in-progress', releaseId, previousReleaseId, at: new Date().toISOString(), files: known, etags: knownEtags });
            }
            const etags = new Map<string, string>();
            for (const [p] of wanted) {
              const o = objects.get(p);
              if (o) etags.set(p, o.etag);
            }
            let done = 0;
            await forEachLimit(upload, this.concurrency, async (f) => {
              etags.set(f.path, await this.put(f, tmp!));
              runner.progress('upload', ++done, upload.length);
            });
            await this.deleteAll(remove.map((p) => objects.get(p)!.key));
            await this.writeMarker({
              format: MARKER_FORMAT,
              status: 'complete',
              releaseId,
              at: new Date().toISOString(),
              files: Object.fromEntries(wanted),
              etags: Object.fromEntries([...wanted.keys()].map((p) => [p, etags.get(p) ?? ''])),
            });
            runner.info(`${this.description}: uploaded ${upload.length} file(s) (${stats.bytesWritten} bytes), deleted ${remove.length}, kept ${stats.reused}`);
          }
          state = 'committed';
        } catch (e) {
          state = 'failed';
          throw e;
        } finally {
          await dropTmp();
        }
      },
      abort: async () => {
        await dropTmp();
        if (state === 'staged') state = 'done';
      },
      revert: async () => {
        if (state !== 'committed' || nothingToDo) return;
        state = 'done';
        if (!backup) {
          runner.warning(
            `${this.description} is not reverted: the objects this deploy replaced were too large to keep, so it still holds release ${releaseId.slice(0, 12)}` +
              `${previousReleaseId ? ` (not ${previousReleaseId.slice(0, 12)})` : ''}. The deploy is recorded as failed; deploy the previous release again (ferry rollback) to restore it.`,
          );
          return;
        }
        // Same order as a deploy: the marker says "in progress" until the prefix is whole again.
        await this.writeMarker({ format: MARKER_FORMAT, status: 'in-progress', releaseId: previousReleaseId ?? '', previousReleaseId: releaseId, at: new Date().toISOString(), files: {}, etags: {} });
        const etags: Record<string, string> = {};
        await forEachLimit([...backup], this.concurrency, async ([p, b]) => {
          etags[p] = await this.putBytes(p, b.data, b.sha256);
        });
        await this.deleteAll(upload.filter((f) => !objects.has(f.path)).map((f) => this.prefix + f.path));
        if (marker) await this.writeMarker({ ...marker, at: new Date().toISOString(), etags: { ...marker.etags, ...etags } });
        else await this.deleteAll([this.markerKey]);
        runner.warning(`${this.description}: reverted to ${previousReleaseId ? `release ${previousReleaseId.slice(0, 12)}` : 'what it held before'} (${backup.size} object(s) put back)`);
      },
    };
  }

  // ------------------------------------------------------------ S3 calls

  private async call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw s3Error(e, this, operation);
    }
  }

  /** The loaded SDK module and this target's client. */
  private async s3(): Promise<{ m: Sdk; client: S3Client }> {
    const [m, client] = await Promise.all([sdk(), this.client()]);
    return { m, client };
  }

  /** Every object under the prefix (paged, 1,000 keys a request), minus ferry's own and folder placeholders. Stops early once `max` are found. */
  private async list(max?: number): Promise<Map<string, Listed>> {
    const { m, client } = await this.s3();
    const out = new Map<string, Listed>();
    let token: string | undefined;
    do {
      const page = await this.call(`ListObjectsV2 ${this.prefix || '(whole bucket)'}`, () =>
        client.send(new m.ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix || undefined, ContinuationToken: token, MaxKeys: max })),
      );
      for (const o of page.Contents ?? []) {
        if (!o.Key?.startsWith(this.prefix)) continue;
        const rel = o.Key.slice(this.prefix.length);
        if (rel === '' || rel.endsWith('/') || rel.startsWith(RESERVED)) continue;
        out.set(rel, { key: o.Key, etag: o.ETag ?? '', size: o.Size ?? 0 });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token && !(max && out.size >= max));
    return out;
  }

  /** The listing, each object's sha256 filled in from the marker (same ETag) or its metadata (one HEAD each). */
  private async survey(marker: S3Marker | undefined, runner?: Runner): Promise<Map<string, Listed>> {
    const { m, client } = await this.s3();
    const listed = await this.list();
    const unknown: [string, Listed][] = [];
    for (const [p, o] of listed) {
      const sha = marker?.files[p];
      if (sha && o.etag && marker?.etags[p] === o.etag) o.sha256 = sha;
      else unknown.push([p, o]);
    }
    let done = 0;
    await forEachLimit(unknown, this.concurrency, async ([, o]) => {
      const head = await this.call(`HeadObject ${o.key}`, () => client.send(new m.HeadObjectCommand({ Bucket: this.bucket, Key: o.key })));
      const meta = head.Metadata?.[SHA256_METADATA];
      if (meta && SHA_RE.test(meta)) o.sha256 = meta;
      if (head.ETag) o.etag = head.ETag;
      runner?.progress('read metadata', ++done, unknown.length);
    });
    runner?.debug(`${this.description}: listed ${listed.size} object(s); ${unknown.length} not in the marker with the same ETag, read their metadata`);
    return listed;
  }

  private async readMarker(): Promise<{ marker?: S3Marker; etag?: string }> {
    try {
      const { m, client } = await this.s3();
      const res = await client.send(new m.GetObjectCommand({ Bucket: this.bucket, Key: this.markerKey }));
      const text = (await res.Body?.transformToString('utf8')) ?? '';
      return { marker: parseMarker(text), etag: res.ETag };
    } catch (e) {
      if (['NoSuchKey', 'NotFound'].includes(awsCode(e))) return {};
      throw s3Error(e, this, `GetObject ${this.markerKey}`);
    }
  }

  /** Refuses to commit when another deploy rewrote the marker after this one was staged. */
  private async checkMarkerUnchanged(seen: string | undefined): Promise<void> {
    const { m, client } = await this.s3();
    let now: string | undefined;
    try {
      now = (await client.send(new m.HeadObjectCommand({ Bucket: this.bucket, Key: this.markerKey }))).ETag;
    } catch (e) {
      if (!['NoSuchKey', 'NotFound'].includes(awsCode(e))) throw s3Error(e, this, `HeadObject ${this.markerKey}`);
    }
    if (now !== seen) {
      fail('FERRY_LOCKED', `${this.description}: ${MARKER_PATH} changed since this deploy was staged: another deploy is writing to the prefix`, {
        hint: 'Wait for the other deploy, then plan and apply again (a workflow `concurrency:` group per environment prevents this).',
      });
    }
  }

  private async writeMarker(marker: S3Marker): Promise<void> {
    const { m, client } = await this.s3();
    await this.call(`PutObject ${this.markerKey}`, () =>
      client.send(
        new m.PutObjectCommand({
          Bucket: this.bucket,
          Key: this.markerKey,
          Body: JSON.stringify(marker),
          ContentType: 'application/json',
          CacheControl: 'no-cache',
        }),
      ),
    );
  }

  /** Uploads one extracted file with its sha256 as metadata; returns the ETag S3 gave it. */
  private async put(f: ReleaseFile, dir: string): Promise<string> {
    const key = this.prefix + f.path;
    const file = path.join(dir, f.path);
    const params = { Bucket: this.bucket, Key: key, ContentType: contentType(f.path), Metadata: { [SHA256_METADATA]: f.sha256 } };
    const { m, client } = await this.s3();
    if (f.size > this.multipartThreshold) {
      const { Upload } = await import('@aws-sdk/lib-storage');
      const upload = new Upload({ client, params: { ...params, Body: fs.createReadStream(file) }, partSize: this.partSize, queueSize: 4, leavePartsOnError: false });
      const res = await this.call(`multipart upload ${key}`, () => upload.done());
      return res.ETag ?? '';
    }
    const body = await fsp.readFile(file).catch((e: Error) => fail('FERRY_TARGET_IO', `${this.description}: cannot read the staged copy of ${f.path}: ${e.message}`));
    const res = await this.call(`PutObject ${key}`, () => client.send(new m.PutObjectCommand({ ...params, Body: body, ContentLength: body.length })));
    return res.ETag ?? '';
  }

  /** The current bytes of these objects, and their sha256 (from metadata, else computed). */
  private async fetchAll(items: [string, Listed][]): Promise<Map<string, { data: Buffer; sha256: string }>> {
    const { m, client } = await this.s3();
    const out = new Map<string, { data: Buffer; sha256: string }>();
    await forEachLimit(items, this.concurrency, async ([p, o]) => {
      const res = await this.call(`GetObject ${o.key}`, () => client.send(new m.GetObjectCommand({ Bucket: this.bucket, Key: o.key })));
      const data = Buffer.from(await res.Body!.transformToByteArray());
      out.set(p, { data, sha256: o.sha256 ?? createHash('sha256').update(data).digest('hex') });
    });
    return out;
  }

  /** Puts bytes back under a path of the prefix, with their sha256 as metadata; returns the new ETag. */
  private async putBytes(p: string, data: Buffer, sha256: string): Promise<string> {
    const { m, client } = await this.s3();
    const key = this.prefix + p;
    const res = await this.call(`PutObject ${key}`, () =>
      client.send(new m.PutObjectCommand({ Bucket: this.bucket, Key: key, Body: data, ContentLength: data.length, ContentType: contentType(p), Metadata: { [SHA256_METADATA]: sha256 } })),
    );
    return res.ETag ?? '';
  }

  private async deleteAll(keys: string[]): Promise<void> {
    const { m, client } = await this.s3();
    const batches: string[][] = [];
    for (let i = 0; i < keys.length; i += 1000) batches.push(keys.slice(i, i + 1000));
    await forEachLimit(batches, Math.min(this.concurrency, 4), async (batch) => {
      const res = await this.call(`DeleteObjects (${batch.length} keys)`, () =>
        client.send(new m.DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } })),
      );
      const errors = res.Errors ?? [];
      if (errors.length) {
        const first = errors[0]!;
        throw s3Error(
          { name: first.Code, Code: first.Code, message: `${errors.length} key(s) not deleted, first ${first.Key}: ${first.Message ?? ''}`, $metadata: { httpStatusCode: first.Code === 'AccessDenied' ? 403 : undefined } },
          this,
          'DeleteObjects',
        );
      }
    });
  }

  private async downloadHash(key: string): Promise<string> {
    const { m, client } = await this.s3();
    const res = await this.call(`GetObject ${key}`, () => client.send(new m.GetObjectCommand({ Bucket: this.bucket, Key: key })));
    const hash = createHash('sha256');
    for await (const chunk of res.Body as Readable) hash.update(chunk as Buffer);
    return hash.digest('hex');
  }
}

function clientConfig(config: S3TargetOptions, concurrency: number): S3ClientConfig {
  // The JS SDK reads AWS_REGION but not AWS_DEFAULT_REGION (which awscli and
  // configure-aws-credentials also set); S3-compatible stores rarely care.
  const region = config.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? (config.endpoint ? 'us-east-1' : undefined);
  const agent = { keepAlive: true, maxSockets: Math.max(concurrency, 8) };
  return {
    ...(region ? { region } : {}),
    ...(config.endpoint ? { endpoint: config.endpoint } : { followRegionRedirects: true }),
    forcePathStyle: config.force_path_style ?? false,
    requestHandler: { httpAgent: agent, httpsAgent: agent },
  };
}

function unfinishedNote(description: string, m: S3Marker): string {
  const id = (r: string | undefined) => (r ? `release ${r.slice(0, 12)}` : 'an empty prefix');
  return (
    `unfinished deploy: the last deploy to ${description} did not finish (started ${m.at}): it was replacing ${id(m.previousReleaseId)} with ${id(m.releaseId)}, ` +
    'so the prefix holds a mix of both. The next apply uploads what differs and deletes what its release lacks, converging to that release.'
  );
}
