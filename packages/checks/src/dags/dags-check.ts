import fs from 'node:fs';
import path from 'node:path';
import { closest, runTool, ToolMissing, type FerryConfig } from '@ferry/core';
import { selectFiles } from '@ferry/kinds';
import type { Check, CheckContext, CheckOutcome, Finding } from '../types.js';
import { airflowIgnored } from './airflowignore.js';
import { DAG_IMPORT_PY } from './dag-facts-script.js';
import { collectFacts, PythonFailed, PythonMissing, type FileFacts } from './dag-facts.js';
import { DAG_RULE_IDS, DAG_RULES, ruleById, type RuleSetting } from './rules.js';

const CHECK = 'dags';

/**
 * DAG integrity without Airflow: every .py file of the DAG folder is parsed
 * once by one python3 process (ast only, nothing imported or run); its facts
 * become findings under the rules of rules.ts. With Airflow importable (or
 * required by `import_check: true`), the folder is also imported DagBag-style.
 */
export const dagsCheck: Check = {
  id: CHECK,
  title: 'DAG integrity',
  notApplicable: (config) => (config.artifacts.dags ? undefined : 'no artifacts.dags in ferry.yml'),
  run: runDagsCheck,
};

export async function runDagsCheck(ctx: CheckContext): Promise<CheckOutcome> {
  const { config, runner } = ctx;
  const artifact = config.artifacts.dags!;
  const settings = config.checks.dags;
  const findings: Finding[] = [];
  const severities = ruleSeverities(config, findings);
  const rel = (abs: string) => path.relative(config.root, abs).split(path.sep).join('/');
  const emit = (rule: string, f: Omit<Finding, 'check' | 'rule' | 'severity' | 'hint'>) => {
    const severity = severities.get(rule);
    if (!severity || severity === 'off') return;
    findings.push({ check: CHECK, rule, severity, ...f, hint: ruleById(rule)?.hint });
  };

  const selected = await selectFiles(artifact.dir, config.root, artifact.include, artifact.exclude);
  for (const p of selected.problems) {
    findings.push({ check: CHECK, rule: p.code, severity: p.severity ?? 'error', message: p.message, file: p.location?.file, hint: p.hint });
  }
  const files = selected.files.filter((f) => f.endsWith('.py'));
  const ignored = airflowIgnored(artifact.dir, files);
  if (files.length === 0) return { findings, stats: { files: 0, dags: 0 } };

  let facts: FileFacts[];
  try {
    const t0 = Date.now();
    const out = await collectFacts(settings.python, files.map((f) => path.join(artifact.dir, f)), { tmpDir: ctx.tmpDir, cwd: config.root });
    facts = out.facts;
    runner.debug(`dags: parsed ${files.length} files with ${settings.python} (Python ${out.python}) in ${Date.now() - t0} ms`);
  } catch (e) {
    if (e instanceof PythonMissing) {
      findings.push({
        check: CHECK,
        rule: 'python-missing',
        severity: 'error',
        message: `${e.python} is not installed (not found on PATH): DAG integrity parses DAG files with Python's ast module and cannot run without it`,
        hint: `Install Python 3.8 or newer (apt-get install python3, or actions/setup-python in the workflow), or point checks.dags.python in ferry.yml at an interpreter.`,
      });
      return { findings, stats: { files: files.length, dags: 0 } };
    }
    if (e instanceof PythonFailed) {
      findings.push({ check: CHECK, rule: 'python-failed', severity: 'error', message: e.message, hint: 'checks.dags.python must be Python 3.8 or newer.' });
      return { findings, stats: { files: files.length, dags: 0 } };
    }
    throw e;
  }

  // ---------------------------------------------------------------- facts -> findings
  const firstById = new Map<string, { file: string; line: number }>();
  const withSyntaxError = new Set<string>();
  const now104 = new Set<string>();
  let dags = 0;
  for (let i = 0; i < files.length; i++) {
    const fileRel = files[i]!;
    const f = facts[i]!;
    if (f.file !== path.join(artifact.dir, fileRel)) throw new Error(`DAG parser answered for ${f.file} instead of ${fileRel}`);
    const file = rel(path.join(artifact.dir, fileRel));
    if (f.read_error) {
      findings.push({ check: CHECK, rule: 'file-unreadable', severity: 'error', message: `cannot read the file: ${f.read_error}`, file });
      continue;
    }
    if (f.internal_error) {
      findings.push({ check: CHECK, rule: 'parser-failed', severity: 'error', message: `ferry's DAG parser failed on this file (a bug in ferry, please report it): ${f.internal_error}`, file });
      runner.debug(f.traceback ?? '');
      continue;
    }
    if (f.syntax_error) {
      const s = f.syntax_error;
      withSyntaxError.add(file);
      const end = s.end_line && s.end_column ? { endLine: s.end_line, endColumn: s.end_column } : {};
      emit('DAG001', { message: s.kind === 'SyntaxError' || s.kind === 'IndentationError' || s.kind === 'TabError' ? `${s.kind}: ${s.message}` : s.message, file, line: s.line, column: s.column, ...end });
      continue;
    }

    for (const call of f.top_level_calls) {
      const where = call.in_dag_function ? `in the body of @dag function ${call.in_dag_function}(), which runs whenever the file is parsed` : 'at import time';
      const what = call.kind === 'variable' ? 'reads an Airflow Variable' : call.kind === 'connection' ? 'reads an Airflow connection' : 'talks to a database';
      emit('DAG105', { message: `${call.call}() ${what} ${where}: the scheduler repeats it on every parse of the file`, file, line: call.line, column: call.column });
    }

    // Airflow never loads a .airflowignore'd file as a DAG file (it may still import it as a helper,
    // hence DAG001 and DAG105 above): its DAGs neither count nor clash nor need to follow the policy.
    if (ignored.has(fileRel)) continue;
    for (const dag of f.dags) {
      const name = dag.dag_id !== null ? `DAG "${dag.dag_id}"` : `the DAG at line ${dag.line}`;
      const at = { file, line: dag.line, column: dag.column };
      const uncalled = dag.form === 'decorator' && dag.called === 'never';
      if (uncalled) emit('DAG004', { message: `@dag function ${dag.function}() is never called, so Airflow registers no DAG from it`, ...at });
      if (dag.dag_id === null) emit('DAG003', { message: `dag_id cannot be determined statically: ${dag.dynamic ?? 'unknown'}`, ...at });

      if (!uncalled) {
        dags++;
        if (dag.dag_id !== null) {
          const first = firstById.get(dag.dag_id);
          if (first) {
            const elsewhere = first.file === file ? `line ${first.line} of this file` : `${first.file}:${first.line}`;
            emit('DAG002', { message: `dag_id "${dag.dag_id}" is also declared at ${elsewhere}; Airflow keeps only one of them`, ...at });
          } else firstById.set(dag.dag_id, { file, line: dag.line });
        }
      }

      if (dag.owner === 'missing') emit('DAG101', { message: `${name} sets no owner in default_args`, ...at });
      if (dag.retries === 'missing') emit('DAG102', { message: `${name} sets no retries in default_args`, ...at });
      if (dag.catchup === 'missing') emit('DAG103', { message: `${name} does not pass catchup; the default depends on the Airflow installation`, ...at });
      const now = dag.start_date_now;
      if (now) {
        const key = `${file}:${now.line}:${now.column}`;
        if (!now104.has(key)) {
          now104.add(key);
          const via = now.via ? ` (through ${now.via})` : '';
          emit('DAG104', { message: `start_date of ${name} is computed from the current time by ${now.call}()${via}; it moves on every parse`, file, line: now.line, column: now.column });
        }
      }
      if (dag.tags === 'missing' || dag.tags === 'empty') emit('DAG106', { message: `${name} has ${dag.tags === 'empty' ? 'an empty tags list' : 'no tags'}`, ...at });
      if (dag.schedule === 'missing') emit('DAG107', { message: `${name} passes no schedule; Airflow 2 runs it daily, Airflow 3 only when triggered`, ...at });
    }
  }

  // ---------------------------------------------------------------- optional import check
  const imported = await importCheck(ctx, withSyntaxError, emit, findings);
  const stats: Record<string, number> = { files: files.length, dags };
  if (imported) stats.imported = imported.dags;
  return { findings, stats };
}

