/**
 * A tiny, valid ferry project for the bad-input corpus, and what the corpus
 * needs around it: run the CLI in-process with captured output, mutate files,
 * and snapshot everything a refused command must leave alone.
 *
 * The template is built once (git commit + one successful `ferry deploy dev`)
 * and copied for every case, so each case starts from live state to protect
 * without paying for a build.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { git } from '../support/git-repo.js';
import { main, type Io } from '@ferry/cli';

/** The value of the one secret the fixture's config refers to. It must never be printed. */
export const SECRET_NAME = 'WAREHOUSE_PASSWORD';
export const SECRET_VALUE = 'pg-S3cr3t-8f1d-never-print-me';

export const FERRY_YML = `# bad-input fixture
project: bad-input

artifacts:
  dags:
    path: dags
  configs:
    path: config
    schemas:
      - files: "pipelines*.yml"
        schema: schemas/pipelines.schema.json

environments:
  - name: dev
    targets:
      dags: { kind: local, path: .ferry/targets/dev/dags }
      configs: { kind: local, path: .ferry/targets/dev/config }
  - name: staging
    targets:
      dags: { kind: local, path: .ferry/targets/staging/dags }
      configs: { kind: local, path: .ferry/targets/staging/config }
  - name: prod
    requires: staging
    production: true
    targets:
      dags: { kind: local, path: .ferry/targets/prod/dags }
      configs: { kind: local, path: .ferry/targets/prod/config }
`;

const PIPELINES_YML = `# Warehouse connection and schedule shared by every environment.
warehouse:
  host: localhost
  port: 5432
  user: etl
  password: \${secret:${SECRET_NAME}}
schedule: "@daily"
retries: 1
`;

const PIPELINES_PROD_YML = `warehouse:
  host: warehouse.prod.internal
retries: 3
`;

const THRESHOLDS_JSON = `{
  "orders": { "max_null_ratio": 0.01 },
  "customers": { "max_null_ratio": 0.05 }
}
`;

const PIPELINES_SCHEMA = JSON.stringify(
  {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    required: ['warehouse', 'schedule', 'retries'],
    additionalProperties: false,
    properties: {
      warehouse: {
        type: 'object',
        required: ['host', 'port', 'user', 'password'],
        additionalProperties: false,
        properties: { host: { type: 'string' }, port: { type: 'integer' }, user: { type: 'string' }, password: { type: 'string' } },
      },
      schedule: { type: 'string' },
      retries: { type: 'integer', minimum: 0, maximum: 5 },
    },
  },
  null,
  2,
);

const FILES: Record<string, string> = {
  'ferry.yml': FERRY_YML,
  '.gitignore': '.ferry/\n',
  'dags/orders_daily.py': 'from common.util import default_args\n\nDAG_ID = "orders_daily"\nARGS = default_args()\n',
  'dags/common/__init__.py': '',
  'dags/common/util.py': 'def default_args():\n    return {"owner": "data", "retries": 1}\n',
  'config/pipelines.yml': PIPELINES_YML,
  'config/pipelines.prod.yml': PIPELINES_PROD_YML,
  'config/thresholds.json': THRESHOLDS_JSON,
  'schemas/pipelines.schema.json': PIPELINES_SCHEMA + '\n',
};

/** Every target the fixture's ferry.yml declares (relative to the project). */
export const TARGETS = ['dev', 'staging', 'prod'].flatMap((env) => [`.ferry/targets/${env}/dags`, `.ferry/targets/${env}/config`]);
export const LEDGER = '.ferry/ledger.json';
export const STORE = '.ferry/releases';

export interface RunResult {
  code: number;
  out: string[];
  err: string[];
  /** stdout and stderr, in the order written. */
  all: string;
}

export interface TargetSnapshot {
  kind: 'missing' | 'link' | 'dir' | 'file';
  link?: string;
  /** sha256 of every file of the live tree (through the symlink), or of the file itself. */
  files: Record<string, string>;
}

