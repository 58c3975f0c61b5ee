/**
 * `pnpm bench`: build and deploy a 10,000-file DAG repository, then change
 * 10 files and deploy again, with same-run baselines (sha256sum, rsync).
 *
 *   node --import tsx test/bench/dag-deploy.bench.ts [--files N] [--folders N] [--reps N] [--keep]
 *
 * Prints a table (metric | ferry | baseline | ratio) and writes the figures to
 * test/bench/results/latest.json. Figures, not assertions: the only failure is
 * a wrong file count (the second deploy must write only what changed).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import zlib from 'node:zlib';
import { getEnvironment, hashTree, loadConfig, MemoryRunner, sha256, type ApplyStats, type FerryConfig, type SourceTree, type StoredRelease } from '../../packages/core/src/index.js';
import { applyPlan, planDeploy, type DeployContext } from '../../packages/deploy/src/index.js';
import { writeBundle, bundleSource } from '../../packages/kinds/src/index.js';
import { selectFiles } from '../../packages/kinds/src/shared/select.js';
import { LocalFileLedger } from '../../packages/ledger/src/index.js';
import { buildRelease, gitInfo, LocalReleaseStore } from '../../packages/release/src/index.js';
import { LocalDirTarget, MARKER } from '../../packages/targets/src/index.js';
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
const KEEP = argv.includes('--keep');
/** Deploy #2 runs once per environment here, each from the same starting state. */
const REPEAT_ENVS = ['dev', ...Array.from({ length: Math.max(1, opt('reps', 3)) - 1 }, (_, i) => `dev-${i + 2}`)];
const HERE = path.dirname(fileURLToPath(import.meta.url));
const RESULTS = path.join(HERE, 'results', 'latest.json');

// ---------------------------------------------------------------- helpers

const now = () => performance.now();
const START = performance.now();
const LOAD_START = os.loadavg().map((l) => l.toFixed(2)).join(' ');
const log = (m: string) => process.stderr.write(`[bench +${((performance.now() - START) / 1000).toFixed(1)}s] ${m}\n`);
const mb = (bytes: number) => bytes / (1 << 20);
const fmtS = (ms: number) => `${(ms / 1000).toFixed(3)} s`;
const fmtMs = (ms: number) => `${ms.toFixed(1)} ms`;
const median = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function timed<T>(fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const t = now();
  const value = await fn();
  return { ms: now() - t, value };
}

function git(cwd: string, args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=ferry-bench', '-c', 'user.email=bench@example.invalid', '-c', 'commit.gpgsign=false', '-c', 'core.hooksPath=/dev/null', ...args], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    env: { ...process.env, GIT_AUTHOR_DATE: '2024-06-01T12:00:00Z', GIT_COMMITTER_DATE: '2024-06-01T12:00:00Z' },
  }).trim();
}