/** Severity per rule id after ferry.yml's `checks.dags.rules`; unknown ids become findings. */
function ruleSeverities(config: FerryConfig, findings: Finding[]): Map<string, RuleSetting> {
  const out = new Map<string, RuleSetting>(DAG_RULES.map((r) => [r.id, r.severity]));
  const configFile = path.relative(config.root, config.file).split(path.sep).join('/') || 'ferry.yml';
  for (const [id, setting] of Object.entries(config.checks.dags.rules)) {
    const rule = ruleById(id);
    const line = lineOf(config.file, id);
    if (!rule) {
      // Numerically nearest first, so DAG108 suggests DAG107 rather than DAG101.
      const n = Number(id.slice(3));
      const candidates = [...DAG_RULE_IDS].sort((a, b) => Math.abs(Number(a.slice(3)) - n) - Math.abs(Number(b.slice(3)) - n));
      const guess = closest(id, candidates);
      findings.push({
        check: CHECK,
        rule: 'unknown-rule',
        severity: 'error',
        message: `checks.dags.rules: unknown rule "${id}".${guess ? ` Did you mean "${guess}" (${ruleById(guess)!.name})?` : ''}`,
        file: configFile,
        line,
        hint: `Known rules: ${DAG_RULES.map((r) => `${r.id} ${r.name}`).join(', ')}.`,
      });
      continue;
    }
    if (setting === 'off' && !rule.canTurnOff) {
      findings.push({
        check: CHECK,
        rule: 'rule-not-switchable',
        severity: 'warning',
        message: `checks.dags.rules: ${id} (${rule.name}) cannot be turned off; it stays ${rule.severity === 'error' ? 'an error' : 'a warning'}`,
        file: configFile,
        line,
        hint: `A file Airflow cannot parse loses every DAG in it. Set ${id} to warning to report it without failing, or exclude the file in artifacts.dags.exclude.`,
      });
      continue;
    }
    out.set(id, setting);
  }
  return out;
}

