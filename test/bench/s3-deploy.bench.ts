/**
 * `pnpm bench`, S3 part: deploy a 10,000-file DAG folder to an S3 prefix (the
 * MWAA model), change 10 files (8 edited, 1 added, 1 deleted) and deploy
 * again, against `aws s3 sync --delete` (awscli) on the same trees, both
 * talking to the same local S3 server (npm s3rver, in a child process), in the
 * same run.
 *
 *   node --import tsx test/bench/s3-deploy.bench.ts [--files N] [--folders N] [--reps N] [--keep]
 *
 * Requests are counted at the server: s3rver's HTTP server 'request' event,
 * classified by S3 operation (test/support/s3rver-child.cjs). Prints a table
 * and writes test/bench/results/s3-deploy.json. Figures, not assertions: the
 * only failures are a wrong object count (the second deploy must write only
 * what changed) or different end states.
 *
 * What decides "changed": ferry compares the release's sha256 with the
 * object's `x-amz-meta-ferry-sha256` (known from its marker while the ETag is
 * unchanged); `aws s3 sync` compares size and modification time, so a fresh
 * checkout (every file newer than its object) uploads everything, and
 * `--size-only` misses edits that keep the size.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { getEnvironment, loadConfig, MemoryRunner, sha256, type ApplyStats, type FerryConfig, type StoredRelease } from '../../packages/core/src/index.js';
import { applyPlan, planDeploy, type DeployContext } from '../../packages/deploy/src/index.js';
import { LocalFileLedger } from '../../packages/ledger/src/index.js';
import { buildRelease, LocalReleaseStore } from '../../packages/release/src/index.js';
import { createTarget, S3Target } from '../../packages/targets/src/index.js';
import { S3RVER_CREDENTIALS, startS3rver, type S3rverProcess } from '../support/s3rver.js';
import { editDag, generateDags, prng } from './dag-gen.js';

// ---------------------------------------------------------------- options

const argv = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const FILES = opt('files', 10_000);
const FOLDERS = opt('folders', 50);
const SEED = opt('seed', 20240601);
const REPS = Math.max(1, opt('reps', 3));
const KEEP = argv.includes('--keep');
const HERE = path.dirname(fileURLToPath(import.meta.url));
const RESULTS = path.join(HERE, 'results', 's3-deploy.json');
const AWS_ENV = { ...process.env, ...S3RVER_CREDENTIALS, AWS_EC2_METADATA_DISABLED: 'true', AWS_DEFAULT_REGION: 'us-east-1', AWS_PAGER: '' };
Object.assign(process.env, S3RVER_CREDENTIALS, { AWS_EC2_METADATA_DISABLED: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' });

// ---------------------------------------------------------------- helpers

const now = () => performance.now();
const START = now();
const LOAD_START = os.loadavg().map((l) => l.toFixed(2)).join(' ');
const log = (m: string) => process.stderr.write(`[s3 bench +${((now() - START) / 1000).toFixed(1)}s] ${m}\n`);
const fmtS = (ms: number) => `${(ms / 1000).toFixed(3)} s`;
const kib = (b: number) => `${(b / 1024).toFixed(0)} KiB`;
const median = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const total = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);
const ops = (c: Record<string, number>) =>
  Object.entries(c)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');

function git(cwd: string, args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=ferry-bench', '-c', 'user.email=bench@example.invalid', '-c', 'commit.gpgsign=false', '-c', 'core.hooksPath=/dev/null', ...args], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    env: { ...process.env, GIT_AUTHOR_DATE: '2024-06-01T12:00:00Z', GIT_COMMITTER_DATE: '2024-06-01T12:00:00Z' },
  }).trim();
}

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

interface Measured {
  ms: number;
  counts: Record<string, number>;
  bytes: { in: number; out: number };
}

/** Runs `fn` with the server's request counters reset before and read after. */
async function measured<T>(s3: S3rverProcess, fn: () => Promise<T> | T): Promise<Measured & { value: T }> {
  await s3.resetCounts();
  const t = now();
  const value = await fn();
  const ms = now() - t;
  return { ms, value, counts: await s3.counts(), bytes: await s3.traffic() };
}

