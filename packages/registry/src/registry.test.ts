import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FerryError } from '@ferry/core';
import { blobExists, pushImage, pushIndex, startRegistry, tagDigest, type TestRegistry } from '../../../test/support/registry.js';
import { RegistryClient } from './client.js';
import { defaultCredentials, staticCredentials } from './credentials.js';

/** The FerryError `p` rejects with (fails the test if it resolves or throws something else). */
async function ferryError(p: Promise<unknown>): Promise<FerryError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!(e instanceof FerryError)) throw new Error(`expected a FerryError, got ${e === undefined ? 'success' : String(e)}`);
  return e;
}

let a: TestRegistry;
let b: TestRegistry;
let basic: TestRegistry;
let token: TestRegistry;

beforeAll(async () => {
  [a, b, basic, token] = await Promise.all([startRegistry(), startRegistry(), startRegistry({ auth: 'basic' }), startRegistry({ auth: 'token' })]);
}, 60_000);

afterAll(async () => {
  await Promise.all([a, b, basic, token].filter(Boolean).map((r) => r.stop()));
});

const client = (opts: ConstructorParameters<typeof RegistryClient>[0] = {}) => new RegistryClient({ insecure: [a.host, b.host, basic.host, token.host], retry: { attempts: 2, baseDelayMs: 10 }, ...opts });

