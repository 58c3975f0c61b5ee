import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, createPublicKey, randomBytes, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { generateKeyPair, importPKCS8, SignJWT } from 'jose';

/**
 * Real OCI registries for tests: Debian's `docker-registry` (distribution
 * v2) on a free loopback port, filesystem storage in a temp folder, in one of
 * three set-ups:
 *
 * - anonymous: no auth at all;
 * - basic: `auth.htpasswd` with bcrypt hashes of the given users;
 * - token: `auth.token`, trusting the certificate of a token server run here
 *   (realm, service, issuer, rootcertbundle), which signs ES256 JWTs the way
 *   distribution expects them: `kid` (libtrust fingerprint) and `x5c`
 *   headers, `iss`/`aud`/`exp`/`nbf`, and the `access` claim.
 *
 * Images are pushed with plain HTTP (no Docker engine here): config blob,
 * layer blob, manifest; or an index over several platform manifests.
 */

export type RegistryAuth = 'anonymous' | 'basic' | 'token';

export interface TokenRequest {
  account?: string;
  user?: string;
  scopes: string[];
  granted: { type: string; name: string; actions: string[] }[];
  status: number;
}

export interface TestRegistry {
  /** `127.0.0.1:<port>`: the registry as written in image references. */
  host: string;
  url: string;
  auth: RegistryAuth;
  users: Record<string, string>;
  /** Token server requests so far (token mode). */
  tokenRequests: TokenRequest[];
  tokenRealm?: string;
  /** An Authorization header with full access to `repository`, for set-up pushes (not counted as token requests). */
  adminAuthorization(repository: string): Promise<string | undefined>;
  /** Token mode: a well-formed token with full access, signed by a key the registry does not trust. */
  forgedAuthorization(repository: string): Promise<string>;
  /** The registry's own log (stderr). */
  log(): string;
  stop(): Promise<void>;
}

export interface StartOptions {
  auth?: RegistryAuth;
  /** user → password (basic and token modes). Default: { ci: 'ci-password', reader: 'reader-password' }. */
  users?: Record<string, string>;
  /** Token mode: actions a user may have on a repository (default: "reader" pull only, everyone else pull and push; anonymous nothing). */
  grants?: (user: string | undefined, repository: string) => string[];
}

const ISSUER = 'ferry-test-issuer';
const SERVICE = 'ferry-test-registry';

export function registryAvailable(): boolean {
  try {
    execFileSync('docker-registry', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** libtrust's key id: SHA-256 of the DER public key, first 240 bits, base32 in 12 groups of 4. */
function libtrustKeyId(certPem: string): string {
  const der = createPublicKey(certPem).export({ type: 'spki', format: 'der' });
  const sum = createHash('sha256').update(der).digest().subarray(0, 30);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const b of sum) bits += b.toString(2).padStart(8, '0');
  let b32 = '';
  for (let i = 0; i + 5 <= bits.length; i += 5) b32 += alphabet[parseInt(bits.slice(i, i + 5), 2)];
  return b32.match(/.{4}/g)!.join(':');
}

interface Issuer {
  sign(user: string | undefined, access: TokenRequest['granted']): Promise<string>;
  forge(access: TokenRequest['granted']): Promise<string>;
  certFile: string;
}

/** A self-signed EC P-256 certificate and key made with openssl, and a JWT signer over them. */
async function makeIssuer(dir: string): Promise<Issuer> {
  const keyFile = path.join(dir, 'issuer.key');
  const certFile = path.join(dir, 'issuer.crt');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=ferry test token issuer'],
    { stdio: 'ignore' },
  );
  const certPem = fs.readFileSync(certFile, 'utf8');
  const key = await importPKCS8(fs.readFileSync(keyFile, 'utf8'), 'ES256');
  const x5c = [Buffer.from(new X509Certificate(certPem).raw).toString('base64')];
  const kid = libtrustKeyId(certPem);
  return {
    certFile,
    sign: (user, access) =>
      new SignJWT({ access })
        .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid, x5c })
        .setIssuer(ISSUER)
        .setSubject(user ?? '')
        .setAudience(SERVICE)
        .setIssuedAt()
        .setNotBefore(Math.floor(Date.now() / 1000) - 30)
        .setExpirationTime('10m')
        .setJti(randomBytes(8).toString('hex'))
        .sign(key),
    // Same header (kid of the trusted key), another private key.
    forge: async (access) =>
      new SignJWT({ access })
        .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid })
        .setIssuer(ISSUER)
        .setSubject('mallory')
        .setAudience(SERVICE)
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign((await generateKeyPair('ES256')).privateKey),
  };
}