/** `aws s3 sync <dir> s3://<bucket>/dags --delete` against s3rver. */
function awsSync(s3: S3rverProcess, dir: string, bucket: string, extra: string[] = []): void {
  const r = spawnSync('aws', ['s3', 'sync', dir, `s3://${bucket}/dags`, '--delete', '--endpoint-url', s3.endpoint, '--no-progress', '--only-show-errors', ...extra], {
    env: AWS_ENV,
    encoding: 'utf8',
    maxBuffer: 256 << 20,
  });
  if (r.status !== 0) throw new Error(`aws s3 sync failed (${r.status}): ${r.stderr}`);
}

/** path -> sha256 of every object s3rver stores under <bucket>/dags/ (read from its folder, outside any timing). */
function bucketContent(s3: S3rverProcess, bucket: string): Map<string, string> {
  const root = path.join(s3.directory, bucket, 'dags');
  const out = new Map<string, string>();
  for (const e of fs.readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!e.isFile() || !e.name.endsWith('._S3rver_object')) continue;
    const rel = path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join('/').replace(/\._S3rver_object$/, '');
    if (rel.startsWith('.ferry/')) continue;
    out.set(rel, createHash('sha256').update(fs.readFileSync(path.join(e.parentPath, e.name))).digest('hex'));
  }
  return out;
}

function sameMap(a: Map<string, string>, b: Map<string, string>): boolean {
  return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
}

// --------------------------------------------- phase timing (wraps, never edits, package code)

let phases: Record<string, number> = {};
const addPhase = (name: string, ms: number) => (phases[name] = (phases[name] ?? 0) + ms);

function instrument(): void {
  const stage = S3Target.prototype.stage;
  S3Target.prototype.stage = async function (this: S3Target, source, releaseId, runner) {
    const t = now();
    const staged = await stage.call(this, source, releaseId, runner);
    addPhase('stage', now() - t);
    const commit = staged.commit;
    staged.commit = async () => {
      const tc = now();
      await commit();
      addPhase('commit', now() - tc);
    };
    return staged;
  };
  const state = S3Target.prototype.state;
  S3Target.prototype.state = async function (this: S3Target) {
    const t = now();
    try {
      return await state.call(this);
    } finally {
      addPhase('plan: target.state()', now() - t);
    }
  };
}

// ---------------------------------------------------------------- deploy

function context(config: FerryConfig): DeployContext {
  return {
    config,
    runner: new MemoryRunner(),
    ledger: new LocalFileLedger(path.join(config.root, '.ferry', 'ledger.json')),
    store: new LocalReleaseStore(config.release.store),
    secret: () => undefined,
  };
}

interface FerryDeploy extends Measured {
  planMs: number;
  applyMs: number;
  stats: ApplyStats;
  phases: Record<string, number>;
}

async function deploy(s3: S3rverProcess, config: FerryConfig, env: string, release: StoredRelease): Promise<FerryDeploy> {
  const ctx = context(config);
  phases = {};
  let planMs = 0;
  const m = await measured(s3, async () => {
    const t0 = now();
    const planned = await planDeploy(ctx, env, release);
    planMs = now() - t0;
    return applyPlan(ctx, planned);
  });
  if (!m.value.changed) throw new Error(`deploy to ${env} changed nothing`);
  return { ms: m.ms, counts: m.counts, bytes: m.bytes, planMs, applyMs: m.ms - planMs, stats: m.value.stats, phases: { ...phases } };
}

