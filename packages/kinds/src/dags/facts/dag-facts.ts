import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DAG_FACTS_PY } from './dag-facts-script.js';

/** What dag_facts.py reports; see packages/kinds/python/dag_facts.py. */
export type ArgState = 'set' | 'missing' | 'unknown';

export interface Position {
  line: number;
  column: number;
}

export interface DagFact extends Position {
  form: 'with' | 'call' | 'decorator';
  /** Null when it cannot be known statically; `dynamic` says why. */
  dag_id: string | null;
  dynamic?: string;
  dag_id_from?: 'function name';
  in_function?: string;
  /** Line of the innermost loop the DAG is created in. */
  in_loop?: number;
  /** @dag only: the decorated function, and whether it is called at module level. */
  function?: string;
  called?: 'module' | 'elsewhere' | 'never';
  owner: ArgState;
  retries: ArgState;
  catchup: ArgState;
  schedule: ArgState;
  start_date: ArgState;
  start_date_now?: Position & { call: string; via?: string };
  tags: ArgState | 'empty';
  /**
   * The schedule as written, where it is static: a preset ("@daily") or cron
   * string as given, "None" for Python's None, or an ISO 8601 duration
   * ("PT1H", "P1DT12H") for a timedelta. Null when the schedule is missing
   * (see `schedule`) or not static (see `not_static.schedule`).
   */
  schedule_value: string | null;
  /**
   * start_date where it is a literal datetime (directly, in default_args, or
   * through one module constant): "2024-01-01T00:00:00Z" (UTC; also for a naive
   * datetime, with `start_date_naive`), "2024-01-01T00:00:00+05:30" (a fixed
   * offset) or "2024-01-01T00:00:00[Europe/Amsterdam]" (a named zone, wall
   * time: the reader finds its offset). Null when missing or not static.
   */
  start_date_value: string | null;
  /** The datetime had no zone: Airflow reads it in its default_timezone (UTC unless configured). */
  start_date_naive?: true;
  /** catchup where it is a literal True/False; null when missing or not static. */
  catchup_value: boolean | null;
  /** Why a value that is passed is null: it cannot be read without running the file. */
  not_static?: { schedule?: string; start_date?: string; catchup?: string };
}

export interface TopLevelCall extends Position {
  kind: 'variable' | 'connection' | 'database';
  call: string;
  /** Set when the call is in the body of a @dag function called at module level. */
  in_dag_function?: string;
}

export interface SyntaxErrorFact extends Position {
  message: string;
  kind: string;
  end_line?: number;
  end_column?: number;
}

export interface FileFacts {
  file: string;
  dags: DagFact[];
  top_level_calls: TopLevelCall[];
  syntax_error?: SyntaxErrorFact;
  read_error?: string;
  internal_error?: string;
  traceback?: string;
}

export class PythonMissing extends Error {
  constructor(readonly python: string) {
    super(`${python} is not installed (not found on PATH)`);
  }
}

export class PythonFailed extends Error {}

/**
 * Parses `files` (absolute paths) with one python3 process running the
 * embedded dag_facts.py: one batch request goes in on stdin, one JSON line per
 * file comes back on stdout, in order, parsed as it streams. No shell; the interpreter ignores PYTHON*
 * variables (-E), the user site (-s) and site-packages (-S): the helper needs
 * the standard library only. (Not -I: Python 2 rejects it before the helper
 * can say which version it needs.)
 */
export async function collectFacts(
  python: string,
  files: readonly string[],
  opts: { tmpDir: string; cwd: string; timeoutSeconds?: number },
): Promise<{ python: string; facts: FileFacts[] }> {
  const script = path.join(opts.tmpDir, 'ferry_dag_facts.py');
  if (!fs.existsSync(script) || fs.readFileSync(script, 'utf8') !== DAG_FACTS_PY) fs.writeFileSync(script, DAG_FACTS_PY);
  const timeoutSeconds = opts.timeoutSeconds ?? 600;

  return new Promise((resolve, reject) => {
    const child = spawn(python, ['-E', '-s', '-S', script], { cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
    const facts: FileFacts[] = [];
    type Hello = { python?: string; error?: string };
    let hello: Hello | undefined;
    let pending = '';
    let stderr = '';
    let settled = false;
    const done = (err: Error | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        if (child.exitCode === null) child.kill('SIGKILL');
        reject(err);
      } else resolve({ python: hello?.python ?? 'unknown', facts });
    };
    const timer = setTimeout(() => done(new PythonFailed(`${python} did not finish parsing ${files.length} DAG files within ${timeoutSeconds} s and was stopped`)), timeoutSeconds * 1000);

    const onLine = (line: string) => {
      if (!line.trim()) return;
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return done(new PythonFailed(`unexpected output from the DAG parser: ${line.slice(0, 200)}`));
      }
      if (!hello) {
        const h = msg as Hello;
        hello = h;
        if (h.error) done(new PythonFailed(`${python} is Python ${h.python}: ${h.error}`));
        return;
      }
      if (typeof msg.protocol_error === 'string') return done(new PythonFailed(`DAG parser: ${msg.protocol_error}`));
      facts.push(msg as unknown as FileFacts);
    };

    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        onLine(line);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < 64 << 10) stderr += chunk;
    });
    child.on('error', (e: NodeJS.ErrnoException) => done(e.code === 'ENOENT' ? new PythonMissing(python) : e));
    child.on('close', (code, signal) => {
      if (pending) onLine(pending);
      if (facts.length === files.length && code === 0) return done(undefined);
      const why = signal ? `was stopped by ${signal}` : `exited with code ${code}`;
      const tail = stderr.trim().split('\n').slice(-5).join('\n');
      done(new PythonFailed(`${python} ${why} after ${facts.length} of ${files.length} DAG files${tail ? `: ${tail}` : ''}`));
    });
    // The stream may break when python exits early; 'close' reports why.
    child.stdin.on('error', () => undefined);
    child.stdin.end(files.length ? JSON.stringify({ files }) + '\n' : '');
  });
}
