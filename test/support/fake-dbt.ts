import fs from 'node:fs';
import path from 'node:path';

/**
 * A STAND-IN for the dbt executable (dbt cannot be installed here). It records
 * every invocation (argv and folder) and writes what real dbt writes:
 *   compile  -> target/manifest.json (from FAKE_DBT_MANIFEST) and target/compiled/…
 *   build    -> target/run_results.json, schema v6, one result per selected node
 *               (status error for the unique ids in FAKE_DBT_FAIL)
 *   deps     -> nothing
 * The run_results it writes are checked against dbt's v6 schema by the code
 * under test (readRunResults), so a drift from the real format fails loudly.
 */
const SCRIPT = String.raw`#!/usr/bin/env node
const fs = require('fs');
const path = require('path');
const argv = process.argv.slice(2);
const log = process.env.FAKE_DBT_LOG;
if (log) fs.appendFileSync(log, JSON.stringify({ argv, cwd: process.cwd() }) + '\n');
const opt = (name) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
const project = opt('--project-dir') || process.cwd();
const target = path.join(project, 'target');
const cmd = argv[0];
if (cmd === 'deps') process.exit(0);
if (cmd === 'compile' || cmd === 'parse') {
  fs.mkdirSync(path.join(target, 'compiled', 'test', 'models'), { recursive: true });
  fs.copyFileSync(process.env.FAKE_DBT_MANIFEST, path.join(target, 'manifest.json'));
  fs.writeFileSync(path.join(target, 'compiled', 'test', 'models', 'orders.sql'), 'select 1 as id\n');
  process.exit(0);
}
if (cmd === 'build') {
  const manifest = JSON.parse(fs.readFileSync(path.join(target, 'manifest.json'), 'utf8'));
  const nodes = Object.values(manifest.nodes).filter((n) => ['model', 'seed', 'snapshot', 'test'].includes(n.resource_type));
  const sel = [];
  const i = argv.indexOf('--select');
  if (i >= 0) for (let j = i + 1; j < argv.length && !argv[j].startsWith('--'); j++) sel.push(argv[j]);
  const picked = sel.length ? nodes.filter((n) => sel.includes(n.name) || sel.includes('fqn:' + n.fqn.join('.'))) : nodes;
  const fail = (process.env.FAKE_DBT_FAIL || '').split(',').filter(Boolean);
  const t = new Date().toISOString();
  const results = picked.map((n, k) => {
    const failed = fail.includes(n.unique_id);
    const test = n.resource_type === 'test';
    return {
      status: failed ? (test ? 'fail' : 'error') : test ? 'pass' : 'success',
      timing: [{ name: 'execute', started_at: t, completed_at: t }],
      thread_id: 'Thread-' + (k + 1),
      execution_time: 0.01,
      adapter_response: {},
      message: failed ? 'relation "' + n.name + '" failed (stand-in)' : null,
      failures: failed && test ? 3 : test ? 0 : null,
      unique_id: n.unique_id,
      compiled: true,
      compiled_code: 'select 1',
      relation_name: null,
    };
  });
  fs.writeFileSync(path.join(target, 'run_results.json'), JSON.stringify({
    metadata: { dbt_schema_version: 'https://schemas.getdbt.com/dbt/run-results/v6.json', dbt_version: '1.8.7', generated_at: t, invocation_id: '00000000-0000-4000-8000-000000000000', env: {} },
    results, elapsed_time: 0.1, args: { which: 'build' },
  }));
  process.exit(results.some((r) => r.status === 'error' || r.status === 'fail') ? 1 : 0);
}
process.stderr.write('fake dbt: unsupported command ' + cmd + '\n');
process.exit(2);
`;

/** Writes the stand-in as `<dir>/dbt` (executable); returns its path and where it logs. */
export function installFakeDbt(dir: string): { dbt: string; log: string; calls: () => { argv: string[]; cwd: string }[] } {
  fs.mkdirSync(dir, { recursive: true });
  const dbt = path.join(dir, 'dbt');
  fs.writeFileSync(dbt, SCRIPT, { mode: 0o755 });
  const log = path.join(dir, 'calls.jsonl');
  return {
    dbt,
    log,
    calls: () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { argv: string[]; cwd: string }) : []),
  };
}
