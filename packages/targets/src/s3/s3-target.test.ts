import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { applyTo, FerryError, MemoryRunner, sha256, type SourceTree } from '@ferry/core';
import { S3RVER_CREDENTIALS, startS3rver, type S3rverProcess } from '../../../../test/support/s3rver.js';
import { describeTargetConformance } from '../conformance.js';
import { createTarget } from '../index.js';
import { memorySource } from '../memory-source.js';
import { MARKER_PATH } from './keys.js';
import type { S3Marker } from './marker.js';
import { S3Target, SHA256_METADATA, type S3TargetInternals } from './s3-target.js';

// Credentials through the standard chain (environment), as in CI after configure-aws-credentials.
const ENV = { ...S3RVER_CREDENTIALS, AWS_EC2_METADATA_DISABLED: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
const saved: Record<string, string | undefined> = {};
let s3: S3rverProcess;
let raw: S3Client;

beforeAll(async () => {
  for (const [k, v] of Object.entries(ENV)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  s3 = await startS3rver();
  raw = new S3Client({ endpoint: s3.endpoint, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
});

afterAll(async () => {
  raw?.destroy();
  await s3?.stop();
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

let buckets = 0;
async function bucket(): Promise<string> {
  const name = `ferry-t${++buckets}-${randomBytes(3).toString('hex')}`;
  await s3.createBucket(name);
  return name;
}

const target = (b: string, prefix = 'dags/', internals: S3TargetInternals = {}, concurrency = 8) =>
  new S3Target({ bucket: b, prefix, endpoint: s3.endpoint, force_path_style: true, concurrency }, internals);

async function keys(b: string, prefix?: string): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const page = await raw.send(new ListObjectsV2Command({ Bucket: b, Prefix: prefix, ContinuationToken: token }));
    out.push(...(page.Contents ?? []).map((o) => o.Key!));
    token = page.NextContinuationToken;
  } while (token);
  return out.sort();
}
const text = async (b: string, key: string) => (await raw.send(new GetObjectCommand({ Bucket: b, Key: key }))).Body!.transformToString();
const marker = async (b: string, prefix = 'dags/') => JSON.parse(await text(b, prefix + MARKER_PATH)) as S3Marker;
const put = (b: string, key: string, body: string, metadata?: Record<string, string>) =>
  raw.send(new PutObjectCommand({ Bucket: b, Key: key, Body: Buffer.from(body), ContentLength: Buffer.byteLength(body), Metadata: metadata }));
const hashes = (src: SourceTree) => Object.fromEntries(src.files.map((f) => [f.path, f.sha256]));
const warnings = (r: MemoryRunner) => r.logs.filter((l) => l.level === 'warning').map((l) => l.message);

/** Makes the target's client fail every PutObject of a release file after the first `n` (markers pass). */
async function failUploadsAfter(t: S3Target, n: number): Promise<void> {
  let uploads = 0;
  (await t.client()).middlewareStack.add(
    (next, context) => async (args) => {
      const key = (args.input as { Key?: string }).Key ?? '';
      if (context.commandName === 'PutObjectCommand' && !key.includes('.ferry/') && ++uploads > n) {
        throw Object.assign(new Error('socket hang up (simulated)'), { name: 'Error', code: 'ECONNRESET' });
      }
      return next(args);
    },
    { step: 'initialize', name: 'failUploadsAfter' },
  );
}

describeTargetConformance('S3 (s3rver), prefix dags/', async () => target(await bucket()));
describeTargetConformance('S3 (s3rver), whole bucket', async () => target(await bucket(), ''));

describe('S3Target specifics', () => {
  const runner = new MemoryRunner();
  const v1 = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`team${i % 3}/dag_${i}.py`, `DAG = ${i}\n`]));

  it('stores each file with its sha256 as metadata and a content type, and writes a complete marker last', async () => {
    const b = await bucket();
    const src = memorySource({ 'a.py': 'A = 1\n', 'sql/q.sql': 'select 1;\n', 'conf.json': '{}', 'pkg/__init__.py': '' });
    await applyTo(target(b), src, 'r1', runner);
    expect(await keys(b)).toEqual(['dags/.ferry/release.json', 'dags/a.py', 'dags/conf.json', 'dags/pkg/__init__.py', 'dags/sql/q.sql']);
    expect(await text(b, 'dags/pkg/__init__.py')).toBe('');
    const head = await raw.send(new HeadObjectCommand({ Bucket: b, Key: 'dags/a.py' }));
    expect(head.Metadata?.[SHA256_METADATA]).toBe(sha256('A = 1\n'));
    expect(head.ContentType).toMatch(/^text\/x-python/);
    const m = await marker(b);
    expect(m).toMatchObject({ format: 'ferry.s3-target/v1', status: 'complete', releaseId: 'r1', files: hashes(src) });
    expect(Object.keys(m.etags).sort()).toEqual(['a.py', 'conf.json', 'pkg/__init__.py', 'sql/q.sql']);
    expect(Object.fromEntries(await target(b).scan())).toEqual(hashes(src));
    expect(m.previousReleaseId).toBeUndefined();
  });

  it('a deploy with nothing changed reads the marker and lists once: no HEAD, no writes', async () => {
    const b = await bucket();
    await applyTo(target(b), memorySource(v1), 'r1', runner);
    await s3.resetCounts();
    const again = memorySource(v1);
    const stats = await applyTo(target(b), again, 'r1', runner);
    expect(stats).toMatchObject({ written: 0, reused: 12, removed: 0 });
    expect(await s3.counts()).toEqual({ GetObject: 1, ListObjectsV2: 1 });
  });

  it('a deploy of 2 changes and 1 deletion makes exactly the requests it needs', async () => {
    const b = await bucket();
    await applyTo(target(b), memorySource(v1), 'r1', runner);
    const v2: Record<string, string> = { ...v1, 'team0/dag_0.py': 'DAG = "changed"\n', 'team1/new.py': 'NEW = 1\n' };
    delete v2['team2/dag_2.py'];
    await s3.resetCounts();
    const stats = await applyTo(target(b), memorySource(v2), 'r2', runner);
    expect(stats).toMatchObject({ written: 2, reused: 10, removed: 1 });
    // marker GET, one listing, 2 GETs keeping the overwritten and the deleted object for revert(),
    // marker HEAD (nobody else deployed), in-progress marker + 2 files + complete marker, one batch delete
    expect(await s3.counts()).toEqual({ GetObject: 3, ListObjectsV2: 1, HeadObject: 1, PutObject: 4, DeleteObjects: 1 });
    expect(await marker(b)).toMatchObject({ status: 'complete', releaseId: 'r2' });
  });

  it('re-uploads an object changed behind its back (no ferry metadata), and scan() sees the change', async () => {
    const b = await bucket();
    const src = memorySource(v1);
    await applyTo(target(b), src, 'r1', runner);
    await put(b, 'dags/team0/dag_3.py', 'DAG = "hand-edited"\n');
    const scanned = await target(b).scan();
    expect(scanned.get('team0/dag_3.py')).toBe(sha256('DAG = "hand-edited"\n'));
    expect(scanned.get('team0/dag_0.py')).toBe(sha256('DAG = 0\n'));

    const again = memorySource(v1);
    const stats = await applyTo(target(b), again, 'r1', runner);
    expect(again.extracted).toEqual(['team0/dag_3.py']);
    expect(stats).toMatchObject({ written: 1, reused: 11 });
    expect(await text(b, 'dags/team0/dag_3.py')).toBe('DAG = 3\n');
    expect(Object.fromEntries(await target(b).scan())).toEqual(hashes(src));
  });

  it('re-uploads an object whose metadata claims another hash (someone else uploaded it)', async () => {
    const b = await bucket();
    await applyTo(target(b), memorySource(v1), 'r1', runner);
    await put(b, 'dags/team1/dag_1.py', 'X\n', { [SHA256_METADATA]: sha256('X\n') });
    const again = memorySource(v1);
    await applyTo(target(b), again, 'r1', runner);
    expect(again.extracted).toEqual(['team1/dag_1.py']);
  });

  it('does not re-upload an object rewritten with the same bytes (newer LastModified, same content)', async () => {
    const b = await bucket();
    await applyTo(target(b), memorySource(v1), 'r1', runner);
    const before = await raw.send(new HeadObjectCommand({ Bucket: b, Key: 'dags/team0/dag_0.py' }));
    await new Promise((r) => setTimeout(r, 1100)); // LastModified has 1 s resolution
    await put(b, 'dags/team0/dag_0.py', 'DAG = 0\n', { [SHA256_METADATA]: sha256('DAG = 0\n'), touched: 'yes' });
    await put(b, 'dags/team0/dag_3.py', 'DAG = 3\n'); // same bytes, no metadata at all
    const after = await raw.send(new HeadObjectCommand({ Bucket: b, Key: 'dags/team0/dag_0.py' }));
    expect(after.LastModified!.getTime()).toBeGreaterThan(before.LastModified!.getTime());
    const again = memorySource(v1);
    const stats = await applyTo(target(b), again, 'r2', runner);
    expect(again.extracted).toEqual([]);
    expect(stats.written).toBe(0);
    expect((await target(b).state()).releaseId).toBe('r2');
  });

  it('without a marker, trusts ferry metadata (one HEAD per object) and re-uploads objects that have none', async () => {
    const b = await bucket();
    await applyTo(target(b), memorySource(v1), 'r1', runner);
    await raw.send(new DeleteObjectCommand({ Bucket: b, Key: `dags/${MARKER_PATH}` }));
    await put(b, 'dags/team2/dag_5.py', 'DAG = 5\n'); // right bytes, but nothing says so
    await s3.resetCounts();
    const again = memorySource(v1);
    await applyTo(target(b), again, 'r1', runner);
    expect(again.extracted).toEqual(['team2/dag_5.py']);
    expect((await s3.counts()).HeadObject).toBe(12 + 1);
  });

  it('an interrupted deploy leaves an in-progress marker naming both releases; state() says so; the next apply converges', async () => {
    const b = await bucket();
    await applyTo(target(b), memorySource(v1), 'r1-aaaaaaaaaaaa', runner);
    const v2: Record<string, string> = {};
    for (const [p, c] of Object.entries(v1)) if (p !== 'team2/dag_11.py') v2[p] = p.endsWith('_4.py') || p.startsWith('team1/') ? `${c}# v2\n` : c;
    v2['team0/added.py'] = 'ADDED = 1\n';
    const changed = Object.keys(v2).filter((p) => v2[p] !== v1[p]);
    expect(changed).toHaveLength(5);

    const flaky = target(b);
    await failUploadsAfter(flaky, 2);
    const err = await applyTo(flaky, memorySource(v2), 'r2-bbbbbbbbbbbb', runner).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FerryError);
    expect((err as FerryError).message).toMatch(/PutObject dags\/.* failed: ECONNRESET/);

    const m = await marker(b);
    expect(m).toMatchObject({ status: 'in-progress', releaseId: 'r2-bbbbbbbbbbbb', previousReleaseId: 'r1-aaaaaaaaaaaa' });
    const state = await target(b).state();
    expect(state.releaseId).toBeUndefined();
    expect(state.notes.join('\n')).toMatch(/unfinished deploy.*release r1-aaaaaaaaa.*release r2-bbbbbbbbb/);
    // files come from what is actually there: a mix of both releases
    const actual = await target(b).scan();
    expect(Object.fromEntries(state.files)).toEqual(Object.fromEntries(actual));
    const mixed = changed.filter((p) => actual.get(p) === sha256(v2[p]!));
    expect(mixed.length).toBeGreaterThanOrEqual(2);
    expect(mixed.length).toBeLessThan(changed.length);
    expect(actual.has('team2/dag_11.py')).toBe(true); // deletes come after uploads

    const retry = memorySource(v2);
    const stats = await applyTo(target(b), retry, 'r2-bbbbbbbbbbbb', runner);
    // only what the interrupted run did not get to
    expect(stats.written).toBe(changed.length - mixed.length);
    expect(stats.removed).toBe(1);
    expect(Object.fromEntries(await target(b).scan())).toEqual(hashes(retry));
    const done = await target(b).state();
    expect(done).toMatchObject({ releaseId: 'r2-bbbbbbbbbbbb', notes: [] });
    expect(await marker(b)).toMatchObject({ status: 'complete', releaseId: 'r2-bbbbbbbbbbbb' });
  });

  it('an interrupted deploy can also be followed by a different release (rollback) and converges to it', async () => {
    const b = await bucket();
    const good = memorySource(v1);
    await applyTo(target(b), good, 'r1', runner);
    const flaky = target(b);
    await failUploadsAfter(flaky, 1);
    const v2 = Object.fromEntries(Object.entries(v1).map(([p, c]) => [p, c + '# v2\n']));
    await expect(applyTo(flaky, memorySource(v2), 'r2', runner)).rejects.toThrow(/ECONNRESET/);
    const back = memorySource(v1);
    const stats = await applyTo(target(b), back, 'r1', runner);
    expect(stats.written).toBe(1);
    expect(Object.fromEntries(await target(b).scan())).toEqual(hashes(good));
    expect(await marker(b)).toMatchObject({ status: 'complete', releaseId: 'r1' });
  });

  it('lists past 1,000 keys (pages) and deletes in batches of 1,000', async () => {
    const b = await bucket();
    const wide = (name: string) => target(name, 'dags/', {}, 16);
    const many = Object.fromEntries(Array.from({ length: 1200 }, (_, i) => [`d${i % 7}/f_${String(i).padStart(4, '0')}.py`, `N = ${i}\n`]));
    await applyTo(wide(b), memorySource(many), 'r1', runner);
    expect((await keys(b)).length).toBe(1201);

    const next: Record<string, string> = { ...many, 'd0/f_0000.py': 'N = -1\n' };
    delete next['d1/f_0001.py'];
    await s3.resetCounts();
    const stats = await applyTo(wide(b), memorySource(next), 'r2', runner);
    expect(stats).toMatchObject({ written: 1, reused: 1198, removed: 1 });
    expect((await s3.counts()).ListObjectsV2).toBe(2);
    expect((await s3.counts()).HeadObject ?? 0).toBe(1); // only the marker check

    const scanned = await wide(b).scan();
    expect(scanned.size).toBe(1199);
    expect(Object.fromEntries(scanned)).toEqual(Object.fromEntries(Object.entries(next).map(([p, c]) => [p, sha256(c)])));

    await s3.resetCounts();
    const one = memorySource({ 'only.py': 'ONLY = 1\n' });
    const shrink = await applyTo(wide(b), one, 'r3', runner);
    expect(shrink.removed).toBe(1199);
    // 2 batches of <= 1,000 keys. s3rver answers a batch with HTTP 500 now and then (a race in its
    // folder cleanup) and the SDK retries it, so up to 4 requests arrive.
    const deletes = (await s3.counts()).DeleteObjects ?? 0;
    expect(deletes).toBeGreaterThanOrEqual(2);
    expect(deletes).toBeLessThanOrEqual(4);
    expect(await keys(b)).toEqual(['dags/.ferry/release.json', 'dags/only.py']);
  }, 120_000);

  it('treats "dags", "dags/" and "/dags/" as one prefix and leaves neighbours alone', async () => {
    const b = await bucket();
    await put(b, 'dags2/other.py', 'OTHER\n');
    await put(b, 'requirements.txt', 'apache-airflow\n');
    await put(b, 'dags/', ''); // the console's "folder" placeholder
    await applyTo(target(b, 'dags'), memorySource({ 'a.py': '1' }), 'r1', runner);
    expect((await target(b, 'dags/').state()).releaseId).toBe('r1');
    expect((await target(b, '/dags/').state()).releaseId).toBe('r1');
    expect(target(b, 'dags').description).toBe(target(b, 'dags/').description);
    await applyTo(target(b, 'dags/'), memorySource({ 'b.py': '2' }), 'r2', runner);
    expect(await keys(b)).toEqual(['dags/', 'dags/.ferry/release.json', 'dags/b.py', 'dags2/other.py', 'requirements.txt']);
    await expect(async () => target(b, 'dags/../x')).rejects.toMatchObject({ code: 'FERRY_CONFIG_INVALID' });
  });

  it('with prefix "" owns the whole bucket: marker at .ferry/release.json, other objects deleted', async () => {
    const b = await bucket();
    await put(b, 'stray.txt', 'not in the release\n');
    const t = target(b, '');
    expect(t.description).toBe(`s3://${b}/ (${s3.endpoint})`);
    expect((await t.state()).notes.join()).toMatch(/no ferry marker.*deletes every object/);
    const stats = await applyTo(t, memorySource({ 'a.py': '1', 'x/b.py': '2' }), 'r1', runner);
    expect(stats.removed).toBe(1);
    expect(await keys(b)).toEqual(['.ferry/release.json', 'a.py', 'x/b.py']);
    expect((await target(b, '').state()).releaseId).toBe('r1');
  });

  it('refuses unsafe paths before writing anything', async () => {
    const b = await bucket();
    for (const bad of ['../up.py', '/abs.py', 'a//b.py', 'a/./b.py', 'x/../y.py', '.ferry/release.json', 'back\\slash.py', 'ctl\u0001.py', `${'x'.repeat(1100)}.py`]) {
      const err = await applyTo(target(b), memorySource({ 'ok.py': '1', [bad]: '2' }), 'r1', runner).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FerryError);
      expect((err as FerryError).code).toBe('FERRY_PATH_ESCAPES');
    }
    expect(await keys(b)).toEqual([]);
  });

  it('uploads large files as multipart, still recognised by metadata (not by their ETag)', async () => {
    const b = await bucket();
    const big = Buffer.alloc(11 * 1024 * 1024, 7);
    const src = memorySource({ 'big.zip': big, 'small.py': 'S\n' });
    const internals = { multipartThreshold: 6 * 1024 * 1024, partSize: 5 * 1024 * 1024 };
    await s3.resetCounts();
    await applyTo(target(b, 'dags/', internals), src, 'r1', runner);
    expect(await s3.counts()).toMatchObject({ CreateMultipartUpload: 1, UploadPart: 3, CompleteMultipartUpload: 1 });
    const head = await raw.send(new HeadObjectCommand({ Bucket: b, Key: 'dags/big.zip' }));
    // (Real S3 gives a multipart object an ETag like "…-3", not an MD5 of the bytes; s3rver does not.)
    expect(head.Metadata?.[SHA256_METADATA]).toBe(sha256(big));
    expect(head.ContentLength).toBe(big.length);
    await raw.send(new DeleteObjectCommand({ Bucket: b, Key: `dags/${MARKER_PATH}` }));
    const again = memorySource({ 'big.zip': big, 'small.py': 'S\n' });
    await applyTo(target(b, 'dags/', internals), again, 'r1', runner);
    expect(again.extracted).toEqual([]);
    expect((await target(b).scan()).get('big.zip')).toBe(sha256(big));
  }, 60_000);

  it('refuses to commit when another deploy changed the prefix after staging', async () => {
    const b = await bucket();
    await applyTo(target(b), memorySource(v1), 'r1', runner);
    const first = await target(b).stage(memorySource({ ...v1, 'a.py': 'A\n' }), 'r2', runner);
    await applyTo(target(b), memorySource({ ...v1, 'b.py': 'B\n' }), 'r3', runner);
    await expect(first.commit()).rejects.toMatchObject({ code: 'FERRY_LOCKED' });
    await first.abort();
    expect((await target(b).state()).releaseId).toBe('r3');
  });

  it('revert() puts back what the commit overwrote or deleted, removes what it added, and restores the marker', async () => {
    const b = await bucket();
    const old = memorySource(v1);
    await applyTo(target(b), old, 'r1-111111111111', runner);
    const own = new MemoryRunner();
    const staged = await target(b).stage(memorySource({ 'a.py': 'changed\n', 'x.py': 'X\n' }), 'r2-222222222222', own);
    await staged.commit();
    expect((await target(b).state()).releaseId).toBe('r2-222222222222');
    await staged.revert();
    expect(warnings(own).join('\n')).toMatch(/reverted to release r1-111111111/);
    const after = await target(b).state();
    expect(after.releaseId).toBe('r1-111111111111');
    expect(Object.fromEntries(await target(b).scan())).toEqual(Object.fromEntries(old.files.map((f) => [f.path, f.sha256])));
    // The next deploy trusts the restored marker: nothing to upload.
    const again = memorySource(v1);
    const stats = await applyTo(target(b), again, 'r1-111111111111', runner);
    expect(stats.written).toBe(0);
  });

  it('revert() of a first deploy leaves the prefix as it found it', async () => {
    const b = await bucket();
    await put(b, 'dags/legacy.py', 'OLD\n');
    const own = new MemoryRunner();
    const staged = await target(b).stage(memorySource(v1), 'r1-111111111111', own);
    await staged.commit();
    await staged.revert();
    expect(Object.fromEntries(await target(b).scan())).toEqual({ 'legacy.py': sha256('OLD\n') });
    expect((await target(b).state()).releaseId).toBeUndefined();
  });

  it('reports a prefix that holds objects but no marker, and adopts it on the first deploy', async () => {
    const b = await bucket();
    await put(b, 'dags/legacy.py', 'OLD\n');
    await put(b, 'dags/keep.py', 'KEEP\n');
    const s = await target(b).state();
    expect(s).toMatchObject({ releaseId: undefined });
    expect(s.notes.join()).toMatch(/holds objects but no ferry marker/);
    const src = memorySource({ 'keep.py': 'KEEP\n', 'new.py': 'NEW\n' });
    const stats = await applyTo(target(b), src, 'r1', runner);
    expect(stats).toMatchObject({ written: 2, removed: 1 }); // keep.py had no metadata: uploaded again
    expect(Object.fromEntries(await target(b).scan())).toEqual(hashes(src));
  });

  it('createTarget builds an S3 target from a ferry.yml entry', () => {
    const t = createTarget({ kind: 's3', bucket: 'my-mwaa-bucket', prefix: 'dags', force_path_style: false, concurrency: 16 });
    expect(t).toBeInstanceOf(S3Target);
    expect(t.description).toBe('s3://my-mwaa-bucket/dags/');
  });
});