export interface Snapshot {
  targets: Record<string, TargetSnapshot>;
  /** The ledger file's bytes (or null when absent). */
  ledger: string | null;
  /** Every file below the release store, with its sha256. */
  store: Record<string, string>;
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');


/** Files below `dir` (following nothing), path -> sha256; symlinks are recorded as `-> target`. */
function hashDir(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const abs = path.join(e.parentPath, e.name);
    const rel = path.relative(dir, abs).split(path.sep).join('/');
    if (e.isSymbolicLink()) out[rel] = `-> ${fs.readlinkSync(abs)}`;
    else if (e.isFile()) out[rel] = sha(fs.readFileSync(abs));
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function snapshotTarget(abs: string): TargetSnapshot {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(abs);
  } catch {
    return { kind: 'missing', files: {} };
  }
  if (st.isSymbolicLink()) {
    const link = fs.readlinkSync(abs);
    let files: Record<string, string> = {};
    try {
      files = hashDir(fs.realpathSync(abs));
    } catch {
      files = { '(dangling)': link };
    }
    return { kind: 'link', link, files };
  }
  if (st.isDirectory()) return { kind: 'dir', files: hashDir(abs) };
  return { kind: 'file', files: { '': sha(fs.readFileSync(abs)) } };
}

export class Fixture {
  /** Values overriding process.env while `run` runs; `undefined` removes the variable. */
  readonly env: Record<string, string | undefined> = { [SECRET_NAME]: SECRET_VALUE };
  /** Values a case's setup hands to its argv (e.g. the id of a release it built). */
  readonly vars: Record<string, string> = {};

  constructor(
    /** The project folder (holds ferry.yml and .git). */
    readonly root: string,
    /** A folder beside the project: paths and symlinks into it leave the repository. */
    readonly outside: string,
    /** The release `ferry deploy dev` put live in the template. */
    readonly baselineRelease: string,
  ) {}

  path(rel: string): string {
    return path.join(this.root, rel);
  }
  read(rel: string): string {
    return fs.readFileSync(this.path(rel), 'utf8');
  }
  write(rel: string, text: string | Buffer): void {
    fs.mkdirSync(path.dirname(this.path(rel)), { recursive: true });
    fs.writeFileSync(this.path(rel), text);
  }
  /** Rewrites a file; fails loudly when the edit changes nothing (a mutation that silently misses is a useless case). */
  edit(rel: string, fn: (text: string) => string): void {
    const before = this.read(rel);
    const after = fn(before);
    if (after === before) throw new Error(`fixture: edit of ${rel} changed nothing`);
    this.write(rel, after);
  }
  /** Replaces exactly one occurrence of `from` in a file. */
  replace(rel: string, from: string, to: string): void {
    this.edit(rel, (t) => {
      const i = t.indexOf(from);
      if (i < 0 || t.indexOf(from, i + 1) >= 0) throw new Error(`fixture: ${JSON.stringify(from)} must occur exactly once in ${rel}`);
      return t.slice(0, i) + to + t.slice(i + from.length);
    });
  }
  rm(rel: string): void {
    fs.rmSync(this.path(rel), { recursive: true, force: true });
  }
  symlink(rel: string, target: string): void {
    fs.mkdirSync(path.dirname(this.path(rel)), { recursive: true });
    fs.symlinkSync(target, this.path(rel));
  }
  /** Inverts one byte in the middle of a file (absolute path). */
  flipByte(file: string): void {
    const buf = fs.readFileSync(file);
    const i = buf.length >> 1;
    buf.writeUInt8(buf.readUInt8(i) ^ 0xff, i);
    fs.writeFileSync(file, buf);
  }
  git(...args: string[]): string {
    return git(this.root, ...args);
  }
  releaseDir(id = this.baselineRelease): string {
    return this.path(path.join(STORE, id));
  }
  /** Ids of the complete releases in the store. */
  releaseIds(): string[] {
    try {
      return fs.readdirSync(this.path(STORE)).filter((n) => /^[0-9a-f]{64}$/.test(n));
    } catch {
      return [];
    }
  }
  /** The parsed ledger's records for one environment, oldest first. */
  ledgerRecords(env: string): { id: string; releaseId: string; events: { event: string }[] }[] {
    const data = JSON.parse(this.read(LEDGER)) as { deployments: { id: string; environment: string; releaseId: string; events: { event: string }[] }[] };
    return data.deployments.filter((d) => d.environment === env);
  }
  /** The release id the live tree of a target says it holds (from its marker), if any. */
  liveRelease(target: string): string | undefined {
    try {
      return (JSON.parse(fs.readFileSync(path.join(this.path(target), '.ferry-release.json'), 'utf8')) as { releaseId: string }).releaseId;
    } catch {
      return undefined;
    }
  }

