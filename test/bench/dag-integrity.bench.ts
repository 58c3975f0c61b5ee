/**
 * `pnpm bench`, second part: DAG integrity (the `dags` check of lint-and-test
 * / `ferry check`) over 2,000 generated DAG files, against the floor of a bare
 * single-process `ast.parse` loop over the same files, in the same run.
 *
 *   node --import tsx test/bench/dag-integrity.bench.ts [--files N] [--folders N] [--reps N] [--keep]
 *
 * Prints a table (metric | ferry | baseline | ratio) and writes the figures to
 * test/bench/results/dag-integrity.json. Figures, not assertions: the only
 * failure is a wrong result (the generated DAGs are valid and follow every
 * default rule, so the check must find all of them and report nothing).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { runChecks } from '../../packages/checks/src/index.js';
import { collectFacts } from '../../packages/checks/src/dags/dag-facts.js';
import { loadConfig, MemoryRunner } from '../../packages/core/src/index.js';
import { generateDags } from './dag-gen.js';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const FILES = opt('files', 2_000);
const FOLDERS = opt('folders', 20);
const SEED = opt('seed', 20240601);
const REPS = Math.max(1, opt('reps', 3));
const KEEP = argv.includes('--keep');
const PYTHON = 'python3';
const HERE = path.dirname(fileURLToPath(import.meta.url));
const RESULTS = path.join(HERE, 'results', 'dag-integrity.json');

/** The floor the issue asks for, verbatim: every tree kept in one list. */
const FLOOR_KEEP = 'import ast, sys; [ast.parse(open(f, "rb").read()) for f in sys.stdin.read().splitlines()]';
/** The same parse with each tree dropped after use, as ferry's helper does (no growing heap for the GC to walk). */
const FLOOR_DROP = 'import ast, sys\nfor f in sys.stdin.read().splitlines():\n    with open(f, "rb") as fh:\n        ast.parse(fh.read())';

const START = performance.now();
const LOAD_START = os.loadavg().map((l) => l.toFixed(2)).join(' ');
const log = (m: string) => process.stderr.write(`[bench +${((performance.now() - START) / 1000).toFixed(1)}s] ${m}\n`);
const median = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fmtS = (ms: number) => `${(ms / 1000).toFixed(3)} s`;
const rate = (ms: number) => `${Math.round(FILES / (ms / 1000))} files/s`;

function floor(code: string, list: string): number {
  const t = performance.now();
  const r = spawnSync(PYTHON, ['-c', code], { input: list, stdio: ['pipe', 'ignore', 'pipe'], maxBuffer: 64 << 20 });
  const ms = performance.now() - t;
  if (r.status !== 0) throw new Error(`${PYTHON} -c … failed (${r.status}): ${r.stderr?.toString()}`);
  return ms;
}

