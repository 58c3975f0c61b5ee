/**
 * A simulated DAG processor. Airflow's finds DAGs by importing every file of
 * the DAG folder; this one reads them statically with ferry's own facts
 * helper (@ferry/kinds collectFacts: python3's `ast`, nothing imported or run),
 * so a DAG's id is what `DAG("x")`, `with DAG(dag_id="x")` or `@dag` give.
 *
 * - `parse()` reads the folder now (a ferry local target: the symlink is
 *   followed). Per file: a failure set with `failFile` or a Python syntax
 *   error becomes an import error (Airflow keeps the DAGs of the last good
 *   parse); otherwise its import error is cleared and every static dag_id is
 *   created (paused, as `dags_are_paused_at_creation` does) or updated:
 *   last_parsed_time = now, and a new DAG version with the file's text when
 *   the text changed. DAGs whose file or definition is gone turn inactive/stale.
 * - `parseAfterPolls(n)`: parse on the n-th request that reads a DAG from now
 *   on (a slow folder sync, as on MWAA/Composer); `parse()` at any time too.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { collectFacts } from '../../packages/kinds/src/index.js';
import type { AirflowState } from './state.js';

export interface ProcessorOptions {
  /** The folder Airflow reads (e.g. a ferry local DAG target); may not exist yet. */
  dagsFolder?: string;
  /** Where Airflow says the folder is (fileloc prefix). Default /opt/airflow/dags. */
  airflowDagsFolder?: string;
  /** New DAGs start paused (Airflow's default). */
  pausedAtCreation?: boolean;
  python?: string;
}

export class DagProcessor {
  dagsFolder: string | undefined;
  readonly airflowDagsFolder: string;
  parses = 0;
  private readonly failures = new Map<string, string>();
  private countdown: number | undefined;
  private readonly pausedAtCreation: boolean;
  private readonly python: string;

  constructor(
    private readonly state: AirflowState,
    options: ProcessorOptions = {},
  ) {
    this.dagsFolder = options.dagsFolder;
    this.airflowDagsFolder = (options.airflowDagsFolder ?? '/opt/airflow/dags').replace(/\/$/, '');
    this.pausedAtCreation = options.pausedAtCreation ?? true;
    this.python = options.python ?? 'python3';
  }

  /** Absolute path Airflow reports for a file of the folder. */
  fileloc(rel: string): string {
    return `${this.airflowDagsFolder}/${rel}`;
  }

  /** The next parses record an import error for `rel` with this message (until cleared). */
  failFile(rel: string, message: string): void {
    this.failures.set(rel, message);
  }

  clearFailure(rel: string): void {
    this.failures.delete(rel);
  }

  parseAfterPolls(n: number): void {
    this.countdown = n;
  }

  /** Called by the server on each request that reads a DAG. */
  async onPoll(): Promise<void> {
    if (this.countdown === undefined) return;
    this.countdown--;
    if (this.countdown <= 0) {
      this.countdown = undefined;
      await this.parse();
    }
  }

  async parse(): Promise<void> {
    this.parses++;
    const now = this.state.now();
    const root = this.dagsFolder && fs.existsSync(this.dagsFolder) ? fs.realpathSync(this.dagsFolder) : undefined;
    const files = root ? listPython(root) : [];
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-airflow-'));
    try {
      const { facts } = files.length ? await collectFacts(this.python, files.map((f) => path.join(root!, f)), { tmpDir: tmp, cwd: tmp }) : { facts: [] };
      const seen = new Set<string>();
      const failedFiles = new Set<string>();
      files.forEach((rel, i) => {
        const fact = facts[i]!;
        const text = fs.readFileSync(path.join(root!, rel), 'utf8');
        const forced = this.failures.get(rel);
        const syntax = fact.syntax_error;
        if (forced !== undefined || syntax || fact.read_error) {
          failedFiles.add(rel);
          const line = syntax?.line ?? 1;
          const message = forced ?? (syntax ? `${syntax.kind}: ${syntax.message}` : fact.read_error!);
          const previous = this.state.importErrors.get(rel);
          this.state.importErrors.set(rel, {
            id: previous?.id ?? this.state.nextId('importError'),
            file: rel,
            stackTrace: `Traceback (most recent call last):\n  File "${this.fileloc(rel)}", line ${line}, in <module>\n${message}\n`,
            timestamp: now,
          });
          return;
        }
        this.state.importErrors.delete(rel);
        for (const d of fact.dags) {
          if (d.dag_id === null || d.called === 'never' || seen.has(d.dag_id)) continue;
          seen.add(d.dag_id);
          this.upsert(d.dag_id, rel, text, d.schedule_value ?? null, now);
        }
      });
      for (const dag of this.state.dags.values()) {
        // A file that failed keeps its DAGs as last parsed.
        if (!seen.has(dag.dagId) && !failedFiles.has(dag.file)) dag.active = false;
      }
      for (const rel of [...this.state.importErrors.keys()]) if (!files.includes(rel)) this.state.importErrors.delete(rel);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }

  private upsert(dagId: string, rel: string, text: string, schedule: string | null, now: Date): void {
    const existing = this.state.dags.get(dagId);
    if (!existing) {
      this.state.dags.set(dagId, {
        dagId,
        file: rel,
        isPaused: this.pausedAtCreation,
        active: true,
        lastParsedTime: now,
        versions: [{ id: this.state.uuid(), number: 1, source: text, createdAt: now }],
        schedule,
      });
      return;
    }
    existing.file = rel;
    existing.active = true;
    existing.lastParsedTime = now;
    existing.schedule = schedule;
    const latest = existing.versions.at(-1);
    if (latest?.source !== text) existing.versions.push({ id: this.state.uuid(), number: (latest?.number ?? 0) + 1, source: text, createdAt: now });
  }
}

function listPython(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.name === '__pycache__') continue;
    const p = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...listPython(root, p));
    else if (entry.name.endsWith('.py')) out.push(p);
  }
  return out.sort();
}
