import fs from 'node:fs';
import path from 'node:path';
import type { FerryConfig } from '@ferry/core';
import { schemaVersionOf, validateRunResultsV6, type RunResults } from '@ferry/dbt';
import type { Check, CheckOutcome, Finding } from '../types.js';
import { execute, failedFinding, notConfigured, relFile, showArgv, tail } from './common.js';

/** The project folder dbt runs in: checks.dbt.project_dir, else artifacts.dbt.path. */
export function dbtProjectDir(config: FerryConfig): string | undefined {
  const dir = config.checks.dbt?.project_dir;
  return dir ? path.resolve(config.root, dir) : config.artifacts.dbt?.dir;
}

/** unique_id → the file that defines it (relative to the project folder), from manifest.json. */
function readManifestFiles(files: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const file of files) {
    if (!fs.existsSync(file)) continue;
    try {
      const manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
      for (const key of ['nodes', 'sources', 'unit_tests', 'exposures', 'metrics', 'semantic_models', 'saved_queries']) {
        const group = manifest[key];
        if (!group || typeof group !== 'object') continue;
        for (const [id, node] of Object.entries(group as Record<string, { original_file_path?: unknown }>)) {
          if (typeof node?.original_file_path === 'string') map.set(id, node.original_file_path);
        }
      }
      return map;
    } catch {
      // An unreadable manifest only costs the file locations.
      return map;
    }
  }
  return map;
}

const VERBS: Record<string, string> = { error: 'errored', fail: 'failed', warn: 'warned', 'runtime error': 'hit a runtime error' };

/** Results of a validated v6 run_results.json as findings, with counts. */
export function parseRunResults(data: RunResults, opts: { root: string; projectDir: string; manifest?: Map<string, string> }): CheckOutcome {
  const findings: Finding[] = [];
  const stats = { models: 0, tests: 0, errors: 0, failures: 0, warnings: 0, skipped: 0 };
  for (const r of data.results) {
    if (r.unique_id.startsWith('model.')) stats.models++;
    if (r.unique_id.startsWith('test.') || r.unique_id.startsWith('unit_test.')) stats.tests++;
    if (r.status === 'skipped') stats.skipped++;
    const verb = VERBS[r.status];
    if (!verb) continue;
    if (r.status === 'error' || r.status === 'runtime error') stats.errors++;
    if (r.status === 'fail') stats.failures++;
    if (r.status === 'warn') stats.warnings++;
    const rows = r.failures ? ` (${r.failures} failing row${r.failures === 1 ? '' : 's'})` : '';
    const message = (r.message ?? '').trim();
    const f: Finding = {
      check: 'dbt',
      rule: r.status.replace(/ /g, '-'),
      severity: r.status === 'warn' ? 'warning' : 'error',
      message: `${r.unique_id} ${verb}${rows}${message ? `: ${message}` : ''}`,
    };
    const rel = opts.manifest?.get(r.unique_id);
    // Files of installed packages are relative to the package, not the project: only point at files that are there.
    if (rel && fs.existsSync(path.join(opts.projectDir, rel))) f.file = relFile(opts.root, path.join(opts.projectDir, rel));
    findings.push(f);
  }
  return { findings, stats };
}

const error = (rule: string, message: string, file?: string, hint?: string): Finding => ({ check: 'dbt', rule, severity: 'error', message, ...(file ? { file } : {}), ...(hint ? { hint } : {}) });

export const dbtCheck: Check = {
  id: 'dbt',
  title: 'dbt test / build',
  notApplicable: (config) => (config.checks.dbt ? undefined : notConfigured('dbt')),
  async run({ config }) {
    const cfg = config.checks.dbt;
    if (!cfg) return { findings: [], skipped: notConfigured('dbt') };
    const projectDir = dbtProjectDir(config);
    if (!projectDir) {
      return { findings: [error('no-project', 'checks.dbt has no project_dir and ferry.yml declares no artifacts.dbt, so there is no dbt project to run', 'ferry.yml')] };
    }
    if (!fs.existsSync(projectDir) || !fs.statSync(projectDir).isDirectory()) {
      return { findings: [error('no-project', `the dbt project folder ${relFile(config.root, projectDir)} does not exist`, 'ferry.yml')] };
    }
    const resultsFile = path.resolve(projectDir, cfg.run_results);
    const resultsRel = relFile(config.root, resultsFile);
    const before = statOf(resultsFile);
    const started = Date.now();
    const argv = [...cfg.command];
    const ex = await execute('dbt', argv, { cwd: projectDir, timeoutSeconds: cfg.timeout, tool: 'dbt', hintKey: 'dbt' });
    if (!ex.ok) return ex.outcome;
    const { run } = ex;
    const output = `${run.stdout}\n${run.stderr}`;
    const after = statOf(resultsFile);
    // A run_results.json left by an earlier run says nothing about this one.
    const fresh = after !== undefined && (before === undefined || after.mtimeMs !== before.mtimeMs || after.mtimeMs >= started);
    if (!fresh) {
      if (run.code !== 0) return { findings: [failedFinding('dbt', `\`${showArgv(argv)}\` exited with code ${run.code} and wrote no ${resultsRel}`, output)] };
      return {
        findings: [error('run-results-missing', `\`${showArgv(argv)}\` finished but did not write ${resultsRel}`, undefined, 'Use a dbt command that writes run_results.json (dbt build, test, run, seed), or point checks.dbt.run_results at where it is written.')],
      };
    }
    let data: unknown;
    try {
      data = JSON.parse(fs.readFileSync(resultsFile, 'utf8'));
    } catch (e) {
      return { findings: [error('run-results-invalid', `${resultsRel} is not valid JSON: ${(e as Error).message}`, resultsRel)] };
    }
    const version = schemaVersionOf(data);
    if (version !== 'v6') {
      const dbtVersion = (data as { metadata?: { dbt_version?: unknown } } | null)?.metadata?.dbt_version;
      return {
        findings: [
          error(
            'run-results-version',
            `${resultsRel} is ${version ? `run-results schema ${version}` : 'not a dbt run_results.json (no metadata.dbt_schema_version)'}${typeof dbtVersion === 'string' ? `, written by dbt ${dbtVersion}` : ''}; ferry reads run-results schema v6`,
            resultsRel,
            'Upgrade dbt-core to a release that writes run-results v6 (the current schema of run_results.json).',
          ),
        ],
      };
    }
    const problems = validateRunResultsV6(data);
    if (problems.length) {
      const shown = problems.slice(0, 5).join('; ');
      return {
        findings: [error('run-results-invalid', `${resultsRel} does not match dbt's run-results v6 schema: ${shown}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''}`, resultsRel)],
      };
    }
    const manifest = readManifestFiles([path.join(path.dirname(resultsFile), 'manifest.json'), path.join(projectDir, 'target', 'manifest.json')]);
    const outcome = parseRunResults(data as RunResults, { root: config.root, projectDir, manifest });
    if (run.code !== 0 && !outcome.findings.some((f) => f.severity === 'error')) {
      outcome.findings.push(failedFinding('dbt', `\`${showArgv(argv)}\` exited with code ${run.code}`, tail(output)));
    }
    return outcome;
  },
};

function statOf(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch {
    return undefined;
  }
}
