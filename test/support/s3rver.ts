/**
 * A real S3 protocol server (npm `s3rver`) in a child process, for tests and
 * `pnpm bench`. It runs out of process because it needs
 * NODE_OPTIONS=--openssl-legacy-provider on Node 20 (its ListObjectsV2
 * continuation tokens use DES; without the option any listing past 1,000 keys
 * fails), and so that a benchmark's client and server do not share one event
 * loop. Requests are counted inside the server process (see s3rver-child.cjs).
 *
 *   const s3 = await startS3rver();
 *   await s3.createBucket('b');
 *   // endpoint s3.endpoint, path-style, any credentials (s3rver's own are S3RVER/S3RVER)
 *   await s3.stop();
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 's3rver-child.cjs');

/** What the AWS SDK / awscli need to talk to s3rver (it accepts these static credentials). */
export const S3RVER_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' } as const;

export interface S3rverProcess {
  /** http://127.0.0.1:<port> */
  readonly endpoint: string;
  readonly port: number;
  /** Where s3rver keeps buckets and objects. */
  readonly directory: string;
  createBucket(name: string): Promise<void>;
  /** Requests received since start (or the last reset), by S3 operation. */
  counts(): Promise<Record<string, number>>;
  /** Bytes the server received and sent since start (or the last reset), headers included (socket counters; approximate). */
  traffic(): Promise<{ in: number; out: number }>;
  resetCounts(): Promise<void>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

interface Message {
  type: 'ready' | 'error' | 'counts' | 'reset';
  port?: number;
  message?: string;
  counts?: Record<string, number>;
  bytes?: { in: number; out: number };
}

export async function startS3rver(opts: { buckets?: string[]; directory?: string } = {}): Promise<S3rverProcess> {
  const directory = opts.directory ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-s3rver-'));
  const child: ChildProcess = fork(CHILD, [directory, ...(opts.buckets ?? [])], {
    env: { ...process.env, NODE_OPTIONS: '--openssl-legacy-provider' },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`s3rver did not start within 15 s: ${stderr}`)), 15_000);
    child.once('message', (m: Message) => {
      clearTimeout(timer);
      if (m.type === 'ready' && m.port) resolve(m.port);
      else reject(new Error(`s3rver failed to start: ${m.message ?? stderr}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`s3rver exited (${code}) before it was ready: ${stderr}`));
    });
  });
  const endpoint = `http://127.0.0.1:${port}`;

  const ask = (type: 'counts' | 'reset') =>
    new Promise<Message>((resolve, reject) => {
      const onMessage = (m: Message) => {
        if (m.type !== type) return;
        child.off('message', onMessage);
        resolve(m);
      };
      child.on('message', onMessage);
      if (!child.send({ type })) reject(new Error('s3rver is not running'));
    });

  return {
    endpoint,
    port,
    directory,
    async createBucket(name) {
      // s3rver accepts unsigned requests.
      const res = await fetch(`${endpoint}/${name}`, { method: 'PUT' });
      if (!res.ok) throw new Error(`creating bucket ${name} failed: ${res.status} ${await res.text()}`);
    },
    async counts() {
      return (await ask('counts')).counts ?? {};
    },
    async traffic() {
      return (await ask('counts')).bytes ?? { in: 0, out: 0 };
    },
    async resetCounts() {
      await ask('reset');
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        await exited;
      }
      if (!opts.directory) fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}