describe('S3Target errors', () => {
  const runner = new MemoryRunner();

  it('NoSuchBucket: names the bucket, the operation and the AWS code', async () => {
    const t = target('no-such-bucket-here');
    const err = await t.state().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FerryError);
    const fe = err as FerryError;
    expect(fe.code).toBe('FERRY_S3_NO_SUCH_BUCKET');
    expect(fe.message).toMatch(/s3:\/\/no-such-bucket-here\/dags\/.*GetObject dags\/\.ferry\/release\.json failed: NoSuchBucket \(HTTP 404\)/);
    expect(fe.message).toMatch(/fix: .*Bucket "no-such-bucket-here" does not exist/);
    await expect(applyTo(t, memorySource({ 'a.py': '1' }), 'r1', runner)).rejects.toMatchObject({ code: 'FERRY_S3_NO_SUCH_BUCKET' });
  });

  it('AccessDenied (S3 error XML from a stub server): says which IAM permissions are needed', async () => {
    const requests: string[] = [];
    const stub = http.createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      const body =
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>4442587FB7D0A2F9</RequestId><HostId>stub</HostId></Error>';
      res.writeHead(403, { 'Content-Type': 'application/xml', 'x-amz-request-id': '4442587FB7D0A2F9' });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
    await new Promise<void>((r) => stub.listen(0, '127.0.0.1', () => r()));
    try {
      const endpoint = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
      const t = new S3Target({ bucket: 'locked-bucket', prefix: 'dags/', endpoint, force_path_style: true });
      const err = (await t.state().catch((e: unknown) => e)) as FerryError;
      expect(err).toBeInstanceOf(FerryError);
      expect(err.code).toBe('FERRY_S3_ACCESS_DENIED');
      expect(err.message).toMatch(/s3:\/\/locked-bucket\/dags\/.*failed: AccessDenied \(HTTP 403\): Access Denied \[request id 4442587FB7D0A2F9\]/);
      expect(err.problems[0]!.hint).toMatch(/s3:ListBucket on arn:aws:s3:::locked-bucket.*s3:GetObject, s3:PutObject, s3:DeleteObject on arn:aws:s3:::locked-bucket\/dags\/\*/);
      expect((await t.scan().catch((e: unknown) => e)) as FerryError).toMatchObject({ code: 'FERRY_S3_ACCESS_DENIED' });
      expect(requests[0]).toMatch(/^GET \/locked-bucket\/dags\/.ferry\/release.json/);
    } finally {
      stub.close();
    }
  });

  it('no credentials anywhere: points at aws-actions/configure-aws-credentials', async () => {
    const keep = { ...process.env };
    for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'AWS_CONTAINER_CREDENTIALS_FULL_URI']) delete process.env[k];
    process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/credentials';
    process.env.AWS_CONFIG_FILE = '/nonexistent/config';
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    try {
      const err = (await target('any-bucket').state().catch((e: unknown) => e)) as FerryError;
      expect(err).toBeInstanceOf(FerryError);
      expect(err.code).toBe('FERRY_S3_CREDENTIALS');
      expect(err.problems[0]!.hint).toMatch(/aws-actions\/configure-aws-credentials/);
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in keep)) delete process.env[k];
      Object.assign(process.env, keep);
    }
  });

  it('no region for AWS S3 (no endpoint, no AWS_REGION, no profile): asks for one', async () => {
    const keep = { ...process.env };
    for (const k of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE']) delete process.env[k];
    process.env.AWS_CONFIG_FILE = '/nonexistent/config';
    process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/credentials';
    try {
      const err = (await new S3Target({ bucket: 'some-mwaa-bucket', prefix: 'dags' }).state().catch((e: unknown) => e)) as FerryError;
      expect(err).toBeInstanceOf(FerryError);
      expect(err.code).toBe('FERRY_S3');
      expect(err.message).toMatch(/s3:\/\/some-mwaa-bucket\/dags\/.*[Rr]egion/);
      expect(err.problems[0]!.hint).toMatch(/Set `region`/);
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in keep)) delete process.env[k];
      Object.assign(process.env, keep);
    }
  });

  it('an unreachable endpoint: FERRY_S3 with the network error', async () => {
    const t = new S3Target({ bucket: 'b-unreachable', endpoint: 'http://127.0.0.1:9', force_path_style: true });
    const err = (await t.state().catch((e: unknown) => e)) as FerryError;
    expect(err).toBeInstanceOf(FerryError);
    expect(err.code).toBe('FERRY_S3');
    expect(err.message).toMatch(/ECONNREFUSED/);
    expect(err.problems[0]!.hint).toMatch(/endpoint/);
  }, 30_000);
});