function lineOf(file: string, word: string): number | undefined {
  try {
    const i = fs.readFileSync(file, 'utf8').split('\n').findIndex((l) => new RegExp(`\\b${word}\\b`).test(l.replace(/#.*/, '')));
    return i >= 0 ? i + 1 : undefined;
  } catch {
    return undefined;
  }
}

interface ImportResult {
  airflow: boolean;
  error?: string;
  version?: string;
  import_errors?: { file: string; traceback: string }[];
  dags?: string[];
}

/**
 * DagBag import of the DAG folder, when `import_check` is true, or auto and
 * Airflow is importable. Returns undefined when it did not run.
 */
async function importCheck(
  ctx: CheckContext,
  withSyntaxError: Set<string>,
  emit: (rule: string, f: Omit<Finding, 'check' | 'rule' | 'severity' | 'hint'>) => void,
  findings: Finding[],
): Promise<{ dags: number } | undefined> {
  const { config, runner, tmpDir } = ctx;
  const mode = config.checks.dags.import_check;
  if (mode === false) return undefined;
  const python = config.checks.dags.python;
  const dir = config.artifacts.dags!.dir;
  const script = path.join(tmpDir, 'ferry_dag_import.py');
  const result = path.join(tmpDir, 'ferry-dag-import.json');
  fs.writeFileSync(script, DAG_IMPORT_PY);
  fs.rmSync(result, { force: true });
  let run;
  try {
    run = await runTool([python, script, dir, result], {
      cwd: config.root,
      env: { AIRFLOW__CORE__DAGS_FOLDER: dir, AIRFLOW__CORE__LOAD_EXAMPLES: 'False' },
      timeoutSeconds: 1800,
    });
  } catch (e) {
    if (e instanceof ToolMissing) return undefined; // reported by the parse step already
    findings.push({ check: CHECK, rule: 'import-check-failed', severity: 'error', message: `the Airflow import check failed: ${(e as Error).message}` });
    return undefined;
  }
  let out: ImportResult;
  try {
    out = JSON.parse(fs.readFileSync(result, 'utf8')) as ImportResult;
  } catch {
    const tail = run.stderr.trim().split('\n').slice(-5).join('\n');
    findings.push({ check: CHECK, rule: 'import-check-failed', severity: 'error', message: `the Airflow import check stopped before reporting (exit code ${run.code})${tail ? `: ${tail}` : ''}` });
    return undefined;
  }
  if (!out.airflow) {
    if (mode === true) {
      findings.push({
        check: CHECK,
        rule: 'airflow-missing',
        severity: 'error',
        message: `checks.dags.import_check is true, but Airflow is not importable by ${python} (${out.error ?? 'import failed'})`,
        hint: 'Install apache-airflow (with the providers your DAGs use) on the runner, point checks.dags.python at its interpreter, or set import_check to auto.',
      });
    } else runner.debug(`dags: import check skipped, Airflow is not importable by ${python} (${out.error ?? ''})`);
    return undefined;
  }
  runner.debug(`dags: imported the DAG folder with Airflow ${out.version}: ${out.dags?.length ?? 0} DAGs, ${out.import_errors?.length ?? 0} import errors`);
  for (const e of out.import_errors ?? []) {
    const abs = path.resolve(dir, e.file);
    const file = path.relative(config.root, abs).split(path.sep).join('/');
    if (withSyntaxError.has(file)) continue; // DAG001 already says it, with the position
    emit('DAG005', { message: `Airflow cannot import this file: ${lastLine(e.traceback)}`, file, line: tracebackLine(e.traceback, abs) });
  }
  return { dags: out.dags?.length ?? 0 };
}

function lastLine(traceback: string): string {
  const lines = traceback.trim().split('\n').filter((l) => l.trim());
  return (lines[lines.length - 1] ?? 'import failed').trim();
}

/** The line of the deepest frame in `file`, or of a SyntaxError reported without a traceback. */
export function tracebackLine(traceback: string, file: string): number | undefined {
  let line: number | undefined;
  for (const m of traceback.matchAll(/File "([^"]+)", line (\d+)/g)) {
    if (path.resolve(m[1]!) === file) line = Number(m[2]);
  }
  if (line === undefined) {
    const m = /\(([^()]+), line (\d+)\)\s*$/.exec(traceback.trim());
    if (m && path.basename(m[1]!) === path.basename(file)) line = Number(m[2]);
  }
  return line;
}