async function main(): Promise<void> {
  if (spawnSync(PYTHON, ['--version']).status !== 0) throw new Error(`${PYTHON} is needed for this benchmark (apt-get install python3)`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-bench-dags-'));
  try {
    const repo = path.join(tmp, 'repo');
    const dagsDir = path.join(repo, 'dags');
    log(`generating ${FILES} DAG files in ${FOLDERS} folders (seed ${SEED})`);
    const tree = generateDags(SEED, FILES, FOLDERS);
    let bytes = 0;
    for (const [rel, content] of tree.files) {
      fs.mkdirSync(path.dirname(path.join(dagsDir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dagsDir, rel), content);
      bytes += Buffer.byteLength(content);
    }
    fs.writeFileSync(path.join(repo, 'ferry.yml'), 'project: bench\nartifacts:\n  dags:\n    path: dags\n');
    const config = loadConfig(path.join(repo, 'ferry.yml'));
    const abs = [...tree.files.keys()].sort().map((rel) => path.join(dagsDir, rel));
    const list = abs.join('\n') + '\n';

    const checkRun = async () => {
      const runner = new MemoryRunner();
      const t = performance.now();
      const report = await runChecks(config, runner, { only: ['dags'] });
      const ms = performance.now() - t;
      const r = report.checks[0]!;
      return { ms, findings: r.findings.length, stats: r.stats ?? {}, logs: runner.logs.map((l) => l.message) };
    };
    const parseOnly = async () => {
      const dir = fs.mkdtempSync(path.join(tmp, 'facts-'));
      const t = performance.now();
      const out = await collectFacts(PYTHON, abs, { tmpDir: dir, cwd: repo });
      return { ms: performance.now() - t, files: out.facts.length, python: out.python };
    };
    const startup = () => {
      const t = performance.now();
      spawnSync(PYTHON, ['-c', 'pass']);
      return performance.now() - t;
    };

    log('warm-up (page cache, interpreter), untimed');
    await checkRun();
    floor(FLOOR_KEEP, list);

    const ferry: Awaited<ReturnType<typeof checkRun>>[] = [];
    const parse: Awaited<ReturnType<typeof parseOnly>>[] = [];
    const keep: number[] = [];
    const drop: number[] = [];
    const boot: number[] = [];
    for (let i = 0; i < REPS; i++) {
      log(`run ${i + 1} of ${REPS}`);
      // Alternate the order, so neither side always runs on a cooler machine.
      if (i % 2 === 0) {
        ferry.push(await checkRun());
        keep.push(floor(FLOOR_KEEP, list));
      } else {
        keep.push(floor(FLOOR_KEEP, list));
        ferry.push(await checkRun());
      }
      parse.push(await parseOnly());
      drop.push(floor(FLOOR_DROP, list));
      boot.push(startup());
    }

    const f = median(ferry.map((x) => x.ms));
    const p = median(parse.map((x) => x.ms));
    const k = median(keep);
    const d = median(drop);
    const b = median(boot);
    const correct = ferry.every((x) => x.findings === 0 && x.stats.files === FILES && x.stats.dags === FILES) && parse.every((x) => x.files === FILES);
    const runs = (xs: number[]) => xs.map((x) => (x / 1000).toFixed(2)).join(' / ') + ' s';
    const ratio = (a: number, c: number) => `${(a / c).toFixed(2)}× (>1 = ferry slower)`;
    const pyVersion = parse[0]?.python ?? '?';
    const pyPath = execFileSync(PYTHON, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();

    const rows: [string, string, string, string][] = [
      ['repository', `${FILES} DAG files, ${(bytes / (1 << 20)).toFixed(1)} MiB, ${FOLDERS} folders`, '', ''],
      [`dags check end to end, median of ${REPS}`, `${fmtS(f)}, ${rate(f)}`, `${fmtS(k)}, ${rate(k)}: ${PYTHON} -c '[ast.parse(…) for f in files]'`, ratio(f, k)],
      ['  the same, against the floor with trees dropped', `${fmtS(f)}, ${rate(f)}`, `${fmtS(d)}, ${rate(d)}: ${PYTHON} -c 'for f in files: ast.parse(…)'`, ratio(f, d)],
      ['parse step alone (one python3: ast + facts)', `${fmtS(p)}, ${rate(p)}`, `${fmtS(d)}, trees dropped`, ratio(p, d)],
      [`each run (end to end | floor as asked)`, runs(ferry.map((x) => x.ms)), runs(keep), ''],
      [`each run (parse step | floor, trees dropped)`, runs(parse.map((x) => x.ms)), runs(drop), ''],
      ['python3 start-up (-c pass), median', fmtS(b), '', ''],
      ['findings / DAGs found', `${ferry[0]!.findings} / ${ferry[0]!.stats.dags ?? '?'}`, '', `expected 0 / ${FILES}`],
    ];
    const head = ['metric', 'ferry', 'baseline', 'ratio (ferry ÷ baseline)'];
    const w = [0, 1, 2, 3].map((i) => Math.max(...rows.map((row) => row[i]!.length), head[i]!.length));
    const line = (c: string[]) => '| ' + c.map((x, i) => x.padEnd(w[i]!)).join(' | ') + ' |';
    const out: string[] = [];
    out.push('', `ferry benchmark: DAG integrity over ${FILES} generated DAG files`, '');
    out.push(line(head));
    out.push('|' + w.map((n) => '-'.repeat(n + 2)).join('|') + '|');
    for (const row of rows) out.push(line(row));
    const cpu = os.cpus()[0]?.model ?? 'unknown';
    out.push('', 'notes:');
    out.push(`  load average at start ${LOAD_START}, at end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} (on a shared machine compare ratios, not seconds). One untimed warm-up of each first; ${REPS} timed runs, medians reported.`);
    out.push(`  machine: nproc ${os.cpus().length}, ${cpu}, node ${process.version}, ${os.type()} ${os.release()}; ${PYTHON} = Python ${pyVersion} (${pyPath}).`);
    out.push("  end to end = runChecks(config, runner, { only: ['dags'] }): select files, one python3 parsing every file once (dag_facts.py, ast only), findings, and the import check's probe (import_check: auto; Airflow is not installed here, so it costs one more interpreter start).");
    out.push('  floor as asked = the bare loop the issue names, file list on stdin, one process; it keeps every tree in a list, so the garbage collector walks a growing heap. "Trees dropped" parses the same files the way the helper does (each tree freed after use): the tighter floor.');
    out.push(`  result: ${correct ? 'OK: every file parsed, every DAG found, no findings' : 'WRONG: the check did not find exactly the generated DAGs without findings'}.`);
    process.stdout.write(out.join('\n') + '\n');

    const json = {
      format: 'ferry.bench/v1',
      bench: 'dag-integrity',
      at: new Date().toISOString(),
      machine: { nproc: os.cpus().length, cpu, node: process.version, python: pyVersion, pythonPath: pyPath, loadavgStart: LOAD_START, loadavgEnd: os.loadavg().map((l) => l.toFixed(2)).join(' ') },
      params: { files: FILES, folders: FOLDERS, seed: SEED, bytes, reps: REPS },
      endToEnd: { runsMs: ferry.map((x) => x.ms), medianMs: f, filesPerSecond: FILES / (f / 1000) },
      parseStep: { runsMs: parse.map((x) => x.ms), medianMs: p, filesPerSecond: FILES / (p / 1000) },
      floorAsAsked: { code: FLOOR_KEEP, runsMs: keep, medianMs: k, filesPerSecond: FILES / (k / 1000) },
      floorTreesDropped: { code: FLOOR_DROP, runsMs: drop, medianMs: d, filesPerSecond: FILES / (d / 1000) },
      pythonStartupMs: b,
      ratios: { endToEndVsFloor: f / k, endToEndVsTreesDropped: f / d, parseStepVsTreesDropped: p / d },
      correct,
    };
    fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
    fs.writeFileSync(RESULTS, JSON.stringify(json, (_k, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 10) / 10 : v), 2) + '\n');
    log(`figures written to ${path.relative(process.cwd(), RESULTS)}`);
    if (!correct) process.exitCode = 1;
  } finally {
    if (!KEEP) fs.rmSync(tmp, { recursive: true, force: true });
    else log(`work folder kept: ${tmp}`);
  }
}

main().catch((e) => {
  process.stderr.write(`[bench] failed: ${(e as Error).stack ?? e}\n`);
  process.exitCode = 1;
});