/** The ledger record applyPlan would have written for `env` (its bucket is a copy of a deployed one). */
async function seedLedger(config: FerryConfig, env: string, release: StoredRelease): Promise<void> {
  const ledger = new LocalFileLedger(path.join(config.root, '.ferry', 'ledger.json'));
  const m = release.manifest;
  const rec = await ledger.start({
    environment: env,
    releaseId: m.id,
    version: m.version,
    commit: m.git.commit,
    ref: m.git.ref,
    production: getEnvironment(config, env).production,
    manifestDigest: sha256(fs.readFileSync(path.join(release.dir, 'release.json'))),
    description: `deploy ${m.version}`,
  });
  await ledger.finish(rec.id, 'success', `deployed ${m.version} (state seeded by the benchmark)`);
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  for (const cmd of ['git', 'aws']) if (!have(cmd)) throw new Error(`${cmd} is not installed (apt-get install ${cmd === 'aws' ? 'awscli' : cmd})`);
  const awsVersion = execFileSync('aws', ['--version'], { encoding: 'utf8', env: AWS_ENV, stdio: ['ignore', 'pipe', 'pipe'] }).trim() || 'aws (version unknown)';
  instrument();

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-s3-bench-'));
  const repo = path.join(tmp, 'repo');
  const dagsDir = path.join(repo, 'dags');
  const envs = Array.from({ length: REPS }, (_, i) => `s3-${i + 1}`);
  const s3 = await startS3rver({ directory: path.join(tmp, 's3rver'), buckets: ['ferry-1', 'aws-1', 'aws-empty'] });
  log(`work folder ${tmp}${KEEP ? ' (kept)' : ''}; s3rver at ${s3.endpoint}`);
  try {
    // 1. Repository ----------------------------------------------------------
    const tree = generateDags(SEED, FILES, FOLDERS);
    for (const [rel, content] of tree.files) {
      fs.mkdirSync(path.dirname(path.join(dagsDir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dagsDir, rel), content);
    }
    fs.writeFileSync(path.join(dagsDir, '.airflowignore'), '# generated by the ferry benchmark\n');
    fs.writeFileSync(
      path.join(repo, 'ferry.yml'),
      [
        'project: ferry-s3-bench',
        'artifacts:',
        '  dags:',
        '    path: dags',
        'environments:',
        ...envs.flatMap((env, i) => [
          `  - name: ${env}`,
          '    targets:',
          `      dags: { kind: s3, bucket: ferry-${i + 1}, prefix: dags/, endpoint: "${s3.endpoint}", force_path_style: true }`,
        ]),
        '',
      ].join('\n'),
    );
    fs.writeFileSync(path.join(repo, '.gitignore'), '.ferry/\n');
    git(repo, ['init', '-q', '-b', 'main']);
    git(repo, ['add', '-A']);
    git(repo, ['commit', '-q', '-m', 'bench: initial DAGs']);
    const bytes = [...tree.files.values()].reduce((s, c) => s + Buffer.byteLength(c), 0);
    log(`generated ${tree.files.size} DAG files (${(bytes / (1 << 20)).toFixed(1)} MiB) in ${FOLDERS} folders`);

    const config = loadConfig(path.join(repo, 'ferry.yml'));
    const rel1 = await buildRelease({ config, runner: new MemoryRunner(), secret: () => undefined });
    const nFiles = rel1.manifest.artifacts.find((a) => a.kind === 'dags')!.files.length;
    log(`release #1 built: ${nFiles} files`);

    // 2. First deploys (into empty prefixes) -----------------------------------
    // aws works on a checkout made before its first sync, edited in place later
    // (its best case: only the edited files get newer mtimes).
    const awsWork = path.join(tmp, 'aws-work');
    fs.cpSync(dagsDir, awsWork, { recursive: true });
    const dep1 = await deploy(s3, config, envs[0]!, rel1);
    log(`ferry deploy #1: ${fmtS(dep1.ms)}, ${total(dep1.counts)} requests`);
    const aws1 = await measured(s3, () => awsSync(s3, awsWork, 'aws-1'));
    log(`aws s3 sync #1: ${fmtS(aws1.ms)}, ${total(aws1.counts)} requests`);

    // Copies of both deployed buckets for the repeated runs (s3rver keeps each
    // bucket in a folder; `cp -a` keeps LastModified, which is the files' mtime).
    const cloneBucket = (from: string, to: string) => execFileSync('cp', ['-a', path.join(s3.directory, from), path.join(s3.directory, to)]);
    for (const [i, env] of envs.entries()) {
      if (i === 0) continue;
      cloneBucket('ferry-1', `ferry-${i + 1}`);
      await seedLedger(config, env, rel1);
      cloneBucket('aws-1', `aws-${i + 1}`);
    }
    cloneBucket('aws-1', 'aws-fresh');
    cloneBucket('aws-1', 'aws-size-only');
    log('bucket copies for the repeated runs made (untimed)');

    // 3. Change 10 files: edit 8, add 1, delete 1 (the same changes as dag-deploy.bench.ts)
    await new Promise((r) => setTimeout(r, 1100)); // mtimes of edits must be newer than the objects' LastModified (1 s resolution)
    const r = prng(SEED + 1);
    const all = [...tree.files.keys()];
    const chosen = new Set<string>();
    while (chosen.size < 9) chosen.add(all[Math.floor(r() * all.length)]!);
    const [deleted, ...edited] = [...chosen];
    const added = `${tree.domains[3]}/bench_added_dag.py`;
    const changes = new Map<string, string | null>();
    edited.forEach((p, i) => changes.set(p, editDag(r, tree.files.get(p)!, i + 1)));
    changes.set(deleted!, null);
    changes.set(added, tree.files.get(edited[0]!)!.replace(/dag_id="[^"]+"/, 'dag_id="bench_added_dag"'));
    for (const dir of [dagsDir, awsWork]) {
      for (const [p, c] of changes) {
        if (c === null) fs.rmSync(path.join(dir, p));
        else fs.writeFileSync(path.join(dir, p), c);
      }
    }
    git(repo, ['add', '-A']);
    git(repo, ['commit', '-q', '-m', 'bench: change 10 DAGs']);
    const rel2 = await buildRelease({ config, runner: new MemoryRunner(), secret: () => undefined });
    // What CI sees: a fresh clone (actions/checkout), every file written now.
    const fresh = path.join(tmp, 'fresh-checkout');
    execFileSync('git', ['clone', '-q', repo, fresh]);
    log('changed 10 files (8 edited, 1 added, 1 deleted), committed, built release #2, cloned a fresh checkout');

    // 4. Second deploys (timed), REPS times each from the same state -----------
    const dep2s: FerryDeploy[] = [];
    for (const env of envs) {
      const d = await deploy(s3, config, env, rel2);
      dep2s.push(d);
      log(`ferry deploy #2 to ${env}: ${fmtS(d.ms)}, ${total(d.counts)} requests (${ops(d.counts)})`);
    }
    const aws2s: Measured[] = [];
    for (let i = 1; i <= REPS; i++) {
      const m = await measured(s3, () => awsSync(s3, awsWork, `aws-${i}`));
      aws2s.push(m);
      log(`aws s3 sync #2 (edited in place) to aws-${i}: ${fmtS(m.ms)}, ${total(m.counts)} requests (${ops(m.counts)})`);
    }
    const awsFresh = await measured(s3, () => awsSync(s3, path.join(fresh, 'dags'), 'aws-fresh'));
    log(`aws s3 sync #2 (fresh checkout): ${fmtS(awsFresh.ms)}, ${total(awsFresh.counts)} requests`);
    const awsSize = await measured(s3, () => awsSync(s3, path.join(fresh, 'dags'), 'aws-size-only', ['--size-only']));
    log(`aws s3 sync --size-only #2 (fresh checkout): ${fmtS(awsSize.ms)}, ${total(awsSize.counts)} requests`);
    const emptyDir = fs.mkdtempSync(path.join(tmp, 'empty-'));
    const awsFixed: Measured[] = [];
    for (let i = 0; i < 3; i++) awsFixed.push(await measured(s3, () => awsSync(s3, emptyDir, 'aws-empty')));
    log(`aws fixed cost (empty folder to empty prefix): ${awsFixed.map((m) => fmtS(m.ms)).join(', ')}`);

    // 5. ferry verify's scan (HEAD every object) --------------------------------
    const scan = await measured(s3, () => createTarget(getEnvironment(config, envs[0]!).targets.dags!).scan());
    log(`ferry scan: ${fmtS(scan.ms)}, ${total(scan.counts)} requests`);

    // 6. End states (untimed): every bucket holds exactly release #2 ------------
    const want = new Map(rel2.manifest.artifacts.find((a) => a.kind === 'dags')!.files.map((f) => [f.path, f.sha256]));
    const ends: Record<string, boolean> = {};
    for (let i = 1; i <= REPS; i++) {
      ends[`ferry-${i}`] = sameMap(bucketContent(s3, `ferry-${i}`), want);
      ends[`aws-${i}`] = sameMap(bucketContent(s3, `aws-${i}`), want);
    }
    ends['aws-fresh'] = sameMap(bucketContent(s3, 'aws-fresh'), want);
    ends['aws-size-only'] = sameMap(bucketContent(s3, 'aws-size-only'), want);
    ends['scan'] = sameMap(scan.value, want);
    const sameEnd = Object.values(ends).every(Boolean);

    // ---------------------------------------------------------------- report
    const putFiles = (d: FerryDeploy) => d.stats.written;
    const countsOk =
      dep2s.every((d) => d.stats.written === 9 && d.stats.removed === 1 && (d.counts.PutObject ?? 0) === 9 + 2) && aws2s.every((m) => (m.counts.PutObject ?? 0) === 9 && (m.counts.DeleteObject ?? 0) === 1);
    const dep2Med = median(dep2s.map((d) => d.ms));
    const aws2Med = median(aws2s.map((m) => m.ms));
    const fixedMed = median(awsFixed.map((m) => m.ms));
    const reqs = (ms: Measured[]) => ms.map((m) => total(m.counts)).join(' / ');
    const runs = (xs: number[]) => xs.map((x) => (x / 1000).toFixed(2)).join(' / ') + ' s';
    const ratio = (a: number, b: number, what = 'ferry slower') => `${(a / b).toFixed(2)}× (>1 = ${what})`;
    const dep2 = dep2s[0]!;

    const rows: [string, string, string, string][] = [
      ['repository', `${nFiles} files, ${(bytes / (1 << 20)).toFixed(1)} MiB, ${FOLDERS} folders`, 'same files', ''],
      ['deploy #1 (empty prefix): wall time', fmtS(dep1.ms), `${fmtS(aws1.ms)} aws s3 sync --delete`, ratio(dep1.ms, aws1.ms)],
      ['deploy #1: requests', `${total(dep1.counts)}`, `${total(aws1.counts)}`, ''],
      ['deploy #1: objects written (PutObject)', `${dep1.counts.PutObject ?? 0} (${nFiles} files + 2 markers)`, `${aws1.counts.PutObject ?? 0}`, ''],
      [`deploy #2 (10 changed): wall time, median of ${REPS}`, fmtS(dep2Med), `${fmtS(aws2Med)} aws s3 sync --delete, edited in place`, ratio(dep2Med, aws2Med)],
      [`deploy #2: each of ${REPS} runs`, runs(dep2s.map((d) => d.ms)), runs(aws2s.map((m) => m.ms)), ''],
      ['deploy #2: requests (each run)', reqs(dep2s), reqs(aws2s), ''],
      ['deploy #2: requests by operation (run 1)', ops(dep2.counts), ops(aws2s[0]!.counts), ''],
      ['deploy #2: objects written (PutObject)', `${dep2.counts.PutObject ?? 0} (${putFiles(dep2)} files + 2 markers)`, `${aws2s[0]!.counts.PutObject ?? 0}`, 'expected 9 files'],
      ['deploy #2: objects deleted', `${dep2.stats.removed} (${dep2.counts.DeleteObjects ?? 0} DeleteObjects request)`, `${aws2s[0]!.counts.DeleteObject ?? 0} (DeleteObject requests)`, 'expected 1'],
      ['deploy #2: bytes in / out at the server (run 1)', `${kib(dep2.bytes.in)} / ${kib(dep2.bytes.out)}`, `${kib(aws2s[0]!.bytes.in)} / ${kib(aws2s[0]!.bytes.out)}`, ''],
      ['deploy #2 from a fresh checkout (what CI sees)', `${fmtS(dep2Med)}, ${total(dep2.counts)} requests (ferry ignores mtimes)`, `${fmtS(awsFresh.ms)}, ${total(awsFresh.counts)} requests, ${awsFresh.counts.PutObject ?? 0} objects written`, ratio(dep2Med, awsFresh.ms)],
      ['deploy #2, fresh checkout, aws --size-only', '', `${fmtS(awsSize.ms)}, ${total(awsSize.counts)} requests, ${awsSize.counts.PutObject ?? 0} written (misses same-size edits)`, ''],
      ['fixed cost per run', 'in-process (no process start)', `${fmtS(fixedMed)} aws start + 1 LIST (empty folder, median of 3)`, ''],
      ['verify: scan() of the deployed prefix', `${fmtS(scan.ms)}, ${total(scan.counts)} requests (${ops(scan.counts)})`, '', ''],
      ['end state = release #2 in every bucket', sameEnd ? 'yes' : `NO: ${Object.entries(ends).filter(([, v]) => !v).map(([k]) => k).join(', ')}`, '', ''],
    ];
    const head = ['metric', 'ferry', 'baseline (awscli)', 'ratio (ferry ÷ baseline)'];
    const w = [0, 1, 2, 3].map((i) => Math.max(...rows.map((row) => row[i]!.length), head[i]!.length));
    const line = (c: string[]) => '| ' + c.map((x, i) => x.padEnd(w[i]!)).join(' | ') + ' |';
    const out: string[] = [];
    out.push('', `ferry S3 benchmark: ${FILES} DAG files to an S3 prefix (s3rver), change 10, deploy again; vs aws s3 sync --delete`, '');
    out.push(line(head));
    out.push('|' + w.map((n) => '-'.repeat(n + 2)).join('|') + '|');
    for (const row of rows) out.push(line(row));

    out.push('', `deploy #2 phases, run 1 (ms; % of total)`);
    const ph = (k: string) => dep2.phases[k] ?? 0;
    const parts: [string, number][] = [
      ['plan (planDeploy)', dep2.planMs],
      ['  target.state(): GET marker', ph('plan: target.state()')],
      ['apply (applyPlan)', dep2.applyMs],
      ['  stage: GET marker, LIST the prefix, extract + hash the changed files', ph('stage')],
      ['  commit: HEAD marker, PUT in-progress marker, PUT files, DeleteObjects, PUT marker', ph('commit')],
      ['total', dep2.ms],
    ];
    for (const [name, ms] of parts) out.push(`  ${name.padEnd(84)} ${ms.toFixed(1).padStart(9)}  ${((100 * ms) / dep2.ms).toFixed(0).padStart(3)}%`);

    const machine = { nproc: os.cpus().length, node: process.version, cpu: os.cpus()[0]?.model ?? 'unknown', os: `${os.type()} ${os.release()}`, aws: awsVersion };
    out.push('', 'notes:');
    out.push('  requests are counted inside the s3rver process (its HTTP server\'s "request" event, classified by method/path/query), so both tools are counted the same way; bytes are socket counters between request and response (approximate, headers included).');
    out.push('  what decides "changed": ferry compares the release\'s sha256 with each object\'s x-amz-meta-ferry-sha256 (from its marker while the listed ETag is the recorded one, else one HEAD); aws s3 sync compares size and mtime (local newer than LastModified), so a fresh checkout uploads every file, and --size-only would miss an edit that keeps the size.');
    out.push(`  ferry's marker (.ferry/release.json) lists every file's sha256 and ETag: for ${nFiles} files it is read twice (plan, stage) and written twice (in-progress, complete) per deploy; that is most of ferry's bytes above.`);
    out.push(`  ferry runs in-process (planDeploy + applyPlan, with LocalFileLedger and LocalReleaseStore; the AWS SDK is already loaded after deploy #1); concurrency 16 (ferry.yml default). awscli runs as a process per sync (default max_concurrent_requests 10); its start-up is in its time (see "fixed cost").`);
    out.push(`  deploy #2 runs: ferry environments ${envs.join(', ')} and aws buckets aws-1..aws-${REPS}, each starting from a copy of the bucket deploy #1 made (s3rver keeps buckets as folders; copied with cp -a, untimed), ferry's ledger seeded with deploy #1's record.`);
    out.push(`  s3rver is a single Node process writing every object to its own folder: absolute times are far slower than S3 (compare requests, and ratios of time).`);
    out.push(`  load average at start ${LOAD_START}, at end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; machine: nproc ${machine.nproc}, ${machine.cpu}, node ${machine.node}, ${machine.os}, ${machine.aws}`);
    out.push(`  object counts: ${countsOk ? 'OK: ferry wrote 9 files and deleted 1 (+2 marker writes); aws s3 sync (in place) wrote 9 and deleted 1' : 'MISMATCH (see requests by operation)'}.`);
    process.stdout.write(out.join('\n') + '\n');

    const slim = (m: Measured) => ({ ms: m.ms, requests: total(m.counts), counts: m.counts, bytes: m.bytes });
    const json = {
      format: 'ferry.bench/v1',
      bench: 's3-deploy',
      at: new Date().toISOString(),
      machine: { ...machine, loadavgStart: LOAD_START, loadavgEnd: os.loadavg().map((l) => l.toFixed(2)).join(' ') },
      params: { files: nFiles, folders: FOLDERS, seed: SEED, bytes, reps: REPS, changes: { edited: edited.length, added: 1, deleted: 1 }, server: 's3rver 3.7.1 (child process)', counting: 'server-side, per request' },
      deploy1: { ferry: { ...slim(dep1), stats: dep1.stats }, aws: slim(aws1) },
      deploy2: {
        ferry: { runs: dep2s.map((d) => ({ ...slim(d), planMs: d.planMs, applyMs: d.applyMs, stats: d.stats, phases: d.phases })), medianMs: dep2Med },
        aws: { tool: 'aws s3 sync --delete (checkout edited in place)', runs: aws2s.map(slim), medianMs: aws2Med },
        awsFreshCheckout: { tool: 'aws s3 sync --delete (fresh git clone)', ...slim(awsFresh) },
        awsSizeOnly: { tool: 'aws s3 sync --delete --size-only (fresh git clone)', ...slim(awsSize) },
        ratio: dep2Med / aws2Med,
      },
      awsFixedCost: { runs: awsFixed.map(slim), medianMs: fixedMed },
      scan: slim(scan),
      endStates: ends,
      countsOk,
    };
    fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
    fs.writeFileSync(RESULTS, JSON.stringify(json, (_k, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 10) / 10 : v), 2) + '\n');
    log(`figures written to ${path.relative(process.cwd(), RESULTS)}`);
    if (!countsOk || !sameEnd) process.exitCode = 1;
  } finally {
    await s3.stop();
    if (!KEEP) {
      fs.rmSync(tmp, { recursive: true, force: true });
      log('work folder removed');
    }
  }
}

main().catch((e) => {
  process.stderr.write(`[s3 bench] failed: ${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
});
