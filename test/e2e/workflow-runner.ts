/**
 * A small interpreter of GitHub Actions workflows, for ferry's reusable templates
 * (`workflows-templates/*.yml`): it reads the YAML, runs jobs in `needs` order, and
 * runs each step the way the runner does — ferry's actions through their committed
 * bundles (test/contract/run-action.ts), `run:` through bash with the runner's files
 * (GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH, GITHUB_STEP_SUMMARY), checkout as a clone
 * of the test's repository, artifacts through a per-run folder.
 *
 * Expressions are evaluated by GitHub's own engine (npm @actions/expressions; see
 * expressions.ts). Anything this runner does not model is an error naming it, never
 * a silent skip: another `uses:`, a shell other than bash/sh, container jobs, services.
 */
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { parseCommands, parseOutputFile, runAction, tempDir, OWNER, REPO, TOKEN, type WorkflowCommand } from '../contract/run-action.js';
import { evaluateCondition, interpolate, interpolateString, type EvalScope, type Json, type StatusFunctions } from './expressions.js';

export type Result = 'success' | 'failure' | 'skipped' | 'cancelled';

export interface WorkflowRunOptions {
  /** The workflow file. */
  workflow: string;
  /** The test's repository (a git folder): `actions/checkout` clones it. */
  repository: string;
  /** Commit of the run (default: HEAD of `repository`). */
  sha?: string;
  ref?: string;
  /** github.event_name and the event payload (default: a push to `ref`). */
  eventName?: string;
  event?: Record<string, unknown>;
  /** `with:` of the caller (workflow_call inputs). */
  inputs?: Record<string, string | number | boolean>;
  secrets?: Record<string, string>;
  vars?: Record<string, string>;
  runId: number;
  runAttempt?: number;
  actor?: string;
  /** GITHUB_API_URL (the GitHub test server). */
  apiUrl: string;
  /**
   * When given, a job with `environment:` gets the deployment GitHub creates for it (queued → in_progress
   * by github-actions[bot]), and when the job ends the runner posts the status GitHub writes then
   * (success or failure, the job's environment url, no description) through the API with the job's token.
   */
  github?: { seedRunDeployment(input: { environment: string; sha: string; ref?: string; runId: number }): { id: number } };
  /** Extra variables for every process (as if set on the runner machine). */
  machineEnv?: Record<string, string>;
  /** Called after each job (or matrix leg) ends: progress, and what ran before a harness error. */
  onJob?: (job: JobRecord) => void;
  /** Kill a `run:` step after this long (default 120 s). */
  stepTimeoutMs?: number;
}

export interface StepRecord {
  index: number;
  id?: string;
  name: string;
  uses?: string;
  run?: string;
  /** Evaluated `with:`. */
  with?: Record<string, string>;
  outcome: Result;
  conclusion: Result;
  outputs: Record<string, string>;
  stdout: string;
  stderr: string;
  commands: WorkflowCommand[];
  summary: string;
  exitCode?: number | null;
}

export interface JobRecord {
  id: string;
  /** Display name; matrix legs get `id (v1, v2)`. */
  name: string;
  matrix?: Record<string, Json>;
  result: Result;
  outputs: Record<string, string>;
  environment?: { name: string; url?: string; deploymentId?: number };
  concurrency?: { group: string; cancelInProgress: boolean };
  permissions?: unknown;
  steps: StepRecord[];
  /** Step summaries of the job, in order. */
  summary: string;
  workspace?: string;
}

export interface RunRecord {
  runId: number;
  /** Jobs and matrix legs in the order they ran. */
  jobs: JobRecord[];
  /** Per job id: the aggregated result and outputs (what `needs` sees). */
  results: Record<string, { result: Result; outputs: Record<string, string> }>;
  /** The workflow_call outputs. */
  outputs: Record<string, string>;
  conclusion: 'success' | 'failure';
  permissions?: unknown;
  artifacts: string;
  /** The order jobs were started in (topological). */
  order: string[];
}

interface StepYml {
  id?: string;
  name?: string;
  if?: unknown;
  uses?: string;
  run?: string;
  shell?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
  'continue-on-error'?: unknown;
  'working-directory'?: string;
  'timeout-minutes'?: unknown;
}

