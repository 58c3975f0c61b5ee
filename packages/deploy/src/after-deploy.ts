/**
 * What ferry does with the environment's Airflow once every kind committed
 * (files switched), before the deployment is recorded as a success:
 *
 *  1. Variables and Connections from the rendered config files named by
 *     `airflow.variables` / `airflow.connections` (secrets resolved through
 *     ctx.secret, which masks them; connection passwords and extras masked
 *     too). First, because DAG files that read a Variable at parse time would
 *     otherwise fail to import.
 *  2. Wait, polling every `wait.interval` s for at most `wait.timeout` s,
 *     until every DAG defined in an added or changed DAG file (static
 *     dag_ids, read from the release's files with the facts helper) is
 *     parsed at the new version, and report import errors of the deployed
 *     files. "At the new version": the source Airflow stored at its last
 *     successful parse (v1: /dagSources/{file_token}; v2: the latest DAG
 *     version's /dagSources/{dag_id}) equals the deployed file (newlines
 *     normalised, as Python reads text); where Airflow will not show sources
 *     (403/404), a last_parsed_time after the switch instead.
 *  3. Unpause the DAGs new in this deploy, when `unpause: new`.
 *  4. Run the plan's DAG backfills, when `backfill.run`.
 *
 * Never throws: everything that went wrong comes back as problems (the
 * caller records the deployment as failed; the files stay switched).
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { problem, toProblems, type AirflowConfig, type Environment, type Problem, type ReleaseArtifact, type StoredRelease } from '@ferry/core';
import { connectAirflow, logicalDates, type AirflowClient, type ConnectionInput, type DagInfo, type Fetch, type ImportErrorInfo } from '@ferry/airflow';
import { bundleSource, collectFacts, configFilesFor, PythonMissing, SECRET_REF, type FileFacts } from '@ferry/kinds';
import type { DeployContext } from './context.js';
import type { PlannedDeploy } from './plan.js';

/** Test seams: a clock and a sleeper (so tests never wait), and fetch. */
export interface AirflowRuntime {
  clock?: () => Date;
  sleep?: (ms: number) => Promise<void>;
  fetch?: Fetch;
}

export type AfterDeployContext = DeployContext & { airflowRuntime?: AirflowRuntime };

export interface AfterDeployResult {
  problems: Problem[];
  /** One line per fact worth showing (also logged): versions seen, unpaused DAGs, Variables set, backfills. */
  summary: string[];
}

/** Rules whose runs Airflow's scheduler does not create by itself (a new DAG with catchup=True catches up on its own once unpaused). */
const BACKFILL_RULES = new Set(['start-earlier', 'schedule-changed', 'catchup-on']);

export async function afterDeploy(ctx: AfterDeployContext, env: Environment, planned: PlannedDeploy, opts: { rollbackHint?: boolean } = {}): Promise<AfterDeployResult> {
  const cfg = env.airflow;
  if (!cfg) return { problems: [], summary: [] };
  const run = new AfterDeploy(ctx, env, cfg, planned);
  try {
    await run.all();
  } catch (e) {
    run.problems.push(...toProblems(e));
  }
  if (opts.rollbackHint === false) return { problems: run.problems, summary: run.summary };
  const rollback = `The files are deployed; to return to the previous release run \`ferry rollback ${env.name}\` (or deploy-env with rollback: true).`;
  return { problems: run.problems.map((p) => ({ ...p, hint: `${p.hint ?? ''}${p.hint ? ' ' : ''}${rollback}` })), summary: run.summary };
}

interface ExpectedDag {
  dagId: string;
  /** DAG file, relative to the DAG folder. */
  file: string;
  text: string;
  isNew: boolean;
}

interface DagStatus {
  seen: boolean;
  info?: DagInfo;
  current: boolean;
  after?: number;
}

class AfterDeploy {
  readonly problems: Problem[] = [];
  readonly summary: string[] = [];
  private readonly clock: () => Date;
  private readonly sleep: (ms: number) => Promise<void>;
  private client!: AirflowClient;

