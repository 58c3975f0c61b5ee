// Bundles every action (actions/*/src/main.ts -> actions/*/dist) and the CLI
// (packages/cli/src/bin.ts -> packages/cli/dist) with ncc.
//   node scripts/build.mjs [--out <dir>] [--only actions|cli] [name...]
// --out writes bundles under <dir>/<name>/ instead (the freshness test uses it).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values, positionals: names } = parseArgs({ options: { out: { type: 'string' }, only: { type: 'string' } }, allowPositionals: true });
const outDir = values.out ? path.resolve(values.out) : undefined;
const only = values.only;

const jobs = [];
if (only !== 'cli') {
  for (const name of fs.readdirSync(path.join(root, 'actions')).sort()) {
    if (names.length && !names.includes(name)) continue;
    const dir = path.join(root, 'actions', name);
    if (!fs.existsSync(path.join(dir, 'src', 'main.ts'))) continue;
    jobs.push({ name, entry: path.join(dir, 'src', 'main.ts'), out: outDir ? path.join(outDir, name) : path.join(dir, 'dist') });
  }
}
if (only !== 'actions' && (!names.length || names.includes('cli'))) {
  jobs.push({ name: 'cli', entry: path.join(root, 'packages/cli/src/bin.ts'), out: outDir ? path.join(outDir, 'cli') : path.join(root, 'packages/cli/dist') });
}

const ncc = path.join(root, 'node_modules/@vercel/ncc/dist/ncc/cli.js');
function build(job) {
  return new Promise((resolve, reject) => {
    fs.rmSync(job.out, { recursive: true, force: true });
    // -t: tsc type-checks the whole repository separately (pnpm typecheck).
    const p = spawn(process.execPath, [ncc, 'build', job.entry, '-o', job.out, '-t', '-q', '--no-source-map-register'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ncc failed for ${job.name} (exit ${code})`))));
  });
}

// Two at a time: ncc is CPU-bound and CI machines have two cores.
const started = Date.now();
const queue = [...jobs];
await Promise.all(
  [0, 1].map(async () => {
    for (let job = queue.shift(); job; job = queue.shift()) {
      await build(job);
      console.log(`built ${job.name} -> ${path.relative(root, job.out)}`);
    }
  }),
);
console.log(`${jobs.length} bundle(s) in ${((Date.now() - started) / 1000).toFixed(1)}s`);