interface JobYml {
  name?: string;
  needs?: string | string[];
  if?: unknown;
  'runs-on'?: unknown;
  environment?: string | { name: string; url?: string };
  concurrency?: string | { group: string; 'cancel-in-progress'?: unknown };
  permissions?: unknown;
  strategy?: { matrix?: unknown; 'fail-fast'?: unknown; 'max-parallel'?: unknown };
  outputs?: Record<string, string>;
  env?: Record<string, unknown>;
  defaults?: { run?: { shell?: string; 'working-directory'?: string } };
  steps?: StepYml[];
  uses?: string;
  container?: unknown;
  services?: unknown;
  'timeout-minutes'?: unknown;
  'continue-on-error'?: unknown;
}

interface WorkflowYml {
  name?: string;
  on?: unknown;
  env?: Record<string, unknown>;
  permissions?: unknown;
  concurrency?: unknown;
  jobs: Record<string, JobYml>;
}

interface InputSpec {
  type?: 'string' | 'boolean' | 'number';
  required?: boolean;
  default?: unknown;
}

export class WorkflowError extends Error {}

const KNOWN_JOB_KEYS = new Set(['name', 'needs', 'if', 'runs-on', 'environment', 'concurrency', 'permissions', 'strategy', 'outputs', 'env', 'defaults', 'steps', 'timeout-minutes']);

export function readWorkflow(file: string): WorkflowYml {
  const yml = parse(fs.readFileSync(file, 'utf8')) as WorkflowYml;
  if (!yml || typeof yml !== 'object' || !yml.jobs) throw new WorkflowError(`${file}: no jobs`);
  return yml;
}

/** Jobs in an order where each comes after everything it `needs`; unknown needs and cycles are errors. */
export function jobOrder(jobs: Record<string, JobYml>, file = 'workflow'): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, chain: string[]) => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') throw new WorkflowError(`${file}: jobs form a cycle through needs: ${[...chain, id].join(' → ')}`);
    state.set(id, 'visiting');
    for (const n of needsOf(jobs[id]!)) {
      if (!jobs[n]) throw new WorkflowError(`${file}: job ${id} needs ${n}, which does not exist`);
      visit(n, [...chain, id]);
    }
    state.set(id, 'done');
    order.push(id);
  };
  for (const id of Object.keys(jobs)) visit(id, []);
  return order;
}

function needsOf(job: JobYml): string[] {
  return job.needs === undefined ? [] : Array.isArray(job.needs) ? job.needs : [job.needs];
}

/** All jobs `id` depends on, directly or not. */
function ancestors(jobs: Record<string, JobYml>, id: string): Set<string> {
  const out = new Set<string>();
  const walk = (j: string) => {
    for (const n of needsOf(jobs[j]!)) if (!out.has(n)) (out.add(n), walk(n));
  };
  walk(id);
  return out;
}

