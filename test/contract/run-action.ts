/**
 * Runs a committed action bundle (action.yml's `runs.main`, i.e. dist/index.js) the way the
 * GitHub runner does: a clean environment with INPUT_* variables (action.yml
 * defaults filled in), GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files, an event
 * file, and workflow commands on stdout.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const OWNER = 'acme';
export const REPO = 'data';
export const TOKEN = 'test-token';

/** Temp folders made by the harness and the tests; removed after each test file (see useGitHubServer). */
export const tempDirs: string[] = [];
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

export interface RunOptions {
  /** `with:` of the step. Values are strings on a real runner; booleans are accepted for brevity. */
  inputs?: Record<string, string | boolean>;
  /** Extra or overriding environment variables (e.g. GITHUB_RUN_ID). */
  env?: Record<string, string>;
  /** GITHUB_WORKSPACE and the working directory. */
  cwd: string;
  /** GITHUB_API_URL: the test server's url. */
  apiUrl: string;
  /** The event payload (default: a push to GITHUB_REF); set GITHUB_EVENT_NAME in `env` to match. */
  event?: Record<string, unknown>;
}

/** One `::name k=v,...::message` line from stdout. */
export interface WorkflowCommand {
  command: string;
  properties: Record<string, string>;
  message: string;
  /** Index into `lines`. */
  line: number;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout split into lines. */
  lines: string[];
  outputs: Record<string, string>;
  summary: string;
  commands: WorkflowCommand[];
}

interface ActionYml {
  inputs?: Record<string, { default?: string }>;
  runs: { using: string; main: string };
}

/**
 * What the runner reads from action.yml: the script to run, the inputs, and
 * the values it sets for inputs a step leaves out (defaults, `${{ github.token }}` evaluated).
 */
function readAction(name: string): { main: string; names: string[]; defaults: Record<string, string> } {
  const yml = parse(fs.readFileSync(path.join(ROOT, 'actions', name, 'action.yml'), 'utf8')) as ActionYml;
  if (!/^node\d+$/.test(yml.runs.using)) throw new Error(`${name}: runs.using ${yml.runs.using} is not a node action`);
  const defaults: Record<string, string> = {};
  for (const [input, spec] of Object.entries(yml.inputs ?? {})) {
    const d = spec.default;
    if (d === undefined) continue;
    if (d.trim() === '${{ github.token }}') defaults[input] = TOKEN;
    else if (d.includes('${{')) throw new Error(`${name}: default of input ${input} uses an expression this harness cannot evaluate: ${d}`);
    else defaults[input] = String(d);
  }
  return { main: path.join(ROOT, 'actions', name, yml.runs.main), names: Object.keys(yml.inputs ?? {}), defaults };
}

export async function runAction(name: string, opts: RunOptions): Promise<RunResult> {
  const { main, names, defaults } = readAction(name);
  for (const k of Object.keys(opts.inputs ?? {})) {
    // The runner only warns about unexpected inputs; a test passing one has a typo.
    if (!names.includes(k)) throw new Error(`${name} has no input "${k}"`);
  }
  const temp = tempDir(`ferry-runner-${name}-`);
  const files = { output: path.join(temp, 'output'), summary: path.join(temp, 'summary.md'), event: path.join(temp, 'event.json') };
  fs.writeFileSync(files.output, '');
  fs.writeFileSync(files.summary, '');
  fs.mkdirSync(path.join(temp, 'home'));
  fs.mkdirSync(path.join(temp, 'runner-temp'));
  const sha = opts.env?.GITHUB_SHA ?? headOf(opts.cwd);
  const ref = opts.env?.GITHUB_REF ?? 'refs/heads/main';
  fs.writeFileSync(files.event, JSON.stringify(opts.event ?? pushEvent(sha, ref)));

  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: path.join(temp, 'home'),
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: 'push',
    GITHUB_EVENT_PATH: files.event,
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_REPOSITORY: `${OWNER}/${REPO}`,
    GITHUB_REPOSITORY_OWNER: OWNER,
    GITHUB_SHA: sha,
    GITHUB_REF: ref,
    GITHUB_RUN_ID: '1000',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_ACTOR: 'octocat',
    GITHUB_WORKFLOW: 'deploy',
    GITHUB_JOB: 'deploy',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: opts.apiUrl,
    GITHUB_WORKSPACE: opts.cwd,
    RUNNER_TEMP: path.join(temp, 'runner-temp'),
    RUNNER_OS: 'Linux',
    ...opts.env,
  };
  for (const [k, v] of Object.entries({ ...defaults, ...opts.inputs })) env[`INPUT_${k.replace(/ /g, '_').toUpperCase()}`] = String(v);

  const child = spawn(process.execPath, [main], { cwd: opts.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  clearTimeout(timer);

  const lines = stdout.split(/\r?\n/);
  return {
    code,
    stdout,
    stderr,
    lines,
    outputs: parseOutputFile(fs.readFileSync(files.output, 'utf8')),
    summary: fs.readFileSync(files.summary, 'utf8'),
    commands: parseCommands(lines),
  };
}

function headOf(cwd: string): string {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '0'.repeat(40);
  }
}

function pushEvent(sha: string, ref: string) {
  const owner = { login: OWNER, id: 1, type: 'Organization' };
  return {
    ref,
    before: '0'.repeat(40),
    after: sha,
    created: false,
    deleted: false,
    forced: false,
    repository: { id: 700000001, name: REPO, full_name: `${OWNER}/${REPO}`, owner, default_branch: 'main', private: true },
    head_commit: { id: sha, message: 'change', timestamp: new Date().toISOString() },
    pusher: { name: 'octocat', email: 'octocat@example.com' },
    sender: { login: 'octocat', id: 2, type: 'User' },
  };
}

/** `name<<DELIM\nvalue\nDELIM` blocks (what @actions/core writes), and plain `name=value` lines. */
export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, key, delim] = heredoc;
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delim; i++) value.push(lines[i]!);
      if (i >= lines.length) throw new Error(`GITHUB_OUTPUT: no closing delimiter for ${key}`);
      out[key!] = value.join('\n');
    } else if (line.includes('=')) {
      out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    } else if (line.trim() !== '') {
      throw new Error(`GITHUB_OUTPUT: cannot parse line ${JSON.stringify(line)}`);
    }
  }
  return out;
}

const unescapeData = (s: string) => s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
const unescapeProperty = (s: string) => unescapeData(s.replace(/%3A/g, ':').replace(/%2C/g, ','));

export function parseCommands(lines: string[]): WorkflowCommand[] {
  const out: WorkflowCommand[] = [];
  lines.forEach((line, i) => {
    const m = /^::([A-Za-z-]+)(?: ([^:]*))?::(.*)$/.exec(line);
    if (!m) return;
    const properties: Record<string, string> = {};
    for (const kv of (m[2] ?? '').split(',').filter(Boolean)) {
      const eq = kv.indexOf('=');
      properties[kv.slice(0, eq)] = unescapeProperty(kv.slice(eq + 1));
    }
    out.push({ command: m[1]!, properties, message: unescapeData(m[3]!), line: i });
  });
  return out;
}