/** Flushes dirty pages before a timed step, so one step's writeback is not billed to the next. Never timed. */
function flush(): void {
  spawnSync('sync', [], { stdio: 'ignore' });
}

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Runs a command, discarding stdout unless asked; throws on failure. */
function run(cmd: string, args: string[], o: { cwd?: string; input?: string | Buffer; capture?: boolean } = {}): { ms: number; stdout: string } {
  const t = now();
  const r = spawnSync(cmd, args, { cwd: o.cwd, input: o.input, stdio: [o.input === undefined ? 'ignore' : 'pipe', o.capture ? 'pipe' : 'ignore', 'pipe'], maxBuffer: 256 << 20 });
  const ms = now() - t;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr?.toString()}`);
  return { ms, stdout: r.stdout?.toString() ?? '' };
}

function rsyncStat(out: string, label: string): number {
  const m = new RegExp(`^${label}: ([\\d,]+)`, 'm').exec(out);
  return m ? Number(m[1]!.replace(/,/g, '')) : NaN;
}

/** path -> inode for every regular file below `dir` (ferry's marker excluded). */
function inodes(dir: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const abs = path.join(e.parentPath, e.name);
    const rel = path.relative(dir, abs).split(path.sep).join('/');
    if (rel !== MARKER) out.set(rel, fs.lstatSync(abs).ino);
  }
  return out;
}

// --------------------------------------------- phase timing (wraps, never edits, package code)

/** Phase name -> ms, for the deploy being measured. */
let phases: Record<string, number> = {};
const addPhase = (name: string, ms: number) => (phases[name] = (phases[name] ?? 0) + ms);

function instrument(): void {
  const stage = LocalDirTarget.prototype.stage;
  LocalDirTarget.prototype.stage = async function (this: LocalDirTarget, source: SourceTree, releaseId: string, runner) {
    const wrapped: SourceTree = {
      files: source.files,
      extract: async (paths, dir) => {
        const t = now();
        try {
          return await source.extract(paths, dir);
        } finally {
          addPhase('apply.stage.extract', now() - t);
        }
      },
    };
    const t = now();
    const staged = await stage.call(this, wrapped, releaseId, runner);
    addPhase('apply.stage', now() - t);
    const commit = staged.commit;
    staged.commit = async () => {
      const tc = now();
      await commit();
      addPhase('apply.commit', now() - tc);
    };
    return staged;
  };
  const state = LocalDirTarget.prototype.state;
  LocalDirTarget.prototype.state = async function (this: LocalDirTarget) {
    const t = now();
    try {
      return await state.call(this);
    } finally {
      addPhase('plan.target.state', now() - t);
    }
  };
  const get = LocalReleaseStore.prototype.get;
  LocalReleaseStore.prototype.get = async function (this: LocalReleaseStore, ref: { id: string }) {
    const t = now();
    try {
      return await get.call(this, ref);
    } finally {
      addPhase('plan.store.get(previous release)', now() - t);
    }
  };
  for (const m of ['start', 'finish'] as const) {
    const orig = LocalFileLedger.prototype[m] as (...a: unknown[]) => Promise<unknown>;
    (LocalFileLedger.prototype as unknown as Record<string, unknown>)[m] = async function (this: LocalFileLedger, ...a: unknown[]) {
      const t = now();
      try {
        return await orig.apply(this, a);
      } finally {
        addPhase(`apply.ledger.${m}`, now() - t);
      }
    };
  }
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

interface DeployFigures {
  ms: number;
  planMs: number;
  applyMs: number;
  stats: ApplyStats;
  phases: Record<string, number>;
}

async function deploy(config: FerryConfig, env: string, release: StoredRelease): Promise<DeployFigures> {
  const ctx = context(config);
  phases = {};
  const t0 = now();
  const planned = await planDeploy(ctx, env, release);
  const t1 = now();
  const result = await applyPlan(ctx, planned);
  const t2 = now();
  if (!result.changed) throw new Error(`deploy to ${env} changed nothing`);
  return { ms: t2 - t0, planMs: t1 - t0, applyMs: t2 - t1, stats: result.stats, phases: { ...phases } };
}

/**
 * Gives `to` the state `from` has after a deploy of `release`, without deploying
 * again: the target folder hard-link-copied (its relative symlink then points
 * into the copy) and the ledger record applyPlan would have written.
 */
async function seedLike(config: FerryConfig, from: string, to: string, release: StoredRelease): Promise<void> {
  const folderOf = (env: string) => path.dirname((getEnvironment(config, env).targets.dags as { path: string }).path);
  const dst = folderOf(to);
  fs.rmSync(dst, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(dst), { recursive: true });
  run('cp', ['-al', folderOf(from), dst]);
  const ledger = new LocalFileLedger(path.join(config.root, '.ferry', 'ledger.json'));
  const m = release.manifest;
  const rec = await ledger.start({
    environment: to,
    releaseId: m.id,
    version: m.version,
    commit: m.git.commit,
    ref: m.git.ref,
    production: getEnvironment(config, to).production,
    manifestDigest: sha256(fs.readFileSync(path.join(release.dir, 'release.json'))),
    description: `deploy ${m.version}`,
  });
  await ledger.finish(rec.id, 'success', `deployed ${m.version} (state seeded by the benchmark)`);
}

/** Attaches strace to this process around `fn`; returns the syscall lines. */
async function straced<T>(fn: () => Promise<T>, logFile: string): Promise<{ value: T; lines: string[] }> {
  const calls = 'openat,open,creat,link,linkat,rename,renameat,renameat2,unlink,unlinkat';
  const child = spawn('strace', ['-f', '-p', String(process.pid), '-e', `trace=${calls}`, '-o', logFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`strace did not attach: ${err}`)), 10_000);
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (/attached/.test(err)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`strace exited (${code}): ${err}`));
    });
  });
  const stop = async (): Promise<string[]> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGINT');
      await exited;
    }
    return fs.readFileSync(logFile, 'utf8').split('\n');
  };
  try {
    const value = await fn();
    return { value, lines: await stop() };
  } catch (e) {
    await stop();
    throw e;
  }
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  for (const cmd of ['git', 'rsync', 'sha256sum', 'xargs']) if (!have(cmd)) throw new Error(`${cmd} is not installed (scripts/bench.sh says how to install it)`);
  const hasStrace = have('strace');
  instrument();

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-bench-'));
  const repo = path.join(tmp, 'repo');
  const dagsDir = path.join(repo, 'dags');
  log(`work folder ${tmp}${KEEP ? ' (kept)' : ''}`);
  try {
    // 1. Repository -----------------------------------------------------------
    const gen = await timed(() => {
      const tree = generateDags(SEED, FILES, FOLDERS);
      for (const [rel, content] of tree.files) {
        fs.mkdirSync(path.dirname(path.join(dagsDir, rel)), { recursive: true });
        fs.writeFileSync(path.join(dagsDir, rel), content);
      }
      fs.writeFileSync(path.join(dagsDir, '.airflowignore'), '# generated by the ferry benchmark\n');
      fs.writeFileSync(
        path.join(repo, 'ferry.yml'),
        [
          'project: ferry-bench',
          'artifacts:',
          '  dags:',
          '    path: dags',
          'environments:',
          '  # dev, then more environments for repeated runs of deploy #2, then one deployed under strace.',
          ...[...REPEAT_ENVS, 'traced'].flatMap((env) => [`  - name: ${env}`, '    targets:', `      dags: { kind: local, path: .ferry/targets/${env}/dags }`]),
          '',
        ].join('\n'),
      );
      fs.writeFileSync(path.join(repo, '.gitignore'), '.ferry/\n');
      git(repo, ['init', '-q', '-b', 'main']);
      git(repo, ['add', '-A']);
      git(repo, ['commit', '-q', '-m', 'bench: initial DAGs']);
      return tree;
    });
    const tree = gen.value;
    let bytes = 0;
    for (const c of tree.files.values()) bytes += Buffer.byteLength(c);
    const sizes = [...tree.files.values()].map((c) => Buffer.byteLength(c));
    log(`generated ${tree.files.size} DAG files (${mb(bytes).toFixed(1)} MiB, ${Math.min(...sizes)}–${Math.max(...sizes)} B) in ${FOLDERS} folders + commit: ${fmtS(gen.ms)}`);

    const config = loadConfig(path.join(repo, 'ferry.yml'));
    const runner = new MemoryRunner();

    // 2. Build #1 -------------------------------------------------------------
    flush();
    const build1 = await timed(() => buildRelease({ config, runner, secret: () => undefined }));
    const rel1 = build1.value;
    const dagArtifact1 = rel1.manifest.artifacts.find((a) => a.kind === 'dags')!;
    const releaseBytes = dagArtifact1.files.reduce((s, f) => s + f.size, 0);
    log(`build #1: ${dagArtifact1.files.length} files, ${fmtS(build1.ms)} (bundle ${mb(dagArtifact1.bundle!.size).toFixed(1)} MiB)`);

    // Build breakdown: the same package functions buildRelease calls, timed one by one.
    const selT = await timed(() => selectFiles(dagsDir, repo, config.artifacts.dags!.include, config.artifacts.dags!.exclude));
    const paths = selT.value.files;
    const gitT = await timed(() => gitInfo(repo));
    flush();
    const bundleT = await timed(() => writeBundle(dagsDir, paths, path.join(tmp, 'bundle-probe.tar.gz')));
    flush();
    const gnuBundle = run('sh', ['-c', 'tar -c -C "$1" --null -T - | gzip -6 > "$2"', 'sh', dagsDir, path.join(tmp, 'bundle-gnu.tar.gz')], { input: paths.join('\0') });

    // 3. Hashing throughput -----------------------------------------------------
    const list = paths.join('\0');
    const ferryHash: number[] = [];
    const shaHash: number[] = [];
    flush();
    for (let i = 0; i < 2; i++) {
      ferryHash.push((await timed(() => hashTree(dagsDir))).ms);
      shaHash.push(run('xargs', ['-0', 'sha256sum'], { cwd: dagsDir, input: list }).ms);
    }
    const ferryMBs = mb(releaseBytes) / (ferryHash[1]! / 1000);
    const shaMBs = mb(releaseBytes) / (shaHash[1]! / 1000);
    log(`hashing: ferry ${ferryMBs.toFixed(1)} MiB/s, sha256sum ${shaMBs.toFixed(1)} MiB/s`);

    // 4. Deploy #1 -------------------------------------------------------------
    flush();
    const dep1 = await deploy(config, 'dev', rel1);
    log(`deploy #1: ${fmtS(dep1.ms)} (written ${dep1.stats.written})`);
    const liveOf = (env: string) => (config.environments.find((e) => e.name === env)!.targets.dags as { path: string }).path;
    const tree1 = fs.realpathSync(liveOf('dev'));
    // The other environments start from the same state without another full deploy each.
    for (const env of [...REPEAT_ENVS.slice(1), 'traced']) await seedLike(config, 'dev', env, rel1);
    log(`seeded ${REPEAT_ENVS.length} more environments with deploy #1's state (cp -al + ledger record), untimed`);

    // Baseline for the first deploy: rsync into an empty folder.
    const rsyncFull = path.join(tmp, 'rsync-full');
    fs.mkdirSync(rsyncFull);
    flush();
    const rs1 = run('rsync', ['-a', '--delete', '--checksum', '--stats', `${dagsDir}/`, `${rsyncFull}/`], { capture: true });
    const rs1Files = rsyncStat(rs1.stdout, 'Number of regular files transferred');
    log(`rsync into an empty folder: ${fmtS(rs1.ms)}`);

    // 5. Change 10 files: edit 8, add 1, delete 1 -------------------------------
    const r = prng(SEED + 1);
    const all = [...tree.files.keys()];
    const chosen = new Set<string>();
    while (chosen.size < 9) chosen.add(all[Math.floor(r() * all.length)]!);
    const [deleted, ...edited] = [...chosen];
    edited.forEach((p, i) => fs.writeFileSync(path.join(dagsDir, p), editDag(r, tree.files.get(p)!, i + 1)));
    fs.rmSync(path.join(dagsDir, deleted!));
    const added = `${tree.domains[3]}/bench_added_dag.py`;
    fs.writeFileSync(path.join(dagsDir, added), tree.files.get(edited[0]!)!.replace(/dag_id="[^"]+"/, 'dag_id="bench_added_dag"'));
    git(repo, ['add', '-A']);
    git(repo, ['commit', '-q', '-m', 'bench: change 10 DAGs']);
    log('changed 10 files (8 edited, 1 added, 1 deleted) and committed');

    flush();
    const build2 = await timed(() => buildRelease({ config, runner, secret: () => undefined }));
    const rel2 = build2.value;
    log(`build #2: ${fmtS(build2.ms)}`);

    // Baseline trees, prepared outside any timing: a plain checkout of the changed
    // DAG folder, and one copy per run of the tree the first deploy made live.
    const rsSrc = path.join(tmp, 'rsync-src');
    fs.mkdirSync(rsSrc);
    execFileSync('sh', ['-c', `git archive HEAD dags | tar -x -C "${rsSrc}"`], { cwd: repo });
    const rsDsts = REPEAT_ENVS.map((_, i) => path.join(tmp, `rsync-dst-${i + 1}`));
    for (const d of rsDsts) {
      run('cp', ['-a', `${tree1}/.`, d]);
      fs.rmSync(path.join(d, MARKER));
    }
    log('baseline trees prepared');

    // 6. Deploy #2 (timed), once per repeat environment, each from the same state.
    const dep2s: (DeployFigures & { inodes: { written: number; reused: number; removed: number }; tree: string })[] = [];
    for (const env of REPEAT_ENVS) {
      const prevTree = fs.realpathSync(liveOf(env));
      const before = inodes(prevTree);
      flush();
      const d = await deploy(config, env, rel2);
      const tree = fs.realpathSync(liveOf(env));
      const after = inodes(tree);
      const ino = { written: 0, reused: 0, removed: [...before.keys()].filter((p) => !after.has(p)).length };
      for (const [p, i] of after) {
        if (before.get(p) === i) ino.reused++;
        else ino.written++;
      }
      dep2s.push({ ...d, inodes: ino, tree });
      log(`deploy #2 to ${env}: ${fmtS(d.ms)} (written ${d.stats.written}, reused ${d.stats.reused}, removed ${d.stats.removed}; new inodes ${ino.written})`);
    }
    const dep2 = dep2s[0]!;

    let strace: { created: number; linked: number; note: string } | undefined;
    if (hasStrace) {
      const tracedBase = path.join(repo, '.ferry', 'targets', 'traced', '.dags.ferry');
      const { lines } = await straced(() => deploy(config, 'traced', rel2), path.join(tmp, 'strace.log'));
      const inBase = (l: string) => l.includes(`"${tracedBase}/`);
      const created = lines.filter((l) => /\bopen(at)?\(/.test(l) && /O_CREAT/.test(l) && inBase(l) && !/= -1 /.test(l) && !l.includes(`/${MARKER}"`) && !l.includes(`/lock"`));
      const linked = lines.filter((l) => /\blink(at)?\(/.test(l) && inBase(l) && !/= -1 /.test(l));
      log('deploy #2 to the traced environment under strace (untimed) done');
      strace = { created: created.length, linked: linked.length, note: 'successful openat(O_CREAT) and link() under the target folder, marker and lock file excluded' };
    }

    // 7. rsync baseline for the second deploy, same number of runs ---------------
    const rs2s: { ms: number; transferred: number; deleted: number }[] = [];
    for (const d of rsDsts) {
      flush();
      const rs = run('rsync', ['-a', '--delete', '--checksum', '--stats', `${rsSrc}/dags/`, `${d}/`], { capture: true });
      rs2s.push({ ms: rs.ms, transferred: rsyncStat(rs.stdout, 'Number of regular files transferred'), deleted: rsyncStat(rs.stdout, 'Number of deleted files') });
    }
    log(`rsync --checksum: ${rs2s.map((x) => fmtS(x.ms)).join(', ')}`);
    // Sanity (untimed): ferry and rsync ended with the same content.
    const [ferryTree, rsyncTree] = await Promise.all([hashTree(dep2.tree, (p) => p === MARKER), hashTree(rsDsts[0]!)]);
    const sameContent = ferryTree.size === rsyncTree.size && [...ferryTree].every(([p, h]) => rsyncTree.get(p) === h);

    // 8. Where the second deploy's extract goes (the same call, outside the deploy).
    const bundle2 = path.join(rel2.dir, 'dags.tar.gz');
    const dagArtifact2 = rel2.manifest.artifacts.find((a) => a.kind === 'dags')!;
    const changedPaths = [...edited, added].sort();
    const probeDir = fs.mkdtempSync(path.join(tmp, 'extract-probe-'));
    flush();
    const extractProbe = await timed(() => bundleSource(bundle2, dagArtifact2.files).extract(changedPaths, probeDir));
    const gunzipProbe = await timed(() => zlib.gunzipSync(fs.readFileSync(bundle2)).length);

    // ---------------------------------------------------------------- report
    const expected = { written: 9, removed: 1 };
    const countsOk =
      dep2s.every((d) => d.stats.written === expected.written && d.stats.removed === expected.removed && d.inodes.written === expected.written && d.inodes.removed === expected.removed) &&
      rs2s.every((x) => x.transferred === expected.written && x.deleted === expected.removed) &&
      (!strace || strace.created === expected.written);
    const dep2Med = median(dep2s.map((d) => d.ms));
    const rs2Med = median(rs2s.map((x) => x.ms));
    const runs = (xs: number[]) => xs.map((x) => (x / 1000).toFixed(2)).join(' / ') + ' s';
    const N = REPEAT_ENVS.length;

    const rows: [string, string, string, string][] = [
      ['repository', `${paths.length} files, ${mb(releaseBytes).toFixed(1)} MiB, ${FOLDERS} folders`, '', ''],
      ['build #1 wall time', fmtS(build1.ms), '', ''],
      ['build #1 throughput', `${Math.round(paths.length / (build1.ms / 1000))} files/s`, '', ''],
      ['build #2 wall time (10 files changed)', fmtS(build2.ms), '', ''],
      ['build: bundle (tar + gzip -6)', fmtS(bundleT.ms), `${fmtS(gnuBundle.ms)} GNU tar | gzip -6`, `${(bundleT.ms / gnuBundle.ms).toFixed(2)}× (>1 = ferry slower)`],
      ['hashing throughput (2nd run, warm cache)', `${ferryMBs.toFixed(1)} MiB/s`, `${shaMBs.toFixed(1)} MiB/s sha256sum`, `${(ferryMBs / shaMBs).toFixed(2)}× (>1 = ferry faster)`],
      ['hashing time (2nd run)', fmtMs(ferryHash[1]!), fmtMs(shaHash[1]!), `${(ferryHash[1]! / shaHash[1]!).toFixed(2)}× (>1 = ferry slower)`],
      ['deploy #1 time (empty target)', fmtS(dep1.ms), `${fmtS(rs1.ms)} rsync -a --delete --checksum`, `${(dep1.ms / rs1.ms).toFixed(2)}× (>1 = ferry slower)`],
      ['deploy #1 files written', String(dep1.stats.written), `${rs1Files} transferred`, ''],
      [`deploy #2 time, median of ${N} (plan + apply)`, fmtS(dep2Med), `${fmtS(rs2Med)} rsync -a --delete --checksum`, `${(dep2Med / rs2Med).toFixed(2)}× (>1 = ferry slower)`],
      [`deploy #2 time, each of ${N} runs`, runs(dep2s.map((d) => d.ms)), runs(rs2s.map((x) => x.ms)), ''],
      ['deploy #2 files written (ApplyStats)', dep2s.map((d) => d.stats.written).join(' / '), `${rs2s.map((x) => x.transferred).join(' / ')} transferred`, `expected ${expected.written}`],
      ['deploy #2 files written (new inodes)', dep2s.map((d) => d.inodes.written).join(' / '), '', `expected ${expected.written}`],
      ['deploy #2 files created (strace, traced env)', strace ? String(strace.created) : 'strace not installed', '', `expected ${expected.written}`],
      ['deploy #2 files reused (ApplyStats / same inode)', `${dep2.stats.reused} / ${dep2.inodes.reused}`, '', ''],
      ['deploy #2 files removed (ApplyStats / inodes)', `${dep2.stats.removed} / ${dep2.inodes.removed}`, `${rs2s.map((x) => x.deleted).join(' / ')} deleted`, `expected ${expected.removed}`],
      ['deploy #2 end state equals rsync end state', sameContent ? 'yes' : 'NO', '', ''],
    ];
    const head = ['metric', 'ferry', 'baseline', 'ratio (ferry ÷ baseline)'];
    const w = [0, 1, 2, 3].map((i) => Math.max(...rows.map((row) => row[i]!.length), head[i]!.length));
    const line = (c: string[]) => '| ' + c.map((x, i) => x.padEnd(w[i]!)).join(' | ') + ' |';
    const out: string[] = [];
    out.push('', `ferry benchmark: ${FILES} DAG files, change 10, deploy again`, '');
    out.push(line(head));
    out.push('|' + w.map((n) => '-'.repeat(n + 2)).join('|') + '|');
    for (const row of rows) out.push(line(row));

    const phaseTable = (title: string, ds: DeployFigures[]) => {
      const ph = (d: DeployFigures, k: string) => d.phases[k] ?? 0;
      const parts: [string, (d: DeployFigures) => number][] = [
        ['plan (planDeploy)', (d) => d.planMs],
        ['  store.get(previous release): open + verify bundle hash', (d) => ph(d, 'plan.store.get(previous release)')],
        ['  target.state(): read marker', (d) => ph(d, 'plan.target.state')],
        ['  other (ledger read, diff, promotion)', (d) => d.planMs - ph(d, 'plan.store.get(previous release)') - ph(d, 'plan.target.state')],
        ['apply (applyPlan)', (d) => d.applyMs],
        ['  ledger start + finish', (d) => ph(d, 'apply.ledger.start') + ph(d, 'apply.ledger.finish')],
        ['  stage: link unchanged files, write marker, rename', (d) => ph(d, 'apply.stage') - ph(d, 'apply.stage.extract')],
        ['  stage: extract changed files from bundle + verify', (d) => ph(d, 'apply.stage.extract')],
        ['  commit: symlink swap + prune', (d) => ph(d, 'apply.commit')],
        ['  other (release.json digest, checks)', (d) => d.applyMs - ph(d, 'apply.stage') - ph(d, 'apply.commit') - ph(d, 'apply.ledger.start') - ph(d, 'apply.ledger.finish')],
        ['total', (d) => d.ms],
      ];
      out.push('', `${title} (ms${ds.length > 1 ? ', one column per run' : ''}; % of the ${ds.length > 1 ? 'median-time run' : 'total'})`);
      const med = ds.slice().sort((a, b) => a.ms - b.ms)[Math.floor((ds.length - 1) / 2)]!;
      for (const [name, f] of parts) out.push(`  ${name.padEnd(56)} ${ds.map((d) => f(d).toFixed(1).padStart(9)).join(' ')}  ${((100 * f(med)) / med.ms).toFixed(0).padStart(3)}%`);
    };
    phaseTable('deploy #1 phases', [dep1]);
    phaseTable('deploy #2 phases', dep2s);
    out.push('', 'build #1 parts (same package functions, timed separately after the build):');
    out.push(`  select files (walk + globs)         ${fmtMs(selT.ms).padStart(10)}`);
    out.push(`  git info (rev-parse, status, log)    ${fmtMs(gitT.ms).padStart(10)}`);
    out.push(`  hashTree (2nd run, not part of build) ${fmtMs(ferryHash[1]!).padStart(9)}`);
    out.push(`  writeBundle (read + sha256 + tar + gzip -6, one pass) ${fmtMs(bundleT.ms).padStart(10)}   (GNU tar | gzip -6: ${fmtMs(gnuBundle.ms)})`);
    out.push('', 'deploy #2 extract probe (the same bundleSource().extract of the 9 changed files, outside the deploy):');
    out.push(`  extract 9 of ${dagArtifact2.files.length} files from the ${mb(fs.statSync(bundle2).size).toFixed(1)} MiB bundle   ${fmtMs(extractProbe.ms).padStart(10)}`);
    out.push(`  zlib.gunzipSync of the whole bundle alone               ${fmtMs(gunzipProbe.ms).padStart(10)} (${mb(gunzipProbe.value).toFixed(1)} MiB of tar)`);

    const cpu = os.cpus()[0]?.model ?? 'unknown';
    const machine = { nproc: Number(execFileSync('nproc', { encoding: 'utf8' }).trim()), node: process.version, cpu, os: `${os.type()} ${os.release()}`, rsync: execFileSync('rsync', ['--version'], { encoding: 'utf8' }).split('\n')[0] };
    out.push('', 'notes:');
    out.push(`  load average at start ${LOAD_START}, at end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (on a shared machine compare ratios, not seconds; deploy #2 and its rsync baseline run ${REPEAT_ENVS.length} times each, medians reported, everything else once). \`sync\` runs (untimed) before each timed step.`);
    out.push(`  machine: nproc ${machine.nproc}, ${cpu}, node ${machine.node}, ${machine.os}, ${machine.rsync}`);
    out.push(`  hashing: ferry = hashTree() from @ferry/core (what verify uses; build hashes inside writeBundle's single pass) vs \`xargs -0 sha256sum > /dev/null\` over the same ${paths.length} paths; each run twice, the 2nd (warm page cache) reported. 1st runs: ferry ${fmtMs(ferryHash[0]!)}, sha256sum ${fmtMs(shaHash[0]!)}.`);
    out.push('  deploy: planDeploy + applyPlan with the CLI\'s DeployContext (LocalFileLedger + LocalReleaseStore), MemoryRunner; target = local folder.');
    out.push('  rsync baseline: `rsync -a --delete --checksum --stats` from a `git archive` checkout of the changed dags folder to a `cp -a` copy of the first deploy\'s tree (marker removed), a fresh copy per run; trees prepared outside the timing; same process run. rsync --checksum reads every file on both sides; ferry trusts its marker and the release hashes instead.');
    out.push(`  deploy #2 runs: environments ${REPEAT_ENVS.join(', ')}; each starts from deploy #1's state (dev deployed for real; the others seeded with \`cp -al\` of dev's target folder plus the same ledger record, untimed).`);
    out.push(`  independent write count: inodes of the new live tree vs the previous tree (a hard-linked file keeps its inode)${strace ? '; and strace -f attached to this process during an identical, untimed deploy #2 to one more seeded environment ("traced"), counting ' + strace.note : ''}.`);
    out.push(`  file counts: ${countsOk ? 'OK: the second deploy wrote only what changed' : 'MISMATCH: the second deploy did not write exactly the 9 changed/new files and remove 1'}.`);
    process.stdout.write(out.join('\n') + '\n');

    const json = {
      format: 'ferry.bench/v1',
      bench: 'dag-deploy',
      at: new Date().toISOString(),
      machine: { ...machine, loadavgStart: LOAD_START, loadavgEnd: os.loadavg().map((l) => l.toFixed(2)).join(' ') },
      params: { files: FILES, folders: FOLDERS, seed: SEED, bytes: releaseBytes, changes: { edited: edited.length, added: 1, deleted: 1 } },
      build: { first: { ms: build1.ms, filesPerSecond: paths.length / (build1.ms / 1000) }, second: { ms: build2.ms }, parts: { selectMs: selT.ms, gitInfoMs: gitT.ms, hashMs: ferryHash[1], bundleMs: bundleT.ms }, bundleBaseline: { tool: 'tar -c | gzip -6', ms: gnuBundle.ms } },
      hashing: { ferry: { runsMs: ferryHash, mibPerSecond: ferryMBs }, sha256sum: { runsMs: shaHash, mibPerSecond: shaMBs }, ratio: ferryMBs / shaMBs, reported: 'second run' },
      deploy1: { ...dep1, baseline: { tool: 'rsync -a --delete --checksum (into empty folder)', ms: rs1.ms, transferred: rs1Files }, ratio: dep1.ms / rs1.ms },
      deploy2: {
        runs: dep2s.map(({ tree: _tree, ...d }) => d),
        medianMs: dep2Med,
        independent: { strace: strace ?? null },
        baseline: { tool: 'rsync -a --delete --checksum', runs: rs2s, medianMs: rs2Med },
        ratio: dep2Med / rs2Med,
        sameEndState: sameContent,
      },
      extractProbe: { ms: extractProbe.ms, gunzipWholeBundleMs: gunzipProbe.ms, bundleBytes: fs.statSync(bundle2).size },
      countsOk,
    };
    fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
    fs.writeFileSync(RESULTS, JSON.stringify(json, (_k, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 10) / 10 : v), 2) + '\n');
    log(`figures written to ${path.relative(process.cwd(), RESULTS)}`);
    if (!countsOk || !sameContent) process.exitCode = 1;
  } finally {
    if (!KEEP) {
      fs.rmSync(tmp, { recursive: true, force: true });
      log('work folder removed');
    }
  }
}

main().catch((e) => {
  process.stderr.write(`[bench] failed: ${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
});