  constructor(
    private readonly ctx: AfterDeployContext,
    private readonly env: Environment,
    private readonly cfg: AirflowConfig,
    private readonly planned: PlannedDeploy,
  ) {
    this.clock = ctx.airflowRuntime?.clock ?? (() => new Date());
    this.sleep = ctx.airflowRuntime?.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  private note(line: string): void {
    this.summary.push(line);
    this.ctx.runner.info(`airflow: ${line}`);
  }

  async all(): Promise<void> {
    const switchedAt = this.clock();
    // Config problems (a missing file or secret) are found before anything is sent.
    const variables = this.cfg.variables ? await this.readConfig(this.cfg.variables, 'airflow.variables') : undefined;
    const connections = this.cfg.connections ? await this.readConfig(this.cfg.connections, 'airflow.connections') : undefined;
    const conns = connections === undefined ? undefined : this.toConnections(connections);
    if (this.problems.length) return;

    this.client = await connectAirflow(this.cfg, {
      secret: (n) => this.ctx.secret(n),
      runner: this.ctx.runner,
      fetch: this.ctx.airflowRuntime?.fetch,
      sleep: this.sleep,
      now: () => this.clock().getTime(),
    });
    const { version } = await this.client.version();
    this.note(`Airflow ${version} at ${this.client.baseUrl} (REST API ${this.client.api})`);

    if (variables !== undefined) await this.setVariables(variables);
    if (conns) await this.setConnections(conns);

    const dags = await this.deployedDags();
    if (!dags) return;
    const current = await this.waitForDags(dags, switchedAt);

    if (this.cfg.unpause === 'new') {
      for (const d of dags.expected.filter((x) => x.isNew && current.has(x.dagId))) {
        const info = current.get(d.dagId)!;
        if (!info.isPaused) continue;
        await this.client.setPaused(d.dagId, false);
        this.note(`unpaused new DAG ${d.dagId}`);
      }
    }
    if (this.cfg.backfill.run) await this.backfills(current);
  }

  // ---------------------------------------------------------------- config files

  /** A config file as rendered for this environment in the release, parsed, with `${secret:NAME}` resolved. */
  private async readConfig(rel: string, key: string): Promise<Record<string, unknown> | undefined> {
    const { release } = this.planned;
    const artifact = release.manifest.artifacts.find((a) => a.kind === 'configs');
    const wanted = artifact && configFilesFor(artifact, this.env.name).find((f) => f.path === rel.replace(/^\.\//, ''));
    if (!artifact || !wanted) {
      this.problems.push(
        problem('FERRY_AIRFLOW_CONFIG', `${key} names ${rel}, which is not a config file of this release for ${this.env.name}`, {
          location: { key: `environments.${this.env.name}.${key}` },
          hint: artifact ? `Config files for ${this.env.name}: ${configFilesFor(artifact, this.env.name).map((f) => f.path).join(', ') || 'none'}.` : 'Declare artifacts.configs and put the file in the config folder.',
        }),
      );
      return undefined;
    }
    const text = await readReleaseFile(release, artifact, `${this.env.name}/${wanted.path}`);
    let value: unknown;
    try {
      value = wanted.path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    } catch (e) {
      this.problems.push(problem('FERRY_AIRFLOW_CONFIG', `${rel} does not parse: ${(e as Error).message.split('\n')[0]}`, { location: { file: rel } }));
      return undefined;
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      this.problems.push(problem('FERRY_AIRFLOW_CONFIG', `${rel} (${key}) must be a mapping of names to values`, { location: { file: rel } }));
      return undefined;
    }
    const missing = new Set<string>();
    const resolve = (v: unknown): unknown => {
      if (typeof v === 'string') {
        return v.replace(SECRET_REF, (_, name: string) => {
          const s = this.ctx.secret(name);
          if (s === undefined || s === '') missing.add(name);
          return s ?? '';
        });
      }
      if (Array.isArray(v)) return v.map(resolve);
      if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x)]));
      return v;
    };
    const resolved = resolve(value) as Record<string, unknown>;
    for (const name of missing) this.problems.push(problem('FERRY_SECRET_MISSING', `secret ${name} (used in ${rel}) is not set`, { location: { file: rel } }));
    return missing.size ? undefined : resolved;
  }

  private async setVariables(vars: Record<string, unknown>): Promise<void> {
    const keys = Object.keys(vars);
    for (const key of keys) {
      const v = vars[key];
      // Airflow stores strings; anything else is stored as JSON (Variable.get(key, deserialize_json=True) reads it back).
      await this.client.setVariable(key, typeof v === 'string' ? v : JSON.stringify(v));
    }
    this.note(`Variables set: ${keys.length ? keys.join(', ') : 'none'}`);
  }

  private toConnections(map: Record<string, unknown>): ConnectionInput[] | undefined {
    const out: ConnectionInput[] = [];
    const file = this.cfg.connections!;
    const known = new Set(['conn_type', 'description', 'host', 'login', 'password', 'schema', 'port', 'extra']);
    for (const [id, raw] of Object.entries(map)) {
      const at = { file, key: id };
      if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
        this.problems.push(problem('FERRY_AIRFLOW_CONFIG', `connection ${id} must be a mapping (conn_type, host, login, password, schema, port, extra, description)`, { location: at }));
        continue;
      }
      const c = raw as Record<string, unknown>;
      const unknown = Object.keys(c).filter((k) => !known.has(k));
      if (unknown.length) this.problems.push(problem('FERRY_AIRFLOW_CONFIG', `connection ${id}: unknown key(s) ${unknown.join(', ')}`, { location: at, hint: `Connection keys: ${[...known].join(', ')}.` }));
      if (typeof c.conn_type !== 'string' || !c.conn_type) this.problems.push(problem('FERRY_AIRFLOW_CONFIG', `connection ${id} needs a conn_type (e.g. postgres, http, aws)`, { location: at }));
      if (c.port !== undefined && !Number.isInteger(c.port)) this.problems.push(problem('FERRY_AIRFLOW_CONFIG', `connection ${id}: port must be a whole number`, { location: at }));
      const str = (k: string): string | undefined => (c[k] === undefined || c[k] === null ? undefined : String(c[k]));
      const extra = c.extra === undefined || c.extra === null ? undefined : typeof c.extra === 'string' ? c.extra : JSON.stringify(c.extra);
      const conn: ConnectionInput = {
        connectionId: id,
        connType: String(c.conn_type ?? ''),
        description: str('description'),
        host: str('host'),
        login: str('login'),
        password: str('password'),
        schema: str('schema'),
        port: typeof c.port === 'number' ? c.port : undefined,
        extra,
      };
      // Whatever secrets they hold, these two are never shown.
      if (conn.password) this.ctx.runner.mask(conn.password);
      if (conn.extra) this.ctx.runner.mask(conn.extra);
      out.push(conn);
    }
    return out;
  }

  private async setConnections(conns: ConnectionInput[]): Promise<void> {
    for (const c of conns) await this.client.setConnection(c);
    this.note(`Connections set: ${conns.length ? conns.map((c) => c.connectionId).join(', ') : 'none'} (passwords and extras masked)`);
  }

  // ---------------------------------------------------------------- DAGs

  /**
   * The DAGs to wait for: static dag_ids of the added and changed .py files,
   * read from the release's bundle by the facts helper; a DAG is new when no
   * changed or deleted file of the previous release defined its dag_id (on a
   * first deploy, every DAG). Undefined when the deploy changed no DAG file.
   */
  private async deployedDags(): Promise<{ expected: ExpectedDag[]; changedFiles: Set<string>; releaseFiles: string[] } | undefined> {
    const { plan, release, previous } = this.planned;
    const kp = plan.kinds.find((k) => k.kind === 'dags');
    const artifact = release.manifest.artifacts.find((a) => a.kind === 'dags');
    if (!kp || !artifact) return undefined;
    const changed = kp.changes.filter((c) => c.path.endsWith('.py') && (c.action === 'create' || c.action === 'update')).map((c) => c.path);
    const before = kp.changes.filter((c) => c.path.endsWith('.py') && (c.action === 'update' || c.action === 'delete')).map((c) => c.path);
    const releaseFiles = artifact.files.map((f) => f.path);
    if (changed.length === 0) {
      this.note('no DAG file changed: nothing to wait for');
      return { expected: [], changedFiles: new Set(), releaseFiles };
    }
    const prevArtifact = previous?.manifest.artifacts.find((a) => a.kind === 'dags');
    // Without the previous release, whether a DAG is new cannot be told from files (unless nothing ran before).
    const prevKnown = plan.current === null || Boolean(previous && prevArtifact);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-airflow-dags-'));
    try {
      await bundleSource(path.join(release.dir, artifact.bundle?.path ?? 'dags.tar.gz'), artifact.files).extract(changed, path.join(tmp, 'next'));
      const prevPaths = prevKnown && previous && prevArtifact ? before.filter((p) => prevArtifact.files.some((f) => f.path === p)) : [];
      if (prevPaths.length) await bundleSource(path.join(previous!.dir, prevArtifact!.bundle?.path ?? 'dags.tar.gz'), prevArtifact!.files).extract(prevPaths, path.join(tmp, 'prev'));
      const files = [...changed.map((p) => path.join(tmp, 'next', p)), ...prevPaths.map((p) => path.join(tmp, 'prev', p))];
      let facts: FileFacts[];
      try {
        facts = (await collectFacts(this.ctx.config.checks.dags.python, files, { tmpDir: tmp, cwd: tmp, timeoutSeconds: 300 })).facts;
      } catch (e) {
        const why = e instanceof PythonMissing ? `${e.python} not found` : (e as Error).message;
        this.note(`DAG ids of the changed files not read (${why}): not waiting for DAGs; import errors are still checked`);
        const importErrors = await this.client.listImportErrors();
        this.reportImportErrors(importErrors, new Set(changed), releaseFiles, undefined, this.clock());
        return undefined;
      }
      const ids = (f: FileFacts | undefined) => (f?.dags ?? []).filter((d) => d.dag_id !== null && d.called !== 'never').map((d) => d.dag_id!);
      const prevIds = new Set(prevPaths.flatMap((_, i) => ids(facts[changed.length + i])));
      const expected: ExpectedDag[] = [];
      for (const [i, file] of changed.entries()) {
        const f = facts[i];
        const dynamic = (f?.dags ?? []).filter((d) => d.dag_id === null && d.called !== 'never');
        if (dynamic.length) this.note(`${file}: ${dynamic.length} DAG(s) with a dag_id that is not static (${dynamic[0]!.dynamic ?? 'computed'}): not waited for`);
        const text = fs.readFileSync(path.join(tmp, 'next', file), 'utf8');
        for (const dagId of new Set(ids(f))) expected.push({ dagId, file, text, isNew: prevKnown ? !prevIds.has(dagId) : false });
      }
      if (!prevKnown && this.cfg.unpause === 'new') this.note('the previous release is not in the release store: which DAGs are new cannot be told, so none is unpaused');
      return { expected, changedFiles: new Set(changed), releaseFiles };
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }

  /**
   * Polls until every expected DAG is current or its file has an import
   * error of the new version, or the time is up. Returns the DAGs found
   * current (their latest info).
   */
  private async waitForDags(dags: { expected: ExpectedDag[]; changedFiles: Set<string>; releaseFiles: string[] }, switchedAt: Date): Promise<Map<string, DagInfo>> {
    const { timeout, interval } = this.cfg.wait;
    const started = this.clock().getTime();
    const deadline = started + timeout * 1000;
    const status = new Map<string, DagStatus>(dags.expected.map((d) => [d.dagId, { seen: false, current: false }]));
    let baseline: Map<string, string> | undefined;
    let failing = new Map<string, ImportErrorInfo>();
    for (;;) {
      const errors = await this.client.listImportErrors();
      baseline ??= new Map(errors.flatMap((e) => { const f = releaseFileOf(e.filename, dags.releaseFiles); return f ? [[f, e.stackTrace] as [string, string]] : []; }));
      failing = this.newImportErrors(errors, dags, baseline, switchedAt);
      for (const d of dags.expected) {
        const s = status.get(d.dagId)!;
        if (s.current || failing.has(d.file)) continue;
        const info = await this.client.getDag(d.dagId);
        if (!info || !info.active) continue;
        s.seen = true;
        s.info = info;
        const source = await this.client.getDagSource(info);
        const current = source !== undefined ? normalise(source) === normalise(d.text) : info.lastParsedTime !== null && Date.parse(info.lastParsedTime) >= switchedAt.getTime();
        if (current) {
          s.current = true;
          s.after = Math.round((this.clock().getTime() - started) / 1000);
        }
      }
      const pending = dags.expected.filter((d) => !status.get(d.dagId)!.current && !failing.has(d.file));
      if (pending.length === 0 || this.clock().getTime() + interval * 1000 > deadline) break;
      await this.sleep(interval * 1000);
    }
    // At the end, an error identical to the one before the switch counts too: the new version still fails.
    const finalErrors = await this.client.listImportErrors();
    this.reportImportErrors(finalErrors, dags.changedFiles, dags.releaseFiles, baseline, switchedAt);
    const current = new Map<string, DagInfo>();
    for (const d of dags.expected) {
      const s = status.get(d.dagId)!;
      if (s.current) {
        current.set(d.dagId, s.info!);
        const v = s.info!.version ? ` (DAG version ${s.info!.version.number})` : '';
        this.note(`DAG ${d.dagId} (${d.file}) parsed at the new version${v} after ${s.after} s${d.isNew ? ' (new)' : ''}`);
        continue;
      }
      if (this.problems.some((p) => p.code === 'FERRY_AIRFLOW_IMPORT_ERROR' && p.location?.file === this.dagPath(d.file))) continue;
      this.problems.push(
        s.seen
          ? problem('FERRY_AIRFLOW_DAG_MISSING', `DAG ${d.dagId} (${d.file}) is still at its previous version in Airflow after ${timeout} s (last parsed ${s.info?.lastParsedTime ?? 'never'}); folders sync slowly on MWAA/Composer — raise airflow.wait.timeout or check the scheduler's DAG processor logs`, { location: { file: this.dagPath(d.file) } })
          : problem('FERRY_AIRFLOW_DAG_MISSING', `DAG ${d.dagId} did not appear in Airflow within ${timeout} s; folders sync slowly on MWAA/Composer — raise airflow.wait.timeout or check the scheduler's DAG processor logs`, { location: { file: this.dagPath(d.file) } }),
      );
    }
    return current;
  }

  /**
   * Import errors that end the wait for a file early: of a release file,
   * recorded after the switch, and not the same error the file had when
   * ferry first looked (that one may still be the previous version's,
   * re-parsed while the folder syncs; it is reported when the wait ends).
   */
  private newImportErrors(errors: ImportErrorInfo[], dags: { releaseFiles: string[] }, baseline: Map<string, string>, switchedAt: Date): Map<string, ImportErrorInfo> {
    const out = new Map<string, ImportErrorInfo>();
    for (const e of errors) {
      const file = releaseFileOf(e.filename, dags.releaseFiles);
      if (!file || Date.parse(e.timestamp) < switchedAt.getTime()) continue;
      if (baseline.get(file) === e.stackTrace) continue;
      out.set(file, e);
    }
    return out;
  }

  private reportImportErrors(errors: ImportErrorInfo[], changedFiles: Set<string>, releaseFiles: string[], baseline: Map<string, string> | undefined, switchedAt: Date): void {
    for (const e of errors) {
      const file = releaseFileOf(e.filename, releaseFiles);
      if (!file) continue;
      const before = baseline?.get(file);
      const preexisting = !changedFiles.has(file) && before === e.stackTrace;
      const lastLine = e.stackTrace.trim().split('\n').at(-1) ?? '';
      if (preexisting || (!changedFiles.has(file) && Date.parse(e.timestamp) < switchedAt.getTime())) {
        this.note(`import error in ${file}, which this deploy did not change (not counted): ${lastLine}`);
        continue;
      }
      this.ctx.runner.info(`airflow: import error in ${file}:\n${e.stackTrace}`);
      this.problems.push(
        problem('FERRY_AIRFLOW_IMPORT_ERROR', `Airflow cannot import ${file}: ${lastLine}`, {
          location: { file: this.dagPath(file) },
          hint: before === e.stackTrace && changedFiles.has(file) ? 'The same error was there before the deploy: if the folder has not synced yet, wait and check again; otherwise fix the file.' : undefined,
        }),
      );
    }
  }

  private dagPath(file: string): string {
    return path.join(this.ctx.config.artifacts.dags?.path ?? '', file);
  }

  // ---------------------------------------------------------------- backfills

  private async backfills(current: Map<string, DagInfo>): Promise<void> {
    const { plan } = this.planned;
    if (plan.mode === 'rollback') {
      this.note('backfills are not run on a rollback');
      return;
    }
    const kp = plan.kinds.find((k) => k.kind === 'dags');
    const all = (kp?.changes ?? []).flatMap((c) => c.backfill?.dags ?? []);
    for (const b of all) {
      if (!b.dagId || !b.runs) continue;
      if (!BACKFILL_RULES.has(b.rule)) {
        if (b.rule === 'new-dag') this.note(`backfill of ${b.dagId} not run: a new DAG with catchup=True gets its ${b.runs} runs from Airflow's scheduler once unpaused`);
        continue;
      }
      if (!current.has(b.dagId)) {
        this.note(`backfill of ${b.dagId} not run: the DAG is not parsed at the new version`);
        continue;
      }
      const dates = logicalDates(b);
      if (typeof dates === 'string') {
        this.note(`backfill of ${b.dagId} not run: ${dates}`);
        continue;
      }
      try {
        const out = await this.client.backfill({
          dagId: b.dagId,
          logicalDates: dates,
          maxActiveRuns: this.cfg.backfill.max_active_runs,
          pollMs: this.cfg.wait.interval * 1000,
          budgetMs: this.cfg.wait.timeout * 1000,
        });
        const how = this.client.api === 'v2' ? `backfill ${out.backfillId ?? '(none needed)'}, dry run ${out.dryRun} run(s)` : `one run per logical date, at most ${this.cfg.backfill.max_active_runs} at once`;
        this.note(`backfill of ${b.dagId} ${b.from} → ${b.to}: ${out.created} run(s) created, ${out.existing} existed (${how})${out.notes.length ? `; ${out.notes.join('; ')}` : ''}`);
      } catch (e) {
        for (const p of toProblems(e)) this.problems.push({ ...p, code: p.code === 'FERRY_INTERNAL' ? 'FERRY_AIRFLOW_BACKFILL' : p.code, message: `backfill of ${b.dagId}: ${p.message}` });
      }
    }
  }
}

/** The release file an import error names: Airflow 2 gives absolute paths, Airflow 3 paths relative to the bundle. */
function releaseFileOf(filename: string, files: string[]): string | undefined {
  let best: string | undefined;
  for (const f of files) {
    if ((filename === f || filename.endsWith(`/${f}`)) && (!best || f.length > best.length)) best = f;
  }
  return best;
}

/** Python reads DAG files in text mode: \r\n and \r become \n in what Airflow stores. */
function normalise(s: string): string {
  return s.replace(/\r\n?/g, '\n');
}

async function readReleaseFile(release: StoredRelease, artifact: ReleaseArtifact, filePath: string): Promise<string> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-airflow-config-'));
  try {
    await bundleSource(path.join(release.dir, artifact.bundle?.path ?? 'configs.tar.gz'), artifact.files).extract([filePath], tmp);
    return await fsp.readFile(path.join(tmp, filePath), 'utf8');
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