/** strategy.matrix → its combinations (GitHub's rules for include/exclude). */
export function expandMatrix(matrix: Json): Record<string, Json>[] {
  if (matrix === null || typeof matrix !== 'object' || Array.isArray(matrix)) throw new WorkflowError(`strategy.matrix must be a mapping, got ${JSON.stringify(matrix)}`);
  const { include, exclude, ...dims } = matrix as Record<string, Json>;
  let combos: Record<string, Json>[] = [{}];
  for (const [key, values] of Object.entries(dims)) {
    if (!Array.isArray(values)) throw new WorkflowError(`strategy.matrix.${key} must be a list, got ${JSON.stringify(values)}`);
    combos = combos.flatMap((c) => values.map((v) => ({ ...c, [key]: v })));
  }
  if (Object.keys(dims).length === 0) combos = [];
  const matches = (c: Record<string, Json>, e: Record<string, Json>) => Object.entries(e).every(([k, v]) => JSON.stringify(c[k]) === JSON.stringify(v));
  for (const e of (exclude as Record<string, Json>[] | undefined) ?? []) combos = combos.filter((c) => !matches(c, e));
  const original = combos.map((c) => ({ ...c }));
  for (const inc of (include as Record<string, Json>[] | undefined) ?? []) {
    let added = false;
    combos.forEach((c, i) => {
      const orig = original[i]!;
      // An include entry extends every original combination none of whose original values it overwrites.
      if (Object.entries(inc).every(([k, v]) => !(k in orig) || JSON.stringify(orig[k]) === JSON.stringify(v))) {
        Object.assign(c, inc);
        added = true;
      }
    });
    if (!added) combos.push({ ...inc });
  }
  if (combos.length === 0) throw new WorkflowError('strategy.matrix has no combinations (GitHub fails such a job)');
  return combos;
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

function stringMap(v: Json, what: string): Record<string, string> {
  if (v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new WorkflowError(`${what} must be a mapping`);
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) out[k] = x === null ? '' : typeof x === 'object' ? JSON.stringify(x) : String(x);
  return out;
}

/** Runs a workflow_call workflow (or any workflow of ferry's shape) and returns what happened. */
export async function runWorkflow(opts: WorkflowRunOptions): Promise<RunRecord> {
  const file = opts.workflow;
  const wf = readWorkflow(file);
  const sha = opts.sha ?? git(opts.repository, 'rev-parse', 'HEAD');
  const ref = opts.ref ?? 'refs/heads/main';
  const eventName = opts.eventName ?? 'push';
  const actor = opts.actor ?? 'octocat';
  const runAttempt = opts.runAttempt ?? 1;
  const root = tempDir(`ferry-run-${opts.runId}-`);
  const artifacts = path.join(root, 'artifacts');
  fs.mkdirSync(artifacts);
  const home = path.join(root, 'home');
  fs.mkdirSync(home);
  const event = opts.event ?? {
    ref,
    after: sha,
    head_commit: { id: sha, message: git(opts.repository, 'log', '-1', '--format=%B', sha), timestamp: git(opts.repository, 'log', '-1', '--format=%cI', sha) },
    repository: { name: REPO, full_name: `${OWNER}/${REPO}`, owner: { login: OWNER }, default_branch: 'main' },
    sender: { login: actor },
  };

  // on.workflow_call: inputs (types and defaults), secrets (required), outputs.
  const on = (typeof wf.on === 'object' && wf.on !== null ? wf.on : {}) as Record<string, unknown>;
  const call = (on.workflow_call ?? {}) as { inputs?: Record<string, InputSpec>; secrets?: Record<string, { required?: boolean }>; outputs?: Record<string, { value: string }> };
  const github: Record<string, unknown> = {
    event_name: eventName,
    event,
    sha,
    ref,
    ref_name: ref.replace(/^refs\/(heads|tags)\//, ''),
    ref_type: ref.startsWith('refs/tags/') ? 'tag' : 'branch',
    repository: `${OWNER}/${REPO}`,
    repository_owner: OWNER,
    run_id: String(opts.runId),
    run_number: '1',
    run_attempt: String(runAttempt),
    actor,
    triggering_actor: actor,
    server_url: 'https://github.com',
    api_url: opts.apiUrl,
    graphql_url: `${opts.apiUrl}/graphql`,
    workflow: wf.name ?? path.basename(file),
    workspace: '',
    token: TOKEN,
    action: '',
    job: '',
  };
  const inputs: Record<string, Json> = {};
  for (const [name, spec] of Object.entries(call.inputs ?? {})) {
    const given = opts.inputs?.[name];
    let value: Json;
    if (given !== undefined) value = given;
    else if (spec.default !== undefined) value = interpolate(spec.default, { contexts: { github, inputs: {}, vars: opts.vars ?? {} } });
    else if (spec.required) throw new WorkflowError(`${file}: input ${name} is required`);
    else value = spec.type === 'boolean' ? false : spec.type === 'number' ? 0 : '';
    if (spec.type === 'boolean') {
      if (typeof value === 'string' && !['true', 'false'].includes(value)) throw new WorkflowError(`${file}: input ${name} is a boolean, got ${JSON.stringify(value)}`);
      value = value === true || value === 'true';
    } else if (spec.type === 'number') {
      value = Number(value);
      if (Number.isNaN(value)) throw new WorkflowError(`${file}: input ${name} is a number, got ${JSON.stringify(given)}`);
    } else value = String(value);
    inputs[name] = value;
  }
  for (const name of Object.keys(opts.inputs ?? {})) {
    if (!(name in (call.inputs ?? {}))) throw new WorkflowError(`${file}: the caller passes input ${name}, which on.workflow_call.inputs does not declare`);
  }
  for (const [name, spec] of Object.entries(call.secrets ?? {})) {
    if (spec?.required && !opts.secrets?.[name]) throw new WorkflowError(`${file}: secret ${name} is required`);
  }
  const secrets = { ...opts.secrets, github_token: TOKEN };
  const vars = opts.vars ?? {};

  const order = jobOrder(wf.jobs, file);
  const results: RunRecord['results'] = {};
  const records: JobRecord[] = [];
  const record: RunRecord = { runId: opts.runId, jobs: records, results, outputs: {}, conclusion: 'success', permissions: wf.permissions, artifacts, order };

  for (const jobId of order) {
    const job = wf.jobs[jobId]!;
    if (job.uses) throw new WorkflowError(`${file}: job ${jobId} calls the reusable workflow ${job.uses}; this runner does not run nested workflows`);
    if (job.container !== undefined || job.services !== undefined) throw new WorkflowError(`${file}: job ${jobId} uses container/services, which this runner does not model`);
    for (const k of Object.keys(job)) if (!KNOWN_JOB_KEYS.has(k)) throw new WorkflowError(`${file}: job ${jobId} has key ${k}, which this runner does not model`);
    const needs: Record<string, { result: Result; outputs: Record<string, string> }> = {};
    for (const n of needsOf(job)) needs[n] = results[n]!;
    const anc = [...ancestors(wf.jobs, jobId)];
    const jobStatus: StatusFunctions = {
      success: () => anc.every((a) => results[a]!.result === 'success'),
      failure: () => anc.some((a) => results[a]!.result === 'failure'),
      cancelled: () => false,
    };
    const baseContexts = { github: { ...github, job: jobId }, inputs, vars, needs, secrets };
    if (!evaluateCondition(job.if, { contexts: baseContexts, status: jobStatus })) {
      results[jobId] = { result: 'skipped', outputs: {} };
      records.push({ id: jobId, name: job.name ?? jobId, result: 'skipped', outputs: {}, steps: [], summary: '' });
      opts.onJob?.(records.at(-1)!);
      continue;
    }

    let legs: (Record<string, Json> | undefined)[] = [undefined];
    if (job.strategy?.matrix !== undefined) legs = expandMatrix(interpolate(job.strategy.matrix, { contexts: baseContexts }));
    const legRecords: JobRecord[] = [];
    const failFast = job.strategy?.['fail-fast'] === undefined || interpolate(job.strategy['fail-fast'], { contexts: baseContexts }) !== false;
    for (const matrix of legs) {
      if (failFast && legRecords.some((l) => l.result === 'failure')) {
        // strategy.fail-fast (the default): GitHub cancels the legs still queued or running.
        const cancelled: JobRecord = { id: jobId, name: `${job.name ?? jobId} (${Object.values(matrix ?? {}).map(String).join(', ')})`, result: 'cancelled', outputs: {}, steps: [], summary: '' };
        if (matrix) cancelled.matrix = matrix;
        legRecords.push(cancelled);
        records.push(cancelled);
        opts.onJob?.(cancelled);
        continue;
      }
      const leg = await runJob({ opts, file, wf, jobId, job, matrix, github: { ...github, job: jobId }, inputs, secrets, vars, needs, sha, ref, artifacts, home, event, eventName });
      legRecords.push(leg);
      records.push(leg);
      opts.onJob?.(leg);
    }
    const failed = legRecords.some((l) => l.result === 'failure' || l.result === 'cancelled');
    results[jobId] = { result: failed ? 'failure' : 'success', outputs: Object.assign({}, ...legRecords.map((l) => l.outputs)) as Record<string, string> };
  }

  if (Object.values(results).some((r) => r.result === 'failure')) record.conclusion = 'failure';
  const jobsContext = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v]));
  for (const [name, spec] of Object.entries(call.outputs ?? {})) {
    record.outputs[name] = interpolateString(spec.value, { contexts: { github, inputs, vars, jobs: jobsContext } });
  }
  return record;
}

