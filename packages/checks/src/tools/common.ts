import fs from 'node:fs';
import path from 'node:path';
import { runTool, ToolMissing, type FerryConfig, type ToolConfig, type ToolRun } from '@ferry/core';
import type { CheckOutcome, Finding } from '../types.js';

/** The linters and test runners configured as `checks.<id>` with the common tool keys. */
export type ToolId = 'sqlfluff' | 'yamllint' | 'flake8' | 'ruff' | 'pytest';

export const notConfigured = (id: string) => `checks.${id} is not configured in ferry.yml`;

/** How to install each tool, for the tool-missing finding. */
export const INSTALL_HINTS: Record<ToolId | 'dbt', string> = {
  sqlfluff: 'Install it with `apt-get install sqlfluff` or `pip install sqlfluff`',
  yamllint: 'Install it with `apt-get install yamllint` or `pip install yamllint`',
  flake8: 'Install it with `apt-get install flake8` or `pip install flake8`',
  ruff: 'Install it with `pip install ruff` (or `pipx install ruff`)',
  pytest: 'Install it with `apt-get install python3-pytest` or `pip install pytest`',
  dbt: 'Install it with `pip install dbt-core dbt-<adapter>` (the adapter of your warehouse, e.g. dbt-postgres)',
};

/** The tool's own key in ferry.yml, typed. */
export function toolConfig(config: FerryConfig, id: ToolId): ToolConfig | undefined {
  return config.checks[id];
}

/**
 * A path a tool printed (relative to its working folder, or absolute) as a
 * POSIX path relative to the project root.
 */
export function relFile(root: string, file: string, cwd: string = root): string {
  const abs = path.resolve(cwd, file);
  let rel = path.relative(root, abs);
  if (rel.startsWith('..')) {
    // The tool may print the real path of a root reached through a symlink (/tmp vs /private/tmp).
    try {
      const real = path.relative(fs.realpathSync(root), abs);
      if (!real.startsWith('..')) rel = real;
    } catch {
      /* keep rel */
    }
  }
  return rel.split(path.sep).join('/');
}

/**
 * Paths from ferry.yml as tool arguments: relative to the root (the tool runs
 * there), and never mistaken for an option (a file named `-x.sql` becomes `./-x.sql`).
 */
export function pathArgs(paths: readonly string[]): string[] {
  return paths.map((p) => (p.startsWith('-') ? `./${p}` : p));
}

/** A 1-based position, or undefined when the tool gave none (0, negative, missing). */
export function pos(n: unknown): number | undefined {
  const v = typeof n === 'number' ? n : typeof n === 'string' && /^\d+$/.test(n) ? Number(n) : NaN;
  return Number.isFinite(v) && v >= 1 ? Math.trunc(v) : undefined;
}

/** The last non-empty lines of a tool's output, for a tool-failed message. */
export function tail(text: string, lines = 8): string {
  const kept = text
    .split(/\r?\n/)
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '');
  return kept.slice(-lines).join('\n');
}

export const showArgv = (argv: readonly string[]) => argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');

export function missingFinding(check: string, tool: string, tried: readonly (readonly string[])[], hintKey: ToolId | 'dbt'): Finding {
  const commands = tried.map((argv) => `\`${showArgv(argv)}\``).join(', then ');
  const first = tried[0]?.[0] ?? tool;
  return {
    check,
    rule: 'tool-missing',
    severity: 'error',
    message: `${tool} is not installed: ${tried.length > 1 ? `tried ${commands}; none was found` : `\`${first}\` was not found on PATH (command: ${commands})`}`,
    hint: `${INSTALL_HINTS[hintKey]}, or set checks.${check}.command to where it is installed${check === 'dbt' ? '' : `, or remove checks.${check} from ferry.yml`}.`,
  };
}

export function failedFinding(check: string, message: string, output?: string): Finding {
  const last = output ? tail(output) : '';
  return { check, rule: 'tool-failed', severity: 'error', message: last ? `${message}:\n${last}` : message };
}

export type Execution = { ok: true; run: ToolRun } | { ok: false; outcome: CheckOutcome };

/**
 * Runs a tool (argv only, never a shell). A missing tool or a timeout
 * becomes the check's outcome (tool-missing / tool-failed); anything else is a result.
 */
export async function execute(check: string, argv: string[], opts: { cwd: string; timeoutSeconds: number; tool: string; hintKey: ToolId | 'dbt' }): Promise<Execution> {
  try {
    return { ok: true, run: await runTool(argv, { cwd: opts.cwd, timeoutSeconds: opts.timeoutSeconds }) };
  } catch (e) {
    if (e instanceof ToolMissing) return { ok: false, outcome: { findings: [missingFinding(check, opts.tool, [argv], opts.hintKey)] } };
    const timeout = timedOut(check, argv, opts.timeoutSeconds, e);
    if (timeout) return { ok: false, outcome: { findings: [timeout] } };
    throw e;
  }
}

/** The tool-failed finding for a run that runTool stopped at its timeout, or undefined for any other error. */
export function timedOut(check: string, argv: readonly string[], seconds: number, e: unknown): Finding | undefined {
  if (!(e instanceof Error) || !/did not finish within/.test(e.message)) return undefined;
  return { ...failedFinding(check, `\`${showArgv(argv)}\` did not finish within ${seconds} s and was stopped`), hint: `Raise checks.${check}.timeout in ferry.yml if it needs longer.` };
}

/** Whether a file is an executable on PATH (used to choose between pytest, pytest-3 and python3 -m pytest). */
export function onPath(command: string, envPath = process.env.PATH ?? ''): boolean {
  if (command.includes('/')) return isExecutable(command);
  return envPath
    .split(path.delimiter)
    .filter(Boolean)
    .some((dir) => isExecutable(path.join(dir, command)));
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * The common end of a linter run: exit codes the tool uses for "ran, found
 * nothing / found something" are results; any other code, or a non-zero code
 * with nothing parsed, means the tool itself failed.
 */
export function linterOutcome(check: string, argv: string[], run: ToolRun, findings: Finding[], okCodes: readonly number[], stats?: Record<string, number>): CheckOutcome {
  const out: Finding[] = [...findings];
  if (!okCodes.includes(run.code) || (run.code !== 0 && findings.length === 0)) {
    out.push(failedFinding(check, `\`${showArgv(argv)}\` exited with code ${run.code}${findings.length ? '' : ' without reporting any problem'}`, run.stderr.trim() ? run.stderr : run.stdout));
  }
  return stats ? { findings: out, stats } : { findings: out };
}