function parseScope(s: string): { type: string; name: string; actions: string[] } | undefined {
  const first = s.indexOf(':');
  const last = s.lastIndexOf(':');
  if (first < 0 || last <= first) return undefined;
  return { type: s.slice(0, first), name: s.slice(first + 1, last), actions: s.slice(last + 1).split(',').filter(Boolean) };
}

/** The token endpoint: Basic credentials in, a JWT carrying the granted subset of the requested scopes out. */
async function startTokenServer(issuer: Issuer, users: Record<string, string>, grants: NonNullable<StartOptions['grants']>, log: TokenRequest[]) {
  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const scopes = url.searchParams.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean);
      const account = url.searchParams.get('account') ?? undefined;
      let user: string | undefined;
      const header = req.headers.authorization;
      if (header?.startsWith('Basic ')) {
        const text = Buffer.from(header.slice(6), 'base64').toString('utf8');
        const i = text.indexOf(':');
        const [u, p] = [text.slice(0, i), text.slice(i + 1)];
        if (users[u] === undefined || users[u] !== p) {
          log.push({ account, user: u, scopes, granted: [], status: 401 });
          res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="ferry-test-token"' });
          res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }));
          return;
        }
        user = u;
      }
      if (url.pathname !== '/token' || url.searchParams.get('service') !== SERVICE) {
        res.writeHead(400).end('wrong service');
        return;
      }
      const granted = scopes
        .map(parseScope)
        .filter((s): s is NonNullable<typeof s> => Boolean(s && s.type === 'repository'))
        .map((s) => ({ ...s, actions: s.actions.filter((a) => grants(user, s.name).includes(a)) }));
      log.push({ account, user, scopes, granted, status: 200 });
      const token = await issuer.sign(user, granted);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ token, access_token: token, expires_in: 600, issued_at: new Date().toISOString() }));
    })().catch((e) => {
      res.writeHead(500).end(String(e));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, realm: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/token` };
}

const DEFAULT_USERS = { ci: 'ci-password', reader: 'reader-password' };
const defaultGrants = (user: string | undefined) => (user === undefined ? [] : user === 'reader' ? ['pull'] : ['pull', 'push', 'delete']);

/** Starts a registry; call `stop()` in afterAll. */
export async function startRegistry(opts: StartOptions = {}): Promise<TestRegistry> {
  const auth = opts.auth ?? 'anonymous';
  const users = opts.users ?? DEFAULT_USERS;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ferry-registry-${auth}-`));
  const tokenRequests: TokenRequest[] = [];
  let authBlock = '';
  let issuer: Issuer | undefined;
  let tokenServer: http.Server | undefined;
  let realm: string | undefined;
  if (auth === 'basic') {
    const lines = Object.entries(users).map(([u, p]) => `${u}:${bcrypt.hashSync(p, 6)}`);
    fs.writeFileSync(path.join(dir, 'htpasswd'), lines.join('\n') + '\n');
    authBlock = `auth:\n  htpasswd:\n    realm: ferry-test\n    path: ${path.join(dir, 'htpasswd')}\n`;
  } else if (auth === 'token') {
    issuer = await makeIssuer(dir);
    const ts = await startTokenServer(issuer, users, opts.grants ?? defaultGrants, tokenRequests);
    tokenServer = ts.server;
    realm = ts.realm;
    authBlock = `auth:\n  token:\n    realm: ${realm}\n    service: ${SERVICE}\n    issuer: ${ISSUER}\n    rootcertbundle: ${issuer.certFile}\n`;
  }
  let child: ChildProcess | undefined;
  let stderr = '';
  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    const config = `version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${path.join(dir, 'data')}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:${port}
  secret: ${randomBytes(16).toString('hex')}
${authBlock}`;
    const configFile = path.join(dir, 'config.yml');
    fs.writeFileSync(configFile, config);
    stderr = '';
    const proc = spawn('docker-registry', ['serve', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    proc.stdout!.on('data', (c: Buffer) => (stderr += c.toString()));
    proc.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    let exited = false;
    proc.on('exit', () => (exited = true));
    const ready = await waitReady(`http://127.0.0.1:${port}/v2/`, () => exited);
    if (ready) break;
    proc.kill('SIGKILL');
    if (attempt >= 3) {
      tokenServer?.close();
      throw new Error(`docker-registry did not start on 127.0.0.1:${port}:\n${stderr}`);
    }
  }
  const proc = child!;
  const host = `127.0.0.1:${port}`;
  return {
    host,
    url: `http://${host}`,
    auth,
    users,
    tokenRequests,
    tokenRealm: realm,
    async adminAuthorization(repository) {
      if (auth === 'anonymous') return undefined;
      if (auth === 'basic') {
        const [u, p] = Object.entries(users)[0]!;
        return `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
      }
      return `Bearer ${await issuer!.sign('admin', [{ type: 'repository', name: repository, actions: ['pull', 'push', 'delete'] }])}`;
    },
    async forgedAuthorization(repository) {
      if (!issuer) throw new Error('forgedAuthorization needs a token-auth registry');
      return `Bearer ${await issuer.forge([{ type: 'repository', name: repository, actions: ['pull', 'push'] }])}`;
    },
    log: () => stderr,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        const gone = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await gone;
        clearTimeout(timer);
      }
      if (tokenServer) await new Promise((r) => tokenServer!.close(r));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitReady(url: string, exited: () => boolean): Promise<boolean> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && !exited()) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.body?.cancel();
      if (res.status === 200 || res.status === 401) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

// ---------------------------------------------------------------------------
// Pushing test images with plain HTTP

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** Deterministic pseudo-random bytes for a seed (the same seed gives the same layer, so the same digest). */
export function seededBytes(seed: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  let block = createHash('sha256').update(seed).digest();
  for (let off = 0; off < size; off += block.length) {
    block.copy(out, off, 0, Math.min(block.length, size - off));
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

async function call(reg: TestRegistry, repository: string, method: string, pathOrUrl: string, body?: Buffer, headers: Record<string, string> = {}) {
  const auth = await reg.adminAuthorization(repository);
  const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${reg.url}${pathOrUrl}`;
  const res = await fetch(url, { method, body, headers: { ...headers, ...(auth ? { authorization: auth } : {}) } });
  if (res.status >= 300) throw new Error(`${method} ${url}: HTTP ${res.status} ${await res.text()}`);
  return res;
}

export async function pushBlob(reg: TestRegistry, repository: string, data: Buffer): Promise<{ digest: string; size: number }> {
  const digest = sha256(data);
  const head = await fetch(`${reg.url}/v2/${repository}/blobs/${digest}`, { method: 'HEAD', headers: (await reg.adminAuthorization(repository)) ? { authorization: (await reg.adminAuthorization(repository))! } : {} });
  if (head.status === 200) return { digest, size: data.length };
  const start = await call(reg, repository, 'POST', `/v2/${repository}/blobs/uploads/`);
  const loc = new URL(start.headers.get('location')!, reg.url);
  loc.searchParams.set('digest', digest);
  await call(reg, repository, 'PUT', loc.toString(), data, { 'content-type': 'application/octet-stream' });
  return { digest, size: data.length };
}

export async function putManifest(reg: TestRegistry, repository: string, reference: string, mediaType: string, manifest: Buffer): Promise<string> {
  const res = await call(reg, repository, 'PUT', `/v2/${repository}/manifests/${reference}`, manifest, { 'content-type': mediaType });
  const digest = sha256(manifest);
  if (res.headers.get('docker-content-digest') !== digest) throw new Error(`registry stored ${res.headers.get('docker-content-digest')}, expected ${digest}`);
  return digest;
}

export interface PushedImage {
  digest: string;
  mediaType: string;
  bytes: Buffer;
  /** Blob digests (config and layers) of every platform manifest. */
  blobs: string[];
  children?: PushedImage[];
}

export interface ImageOptions {
  /** Different seeds give different images. */
  seed: string;
  layerSize?: number;
  layers?: number;
  format?: 'oci' | 'docker';
  platform?: { os: string; architecture: string; variant?: string };
  /** Push an OCI artifact rather than an image (e.g. application/vnd.cncf.helm.config.v1+json). */
  configMediaType?: string;
}

/** Pushes a single-platform image (config + layers + manifest); tags it when `tag` is given. */
export async function pushImage(reg: TestRegistry, repository: string, tag: string | undefined, opts: ImageOptions): Promise<PushedImage> {
  const format = opts.format ?? 'oci';
  const platform = opts.platform ?? { os: 'linux', architecture: 'amd64' };
  const layers = [];
  for (let i = 0; i < (opts.layers ?? 1); i++) layers.push(seededBytes(`${opts.seed}/layer/${i}`, opts.layerSize ?? 2048));
  const layerDescs = [];
  for (const l of layers) layerDescs.push(await pushBlob(reg, repository, l));
  const config = Buffer.from(JSON.stringify({ ...platform, created: '2026-01-01T00:00:00Z', config: { Labels: { seed: opts.seed } }, rootfs: { type: 'layers', diff_ids: layerDescs.map((d) => d.digest) } }));
  const cfg = await pushBlob(reg, repository, config);
  const mediaType = format === 'oci' ? OCI_MANIFEST : DOCKER_MANIFEST;
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType,
      config: { mediaType: opts.configMediaType ?? (format === 'oci' ? 'application/vnd.oci.image.config.v1+json' : 'application/vnd.docker.container.image.v1+json'), ...cfg },
      layers: layerDescs.map((d) => ({ mediaType: format === 'oci' ? 'application/vnd.oci.image.layer.v1.tar+gzip' : 'application/vnd.docker.image.rootfs.diff.tar.gzip', ...d })),
    }),
  );
  const digest = await putManifest(reg, repository, sha256(manifest), mediaType, manifest);
  if (tag) await putManifest(reg, repository, tag, mediaType, manifest);
  return { digest, mediaType, bytes: manifest, blobs: [cfg.digest, ...layerDescs.map((d) => d.digest)] };
}