  snapshot(): Snapshot {
    const ledger = fs.existsSync(this.path(LEDGER)) ? fs.readFileSync(this.path(LEDGER), 'utf8') : null;
    const store = fs.existsSync(this.path(STORE)) ? hashDir(this.path(STORE)) : {};
    return { targets: Object.fromEntries(TARGETS.map((t) => [t, snapshotTarget(this.path(t))])), ledger, store };
  }

  /** `ferry --config <root>/ferry.yml <argv…>` in-process (or `argv` as is with `{ config: false }`). */
  async run(argv: string[], opts: { config?: boolean; cwd?: string } = {}): Promise<RunResult> {
    const full = opts.config === false ? argv : ['--config', this.path('ferry.yml'), ...argv];
    return runCli(full, { ...this.env, FERRY_DEBUG: undefined, NO_COLOR: '1' }, opts.cwd);
  }
}

/** Runs `main` with captured output, `env` applied to process.env (and restored), optionally in another cwd. */
export async function runCli(argv: string[], env: Record<string, string | undefined> = {}, cwd?: string): Promise<RunResult> {
  const out: string[] = [];
  const err: string[] = [];
  const all: string[] = [];
  const io: Io = {
    out: (s) => (out.push(s), all.push(s)),
    err: (s) => (err.push(s), all.push(s)),
    isTTY: false,
    color: false,
  };
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const savedCwd = process.cwd();
  const apply = (vars: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(vars)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  apply(env);
  if (cwd) process.chdir(cwd);
  try {
    const code = await main(argv, io);
    return { code, out, err, all: all.join('\n') };
  } finally {
    if (cwd) process.chdir(savedCwd);
    apply(saved);
  }
}

/** Builds the template project once: files, git commit, one successful `ferry deploy dev`. */
export class Corpus {
  private counter = 0;
  private constructor(
    readonly base: string,
    private readonly template: string,
    readonly baselineRelease: string,
  ) {}

  static async create(): Promise<Corpus> {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-bad-input-'));
    const template = path.join(base, 'template');
    for (const [rel, text] of Object.entries(FILES)) {
      fs.mkdirSync(path.dirname(path.join(template, rel)), { recursive: true });
      fs.writeFileSync(path.join(template, rel), text);
    }
    git(template, 'init', '-q');
    git(template, 'add', '-A');
    git(template, 'commit', '-q', '-m', 'bad-input fixture');
    const f = new Fixture(template, path.join(base, 'outside'), '');
    const r = await f.run(['deploy', 'dev']);
    if (r.code !== 0) throw new Error(`fixture: baseline deploy failed (${r.code}):\n${r.all}`);
    const ids = f.releaseIds();
    if (ids.length !== 1) throw new Error(`fixture: expected one release after the baseline deploy, found ${ids.length}`);
    return new Corpus(base, template, ids[0]!);
  }

  /** A fresh copy of the template with a folder (and files) outside it. */
  fresh(): Fixture {
    const dir = path.join(this.base, `case-${++this.counter}`);
    const root = path.join(dir, 'repo');
    fs.cpSync(this.template, root, { recursive: true, verbatimSymlinks: true });
    const outside = path.join(dir, 'outside');
    fs.mkdirSync(outside, { recursive: true });
    fs.writeFileSync(path.join(outside, 'stolen.py'), 'print("from outside the repository")\n');
    fs.writeFileSync(path.join(outside, 'stolen.yml'), 'leaked: from outside the repository\n');
    return new Fixture(root, outside, this.baselineRelease);
  }

  cleanup(): void {
    if (process.env.FERRY_KEEP_TMP !== '1') fs.rmSync(this.base, { recursive: true, force: true });
  }
}