interface JobContext {
  opts: WorkflowRunOptions;
  file: string;
  wf: WorkflowYml;
  jobId: string;
  job: JobYml;
  matrix?: Record<string, Json>;
  github: Record<string, unknown>;
  inputs: Record<string, Json>;
  secrets: Record<string, string>;
  vars: Record<string, string>;
  needs: Record<string, { result: Result; outputs: Record<string, string> }>;
  sha: string;
  ref: string;
  artifacts: string;
  home: string;
  event: Record<string, unknown>;
  eventName: string;
}

async function runJob(c: JobContext): Promise<JobRecord> {
  const { opts, job, jobId, matrix } = c;
  const workspace = tempDir(`ferry-ws-${jobId}-`);
  const runnerTemp = tempDir(`ferry-rt-${jobId}-`);
  const github: Record<string, unknown> = { ...c.github, workspace };
  const runner = { os: 'Linux', arch: 'X64', name: 'ferry-e2e', temp: runnerTemp, tool_cache: path.join(runnerTemp, 'tool-cache'), environment: 'github-hosted' };
  const jobCtx: Record<string, unknown> = { status: 'success' };
  const strategy = { 'fail-fast': true, 'job-index': 0, 'job-total': 1, 'max-parallel': 1 };
  const base = { github, inputs: c.inputs, vars: c.vars, needs: c.needs, secrets: c.secrets, matrix: matrix ?? {}, strategy, runner, job: jobCtx };
  const matrixLabel = matrix ? ` (${Object.values(matrix).map((v) => (typeof v === 'object' ? JSON.stringify(v) : String(v))).join(', ')})` : '';
  const rec: JobRecord = {
    id: jobId,
    name: (job.name ? interpolateString(job.name, { contexts: base }) : jobId) + (job.name?.includes('${{') ? '' : matrixLabel),
    result: 'success',
    outputs: {},
    steps: [],
    summary: '',
    workspace,
    permissions: job.permissions ?? c.wf.permissions,
  };
  if (matrix) rec.matrix = matrix;

  // env: workflow → job (job env may use matrix, needs, inputs…).
  const workflowEnv = stringMap(interpolate(c.wf.env ?? {}, { contexts: base }), 'env');
  const jobEnv = { ...workflowEnv, ...stringMap(interpolate(job.env ?? {}, { contexts: { ...base, env: workflowEnv } }), `jobs.${jobId}.env`) };

  const conc = job.concurrency ?? c.wf.concurrency;
  if (conc !== undefined) {
    const v = interpolate(conc, { contexts: { ...base, env: jobEnv } });
    if (typeof v === 'string') rec.concurrency = { group: v, cancelInProgress: false };
    else {
      const o = v as Record<string, Json>;
      rec.concurrency = { group: String(o.group), cancelInProgress: o['cancel-in-progress'] === true || o['cancel-in-progress'] === 'true' };
    }
  }

  let envName: string | undefined;
  let envUrl: unknown;
  if (job.environment !== undefined) {
    const e = job.environment;
    envName = interpolateString(typeof e === 'string' ? e : e.name, { contexts: base });
    envUrl = typeof e === 'object' ? e.url : undefined;
    rec.environment = { name: envName };
    if (envName && opts.github) {
      // What GitHub does for a job with an environment: a deployment by github-actions[bot], in_progress.
      rec.environment.deploymentId = opts.github.seedRunDeployment({ environment: envName, sha: c.sha, ref: c.ref, runId: opts.runId }).id;
    }
  }

  const dotEnv: Record<string, string> = {};
  const extraPath: string[] = [];
  const steps: Record<string, { outputs: Record<string, string>; outcome: Result; conclusion: Result }> = {};
  let failed = false;
  const stepStatus: StatusFunctions = { success: () => !failed, failure: () => failed, cancelled: () => false };

  for (const [index, step] of (job.steps ?? []).entries()) {
    const envCtx = { ...jobEnv, ...dotEnv };
    jobCtx.status = failed ? 'failure' : 'success';
    const scope0: EvalScope = { contexts: { ...base, steps, env: envCtx }, workspace };
    const stepEnv = { ...envCtx, ...stringMap(interpolate(step.env ?? {}, scope0), `step ${index} env`) };
    const scope: EvalScope = { contexts: { ...base, steps, env: stepEnv }, workspace };
    const name = step.name ? interpolateString(step.name, scope) : step.uses ? `Run ${step.uses}` : `Run ${String(step.run).split('\n')[0]}`;
    const srec: StepRecord = { index, name, outcome: 'success', conclusion: 'success', outputs: {}, stdout: '', stderr: '', commands: [], summary: '' };
    if (step.id) srec.id = step.id;
    if (step.uses) srec.uses = step.uses;
    rec.steps.push(srec);
    if (!evaluateCondition(step.if, { ...scope, status: stepStatus })) {
      srec.outcome = srec.conclusion = 'skipped';
      if (step.id) steps[step.id] = { outputs: {}, outcome: 'skipped', conclusion: 'skipped' };
      continue;
    }
    const continueOnError = step['continue-on-error'] !== undefined && interpolate(step['continue-on-error'], scope) === true;
    const runEnv = {
      ...stepEnv,
      GITHUB_RUN_ID: String(opts.runId),
      GITHUB_RUN_ATTEMPT: String(github.run_attempt),
      GITHUB_SHA: c.sha,
      GITHUB_REF: c.ref,
      GITHUB_REF_NAME: String(github.ref_name),
      GITHUB_EVENT_NAME: c.eventName,
      GITHUB_ACTOR: String(github.actor),
      GITHUB_JOB: jobId,
      GITHUB_WORKFLOW: String(github.workflow),
      GITHUB_WORKSPACE: workspace,
      RUNNER_TEMP: runnerTemp,
      RUNNER_OS: 'Linux',
      ...opts.machineEnv,
    };
    let ok: boolean;
    if (step.uses) {
      const w = stringMap(interpolate(step.with ?? {}, scope), `step ${name} with`);
      srec.with = w;
      try {
        ok = await usesStep(c, step.uses, w, runEnv, workspace, srec, extraPath);
      } catch (e) {
        throw new WorkflowError(`${c.file}: job ${rec.name}, step ${name}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
    } else if (step.run !== undefined) {
      srec.run = interpolateString(step.run, scope);
      const files = stepFiles(runnerTemp, index);
      const shell = step.shell ?? job.defaults?.run?.shell;
      const wd = step['working-directory'] ?? job.defaults?.run?.['working-directory'];
      const cwd = wd ? path.resolve(workspace, interpolateString(wd, scope)) : workspace;
      const r = await runScript(srec.run, shell, cwd, {
        PATH: [...extraPath, opts.machineEnv?.PATH ?? process.env.PATH ?? '/usr/bin:/bin'].join(':'),
        HOME: c.home,
        CI: 'true',
        GITHUB_ACTIONS: 'true',
        GITHUB_REPOSITORY: `${OWNER}/${REPO}`,
        GITHUB_REPOSITORY_OWNER: OWNER,
        GITHUB_SERVER_URL: 'https://github.com',
        GITHUB_API_URL: opts.apiUrl,
        GITHUB_EVENT_PATH: files.event,
        GITHUB_OUTPUT: files.output,
        GITHUB_ENV: files.env,
        GITHUB_PATH: files.path,
        GITHUB_STEP_SUMMARY: files.summary,
        ...gitIdentity(),
        ...runEnv,
      }, files, c.event, opts.stepTimeoutMs ?? 120_000);
      Object.assign(srec, r.record);
      Object.assign(dotEnv, r.env);
      extraPath.unshift(...r.path);
      ok = r.record.exitCode === 0;
    } else throw new WorkflowError(`${c.file}: job ${jobId} step ${index} has neither uses nor run`);
    srec.outcome = ok ? 'success' : 'failure';
    srec.conclusion = ok || continueOnError ? 'success' : 'failure';
    if (srec.conclusion === 'failure') failed = true;
    rec.summary += srec.summary;
    if (step.id) steps[step.id] = { outputs: srec.outputs, outcome: srec.outcome, conclusion: srec.conclusion };
  }
  rec.result = failed ? 'failure' : 'success';
  jobCtx.status = rec.result;
  const endScope: EvalScope = { contexts: { ...base, steps, env: { ...jobEnv, ...dotEnv } } };
  rec.outputs = stringMap(interpolate(job.outputs ?? {}, endScope), `jobs.${jobId}.outputs`);
  if (rec.environment && envUrl !== undefined) rec.environment.url = interpolateString(envUrl, endScope);
  if (rec.environment?.deploymentId !== undefined) await completeRunDeployment(opts, rec);
  return rec;
}

/**
 * What GitHub writes when a job with an environment ends: a last status on the job's deployment,
 * `success` or `failure`, carrying the job's environment url and no description (it supersedes any
 * status a step posted, so ledgers must not read the latest status blindly).
 */
async function completeRunDeployment(opts: WorkflowRunOptions, rec: JobRecord): Promise<void> {
  const body: Record<string, unknown> = {
    state: rec.result === 'success' ? 'success' : 'failure',
    log_url: `https://github.com/${OWNER}/${REPO}/actions/runs/${opts.runId}/job/1`,
  };
  if (rec.environment?.url) body.environment_url = rec.environment.url;
  const res = await fetch(`${opts.apiUrl}/repos/${OWNER}/${REPO}/deployments/${rec.environment!.deploymentId}/statuses`, {
    method: 'POST',
    headers: { authorization: `token ${TOKEN}`, accept: 'application/vnd.github+json', 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new WorkflowError(`completing the run deployment of job ${rec.name}: ${res.status} ${await res.text()}`);
}

function gitIdentity(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of ['GIT_AUTHOR_NAME', 'GIT_AUTHOR_EMAIL', 'GIT_COMMITTER_NAME', 'GIT_COMMITTER_EMAIL']) if (process.env[k]) out[k] = process.env[k]!;
  return out;
}

function stepFiles(runnerTemp: string, index: number) {
  const dir = path.join(runnerTemp, '_runner_file_commands', `step-${index}`);
  fs.mkdirSync(dir, { recursive: true });
  const files = { output: path.join(dir, 'output'), env: path.join(dir, 'env'), path: path.join(dir, 'path'), summary: path.join(dir, 'summary'), event: path.join(dir, 'event.json') };
  for (const f of [files.output, files.env, files.path, files.summary]) fs.writeFileSync(f, '');
  return files;
}

/** `run:` as the runner does it: the script in a file, `bash -e {0}` unless `shell:` says otherwise. */
async function runScript(
  script: string,
  shell: string | undefined,
  cwd: string,
  env: Record<string, string>,
  files: ReturnType<typeof stepFiles>,
  event: Record<string, unknown>,
  timeoutMs: number,
): Promise<{ record: Partial<StepRecord>; env: Record<string, string>; path: string[] }> {
  fs.writeFileSync(files.event, JSON.stringify(event));
  const scriptFile = path.join(path.dirname(files.output), 'script.sh');
  fs.writeFileSync(scriptFile, script);
  let argv: string[];
  if (shell === undefined) argv = ['bash', '-e', scriptFile];
  else if (shell === 'bash') argv = ['bash', '--noprofile', '--norc', '-eo', 'pipefail', scriptFile];
  else if (shell === 'sh') argv = ['sh', '-e', scriptFile];
  else throw new WorkflowError(`shell: ${shell} is not supported by this runner (bash and sh are)`);
  if (!fs.existsSync(cwd)) throw new WorkflowError(`working-directory ${cwd} does not exist`);
  const child = spawn(argv[0]!, argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.on('close', (x) => resolve(x)));
  clearTimeout(timer);
  return {
    record: {
      exitCode: code,
      stdout,
      stderr,
      commands: parseCommands(stdout.split(/\r?\n/)),
      outputs: parseOutputFile(fs.readFileSync(files.output, 'utf8')),
      summary: fs.readFileSync(files.summary, 'utf8'),
    },
    env: parseOutputFile(fs.readFileSync(files.env, 'utf8')),
    path: fs.readFileSync(files.path, 'utf8').split(/\r?\n/).filter(Boolean).reverse(),
  };
}

/** The action a `uses:` names, if it is one of ferry's (`owner/ferry/actions/<name>@ref` or `./actions/<name>`). */
export function ferryAction(uses: string): string | undefined {
  return /^[^/]+\/ferry\/actions\/([a-z0-9-]+)@.+$/.exec(uses)?.[1] ?? /^\.\/actions\/([a-z0-9-]+)\/?$/.exec(uses)?.[1];
}

async function usesStep(
  c: JobContext,
  uses: string,
  w: Record<string, string>,
  env: Record<string, string>,
  workspace: string,
  srec: StepRecord,
  extraPath: string[],
): Promise<boolean> {
  const action = ferryAction(uses);
  if (action) {
    const r = await runAction(action, {
      cwd: workspace,
      apiUrl: c.opts.apiUrl,
      inputs: w,
      event: c.event,
      env: { ...env, ...(extraPath.length ? { PATH: [...extraPath, env.PATH ?? process.env.PATH ?? ''].join(':') } : {}) },
    });
    Object.assign(srec, { exitCode: r.code, stdout: r.stdout, stderr: r.stderr, commands: r.commands, outputs: r.outputs, summary: r.summary });
    return r.code === 0;
  }
  const [name] = uses.split('@');
  if (name === 'actions/checkout') {
    const dest = path.resolve(workspace, w.path ?? '.');
    fs.mkdirSync(dest, { recursive: true });
    git(dest, 'clone', '-q', c.opts.repository, '.');
    git(dest, '-c', 'advice.detachedHead=false', 'checkout', '-q', w.ref || c.sha);
    srec.stdout = `checked out ${w.ref || c.sha}\n`;
    return true;
  }
  if (name === 'actions/upload-artifact') {
    if (!w.name) throw new WorkflowError(`${uses}: this runner needs a name`);
    const paths = (w.path ?? '').split('\n').map((p) => p.trim()).filter(Boolean);
    if (paths.some((p) => /[*?[\]!]/.test(p))) throw new WorkflowError(`${uses}: glob patterns in path are not supported by this runner: ${w.path}`);
    const full = paths.map((p) => path.resolve(workspace, p)).filter((p) => fs.existsSync(p));
    if (full.length === 0) {
      if ((w['if-no-files-found'] ?? 'warn') === 'error') {
        srec.stdout = `::error::No files were found with the provided path: ${w.path}. No artifacts will be uploaded.\n`;
        srec.commands = parseCommands(srec.stdout.split('\n'));
        return false;
      }
      srec.stdout = `::warning::No files were found with the provided path: ${w.path}. No artifacts will be uploaded.\n`;
      srec.commands = parseCommands(srec.stdout.split('\n'));
      return true;
    }
    // Stored relative to the least common ancestor of the paths (a single folder: its contents).
    const rootOf = (p: string) => (fs.statSync(p).isDirectory() ? p : path.dirname(p));
    let root = full.length === 1 ? rootOf(full[0]!) : path.dirname(full[0]!);
    for (const p of full) while (!(p + path.sep).startsWith(root + path.sep) && root !== path.dirname(root)) root = path.dirname(root);
    const dest = path.join(c.artifacts, w.name);
    if (fs.existsSync(dest)) throw new WorkflowError(`${uses}: an artifact named ${w.name} already exists in this run (upload-artifact@v4 refuses that)`);
    for (const p of full) fs.cpSync(p, path.join(dest, path.relative(root, p) || (fs.statSync(p).isDirectory() ? '' : path.basename(p))), { recursive: true });
    srec.outputs = { 'artifact-id': String(fs.readdirSync(c.artifacts).length) };
    return true;
  }
  if (name === 'actions/download-artifact') {
    const dest = path.resolve(workspace, w.path ?? '.');
    const names = w.name ? [w.name] : fs.readdirSync(c.artifacts);
    for (const n of names) {
      const src = path.join(c.artifacts, n);
      if (!fs.existsSync(src)) {
        srec.stdout = `::error::Unable to download artifact(s): Artifact not found for name: ${n}\n`;
        srec.commands = parseCommands(srec.stdout.split('\n'));
        return false;
      }
      fs.cpSync(src, w.name ? dest : path.join(dest, n), { recursive: true });
    }
    srec.outputs = { 'download-path': dest };
    return true;
  }
  throw new WorkflowError(`${c.file}: job ${c.jobId} uses ${uses}, which this runner does not run (ferry's actions, actions/checkout, actions/upload-artifact and actions/download-artifact are supported)`);
}