/** Pushes a multi-platform image: one manifest per platform ("linux/amd64", "linux/arm64/v8"), then the index; tags the index. */
export async function pushIndex(reg: TestRegistry, repository: string, tag: string | undefined, platforms: string[], opts: Omit<ImageOptions, 'platform'>): Promise<PushedImage> {
  const children: PushedImage[] = [];
  const descs = [];
  for (const p of platforms) {
    const [osName, architecture, variant] = p.split('/') as [string, string, string | undefined];
    const platform = { os: osName, architecture, ...(variant ? { variant } : {}) };
    const child = await pushImage(reg, repository, undefined, { ...opts, seed: `${opts.seed}/${p}`, platform });
    children.push(child);
    descs.push({ mediaType: child.mediaType, digest: child.digest, size: child.bytes.length, platform });
  }
  const mediaType = (opts.format ?? 'oci') === 'oci' ? OCI_INDEX : DOCKER_LIST;
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, manifests: descs }));
  const digest = await putManifest(reg, repository, sha256(index), mediaType, index);
  if (tag) await putManifest(reg, repository, tag, mediaType, index);
  return { digest, mediaType, bytes: index, blobs: children.flatMap((c) => c.blobs), children };
}

/** What `repository:tag` names now, read with plain HTTP (independent of the client under test). */
export async function tagDigest(reg: TestRegistry, repository: string, tag: string): Promise<string | undefined> {
  const auth = await reg.adminAuthorization(repository);
  const res = await fetch(`${reg.url}/v2/${repository}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { accept: [OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST].join(', '), ...(auth ? { authorization: auth } : {}) },
  });
  return res.status === 200 ? (res.headers.get('docker-content-digest') ?? undefined) : undefined;
}

/** Whether `repository` holds the blob (plain HTTP). */
export async function blobExists(reg: TestRegistry, repository: string, digest: string): Promise<boolean> {
  const auth = await reg.adminAuthorization(repository);
  const res = await fetch(`${reg.url}/v2/${repository}/blobs/${digest}`, { method: 'HEAD', headers: auth ? { authorization: auth } : {} });
  return res.status === 200;
}