describe('resolve (anonymous registry)', () => {
  it('resolves a tag to the digest of a single-platform manifest, OCI and Docker v2', async () => {
    const oci = await pushImage(a, 'team/etl', '1.0', { seed: 'etl-1.0' });
    const docker = await pushImage(a, 'team/etl', '1.0-docker', { seed: 'etl-1.0-docker', format: 'docker' });
    const c = client();
    const r = await c.resolve(`${a.host}/team/etl:1.0`);
    expect(r).toMatchObject({ digest: oci.digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', pinned: `${a.host}/team/etl@${oci.digest}`, ref: { registry: a.host, repository: 'team/etl', tag: '1.0' } });
    expect(r.platforms).toBeUndefined();
    expect(await c.resolve(`${a.host}/team/etl:1.0-docker`)).toMatchObject({ digest: docker.digest, mediaType: 'application/vnd.docker.distribution.manifest.v2+json' });
    // By digest: checked the same way, tag or not.
    expect((await c.resolve(`${a.host}/team/etl@${oci.digest}`)).digest).toBe(oci.digest);
  });

  it('resolves a multi-platform tag to its index (OCI index and Docker manifest list) and lists the platforms', async () => {
    const idx = await pushIndex(a, 'team/multi', 'v2', ['linux/amd64', 'linux/arm64/v8'], { seed: 'multi-v2' });
    const list = await pushIndex(a, 'team/multi', 'v2-docker', ['linux/amd64', 'linux/arm/v7'], { seed: 'multi-v2-docker', format: 'docker' });
    const c = client();
    expect(await c.resolve(`${a.host}/team/multi:v2`)).toMatchObject({ digest: idx.digest, mediaType: 'application/vnd.oci.image.index.v1+json', platforms: ['linux/amd64', 'linux/arm64/v8'] });
    expect(await c.resolve(`${a.host}/team/multi:v2-docker`)).toMatchObject({ digest: list.digest, mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json', platforms: ['linux/amd64', 'linux/arm/v7'] });
  });

  it('names an unknown tag, an unknown repository and a non-image clearly', async () => {
    await pushImage(a, 'team/etl', '1.0', { seed: 'etl-1.0' });
    const c = client();
    const e1 = await ferryError(c.resolve(`${a.host}/team/etl:9.9`));
    expect(e1.code).toBe('FERRY_REGISTRY_NOT_FOUND');
    expect(e1.message).toContain(`${a.host}/team/etl:9.9: no such tag`);
    expect((await ferryError(c.resolve(`${a.host}/nobody/here:1`))).code).toBe('FERRY_REGISTRY_NOT_FOUND');
    await pushImage(a, 'team/chart', '0.1', { seed: 'chart', configMediaType: 'application/vnd.cncf.helm.config.v1+json' });
    const e2 = await ferryError(c.resolve(`${a.host}/team/chart:0.1`));
    expect(e2.code).toBe('FERRY_REGISTRY_NOT_IMAGE');
    expect(e2.message).toMatch(/OCI artifact \(config media type application\/vnd\.cncf\.helm\.config\.v1\+json\)/);
  });

  it('speaks plain http only to loopback registries it is told about', async () => {
    expect(() => new RegistryClient({ insecure: ['registry.example.com:5000'] })).toThrow(/only registries on this machine/);
    // Not named as insecure: https is tried (and fails against a plain-http server).
    const e = await ferryError(new RegistryClient({ retry: { attempts: 1 } }).resolve(`${a.host}/team/etl:1.0`));
    expect(e.code).toBe('FERRY_REGISTRY_HTTP');
    expect(e.message).toMatch(/could not be reached/);
  });
});

describe('copy and tag', () => {
  it('copies within a registry by cross-repository mount, tags by digest, reads the tag back; a re-run skips everything', async () => {
    const img = await pushImage(a, 'src/app', '2.0', { seed: 'app-2.0', layers: 2 });
    const c = client();
    const r = await c.copy(`${a.host}/src/app@${img.digest}`, `${a.host}/staging/app`);
    expect(r.digest).toBe(img.digest);
    expect(r.stats).toMatchObject({ blobsMounted: 3, blobsCopied: 0, manifestsPushed: 1 });
    // Pushed by digest: the tag does not exist yet.
    expect(await tagDigest(a, 'staging/app', 'staging')).toBeUndefined();
    await c.tag({ registry: a.host, repository: 'staging/app' }, 'staging', r.manifest);
    expect(await tagDigest(a, 'staging/app', 'staging')).toBe(img.digest);
    const again = await c.copy(`${a.host}/src/app@${img.digest}`, `${a.host}/staging/app`, { tag: 'staging' });
    expect(again.stats).toMatchObject({ blobsMounted: 0, blobsCopied: 0, manifestsPushed: 0, manifestsSkipped: 1 });
  });

  it('copies an index with its platform manifests to another registry (pull + push, chunked for large blobs)', async () => {
    const idx = await pushIndex(a, 'src/multi', '3.0', ['linux/amd64', 'linux/arm64'], { seed: 'multi-3.0', layerSize: 300_000 });
    const methods: string[] = [];
    const counting: typeof fetch = (input, init) => {
      methods.push(init?.method ?? 'GET');
      return fetch(input, init);
    };
    const c = client({ chunkSize: 100_000, fetch: counting });
    const r = await c.copy(`${a.host}/src/multi@${idx.digest}`, `${b.host}/prod/multi`, { tag: 'prod' });
    expect(r.stats).toMatchObject({ blobsCopied: 4, blobsMounted: 0, manifestsPushed: 3 });
    expect(r.stats.bytesCopied).toBeGreaterThan(600_000);
    // Two 300 kB layers in 100 kB chunks; the two small configs in one PUT each.
    expect(methods.filter((m) => m === 'PATCH')).toHaveLength(6);
    expect(await tagDigest(b, 'prod/multi', 'prod')).toBe(idx.digest);
    for (const child of idx.children!) expect(await tagDigest(b, 'prod/multi', child.digest)).toBe(child.digest);
    for (const blob of idx.blobs) expect(await blobExists(b, 'prod/multi', blob)).toBe(true);
    // The copy reads back as the same image.
    expect(await client().resolve(`${b.host}/prod/multi:prod`)).toMatchObject({ digest: idx.digest, platforms: ['linux/amd64', 'linux/arm64'] });
  });

  it('moves a tag in one PUT and back again (revert), each read back', async () => {
    const v1 = await pushImage(a, 'src/svc', '1', { seed: 'svc-1' });
    const v2 = await pushImage(a, 'src/svc', '2', { seed: 'svc-2' });
    const c = client();
    const target = { registry: b.host, repository: 'env/svc' };
    const one = await c.copy(`${a.host}/src/svc@${v1.digest}`, target, { tag: 'live' });
    expect(await tagDigest(b, 'env/svc', 'live')).toBe(v1.digest);
    const two = await c.copy(`${a.host}/src/svc@${v2.digest}`, target);
    // Staged by digest: readers of the tag still get v1.
    expect(await tagDigest(b, 'env/svc', 'live')).toBe(v1.digest);
    await c.tag(target, 'live', two.manifest);
    expect(await tagDigest(b, 'env/svc', 'live')).toBe(v2.digest);
    const prev = await c.getManifest(target, one.digest);
    await c.tag(target, 'live', prev);
    expect(await tagDigest(b, 'env/svc', 'live')).toBe(v1.digest);
  });

  it('refuses a source that is not pinned by digest', async () => {
    expect((await ferryError(client().copy(`${a.host}/src/svc:1`, `${b.host}/env/svc`))).code).toBe('FERRY_IMAGE_REF');
  });
});

describe('basic auth (htpasswd)', () => {
  it('uses the credentials for the registry, and says which registry, user and scope a wrong password failed for', async () => {
    const img = await pushImage(basic, 'private/etl', '1.0', { seed: 'private-etl' });
    const ok = client({ credentials: staticCredentials({ [basic.host]: { username: 'ci', password: 'ci-password' } }) });
    expect((await ok.resolve(`${basic.host}/private/etl:1.0`)).digest).toBe(img.digest);

    const wrong = client({ credentials: staticCredentials({ [basic.host]: { username: 'ci', password: 'nope' } }) });
    const e = await ferryError(wrong.resolve(`${basic.host}/private/etl:1.0`));
    expect(e.code).toBe('FERRY_REGISTRY_UNAUTHORIZED');
    expect(e.message).toContain(`${basic.host} rejected the credentials of user "ci"`);
    expect(e.message).toContain('repository:private/etl:pull');
    expect(e.message).not.toContain('nope');

    const none = await ferryError(client().resolve(`${basic.host}/private/etl:1.0`));
    expect(none.code).toBe('FERRY_REGISTRY_UNAUTHORIZED');
    expect(none.message).toContain('needs credentials');
    expect(none.problems[0]!.hint).toContain(`FERRY_REGISTRY_127_0_0_1_${basic.host.split(':')[1]}_USERNAME`);
  });

  it('reads FERRY_REGISTRY_<HOST>_* variables through the secret lookup, and docker login’s ~/.docker/config.json', async () => {
    const img = await pushImage(basic, 'private/etl', '1.0', { seed: 'private-etl' });
    const key = basic.host.replace(/[^0-9A-Za-z]/g, '_').toUpperCase();
    const read: string[] = [];
    const fromEnv = defaultCredentials({
      env: (n) => {
        read.push(n);
        return { [`FERRY_REGISTRY_${key}_USERNAME`]: 'ci', [`FERRY_REGISTRY_${key}_PASSWORD`]: 'ci-password' }[n];
      },
      dockerConfigDir: '/nonexistent',
    });
    expect((await client({ credentials: fromEnv }).resolve(`${basic.host}/private/etl:1.0`)).digest).toBe(img.digest);
    expect(read).toEqual([`FERRY_REGISTRY_${key}_USERNAME`, `FERRY_REGISTRY_${key}_PASSWORD`]);

    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-docker-config-'));
    const auth = Buffer.from('ci:ci-password').toString('base64');
    fs.writeFileSync(path.join(home, 'config.json'), JSON.stringify({ auths: { [`https://${basic.host}`]: { auth }, 'ghcr.io': { auth: Buffer.from('x:y').toString('base64') } } }));
    const masked: string[] = [];
    const fromDocker = defaultCredentials({ env: () => undefined, dockerConfigDir: home, mask: (s) => masked.push(s) });
    const c = client({ credentials: fromDocker });
    expect((await c.resolve(`${basic.host}/private/etl:1.0`)).digest).toBe(img.digest);
    expect(masked).toEqual(['ci-password', auth]);
    expect(fromDocker(basic.host)?.source).toContain('config.json');
    expect(fromDocker('docker.io')).toBeUndefined();
  });

  it('copies between repositories of an authenticated registry', async () => {
    const img = await pushImage(basic, 'private/etl', '1.0', { seed: 'private-etl' });
    const c = client({ credentials: staticCredentials({ [basic.host]: { username: 'ci', password: 'ci-password' } }) });
    const r = await c.copy(`${basic.host}/private/etl@${img.digest}`, `${basic.host}/private/etl-staging`, { tag: 'staging' });
    expect(r.stats.blobsMounted).toBe(2);
    expect(await tagDigest(basic, 'private/etl-staging', 'staging')).toBe(img.digest);
  });
});

describe('token auth (bearer challenge flow)', () => {
  const ci = () => staticCredentials({ [token.host]: { username: 'ci', password: 'ci-password' } });

  it('runs a registry that trusts only the test issuer: a token signed by another key is refused', async () => {
    await pushImage(token, 'org/api', '1', { seed: 'api-1' });
    const url = `${token.url}/v2/org/api/manifests/1`;
    const accept = 'application/vnd.oci.image.manifest.v1+json';
    expect((await fetch(url, { method: 'HEAD', headers: { accept, authorization: (await token.adminAuthorization('org/api'))! } })).status).toBe(200);
    const forged = await fetch(url, { method: 'HEAD', headers: { accept, authorization: await token.forgedAuthorization('org/api') } });
    expect(forged.status).toBe(401);
    expect(forged.headers.get('www-authenticate')).toContain(`realm="${token.tokenRealm}"`);
  });

  it('gets a token from the realm with basic credentials, once per scope', async () => {
    const img = await pushImage(token, 'org/api', '1', { seed: 'api-1' });
    const other = await pushImage(token, 'org/web', '1', { seed: 'web-1' });
    const c = client({ credentials: ci() });
    const before = token.tokenRequests.length;
    expect((await c.resolve(`${token.host}/org/api:1`)).digest).toBe(img.digest);
    expect((await c.resolve(`${token.host}/org/api:1`)).digest).toBe(img.digest);
    const made = token.tokenRequests.slice(before);
    expect(made).toHaveLength(1);
    expect(made[0]).toMatchObject({ user: 'ci', account: 'ci', scopes: ['repository:org/api:pull'], status: 200 });
    expect((await c.resolve(`${token.host}/org/web:1`)).digest).toBe(other.digest);
    expect(token.tokenRequests.slice(before).map((t) => t.scopes)).toEqual([['repository:org/api:pull'], ['repository:org/web:pull']]);
    expect(c.transport.tokenRequests).toBe(2);
  });

  it('mounts across repositories with one token for both scopes, and moves the tag', async () => {
    const img = await pushImage(token, 'org/api', '1', { seed: 'api-1' });
    const c = client({ credentials: ci() });
    const before = token.tokenRequests.length;
    const r = await c.copy(`${token.host}/org/api@${img.digest}`, `${token.host}/staging/api`, { tag: 'staging' });
    expect(r.stats.blobsMounted).toBe(2);
    expect(await tagDigest(token, 'staging/api', 'staging')).toBe(img.digest);
    const scopes = token.tokenRequests.slice(before).map((t) => t.scopes.join(' '));
    expect(scopes).toContain('repository:org/api:pull repository:staging/api:pull,push');
    // One token per distinct scope, however many requests used it.
    expect(new Set(scopes).size).toBe(scopes.length);
  });

  it('reports a wrong password at the token service, and missing push rights as denied', async () => {
    await pushImage(token, 'org/api', '1', { seed: 'api-1' });
    const wrong = client({ credentials: staticCredentials({ [token.host]: { username: 'ci', password: 'wrong' } }) });
    const e = await ferryError(wrong.resolve(`${token.host}/org/api:1`));
    expect(e.code).toBe('FERRY_REGISTRY_UNAUTHORIZED');
    expect(e.message).toContain(`the token service of ${token.host} (${token.tokenRealm})`);
    expect(e.message).toContain('user "ci"');
    expect(e.message).toContain('repository:org/api:pull');

    const reader = client({ credentials: staticCredentials({ [token.host]: { username: 'reader', password: 'reader-password' } }) });
    const img = await reader.resolve(`${token.host}/org/api:1`);
    const denied = await ferryError(reader.copy(img.pinned, `${token.host}/prod/api`, { tag: 'prod' }));
    expect(denied.code).toBe('FERRY_REGISTRY_DENIED');
    expect(denied.message).toContain('user "reader"');
    expect(denied.message).toContain('repository:prod/api:pull,push');

    const anonymous = await ferryError(client().resolve(`${token.host}/org/api:1`));
    expect(anonymous.code).toBe('FERRY_REGISTRY_UNAUTHORIZED');
    expect(anonymous.message).toContain('needs credentials');
  });
});

describe('retries', () => {
  it('retries 429 and 5xx with back-off, honouring Retry-After, then gives up with a clear error', async () => {
    await pushImage(a, 'team/etl', '1.0', { seed: 'etl-1.0' });
    let n = 0;
    const flaky: typeof fetch = async (input, init) => {
      n++;
      if (n === 2) return new Response('busy', { status: 429, headers: { 'retry-after': '0' } });
      if (n === 3) return new Response('oops', { status: 503 });
      return fetch(input, init);
    };
    const c = client({ fetch: flaky, retry: { attempts: 4, baseDelayMs: 5 } });
    expect((await c.resolve(`${a.host}/team/etl:1.0`)).digest).toMatch(/^sha256:/);
    expect(n).toBeGreaterThanOrEqual(5);

    const down: typeof fetch = async () => new Response('down', { status: 502 });
    const e = await ferryError(client({ fetch: down, retry: { attempts: 3, baseDelayMs: 1 } }).resolve(`${a.host}/team/etl:1.0`));
    expect(e.code).toBe('FERRY_REGISTRY_HTTP');
  });

  it('refuses bytes that do not match the digest', async () => {
    const img = await pushImage(a, 'team/etl', '1.0', { seed: 'etl-1.0' });
    const lying: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if ((init?.method ?? 'GET') === 'GET' && String(input).includes('/manifests/')) {
        const text = (await res.text()).replace('"schemaVersion":2', '"schemaVersion": 2');
        return new Response(text, { status: res.status, headers: res.headers });
      }
      return res;
    };
    const e = await ferryError(client({ fetch: lying }).resolve(`${a.host}/team/etl:1.0`));
    expect(e.code).toBe('FERRY_REGISTRY_DIGEST');
    expect(e.message).toContain(img.digest);
  });

});
