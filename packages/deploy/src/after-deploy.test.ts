/**
 * Deploys through applyPlan (temp git project, local targets, file ledger)
 * to an environment whose `airflow:` points at the spec-validated fake
 * Airflow 2 or 3 (test/airflow-server), whose DAG processor reads the local
 * DAG target. One fake clock drives ferry's waiting and the fake's
 * timestamps, so the 600 s waits take no time.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { FerryError, loadConfig, MemoryRunner } from '@ferry/core';
import { history, LocalFileLedger } from '@ferry/ledger';
import { buildRelease, LocalReleaseStore } from '@ferry/release';
import { commitAll, gitRepo, writeFiles } from '../../../test/support/git-repo.js';
import { expectNoViolations, startAirflowServer, type AirflowServer } from '../../../test/airflow-server/index.js';
import type { AfterDeployContext } from './after-deploy.js';
import { applyPlan } from './apply.js';
import { planDeploy } from './plan.js';
import { runPlannedBackfills } from './run-backfills.js';

const SECRETS: Record<string, string> = {
  AIRFLOW_PASSWORD: 'af-admin-pw-7781',
  API_KEY: 'canary-api-key-31337',
  WAREHOUSE_PASSWORD: 'canary-warehouse-pw-4242',
};

const dag = (id: string, opts: { start?: string; catchup?: boolean; schedule?: string; body?: string } = {}) => `from datetime import datetime
from airflow import DAG

with DAG("${id}", schedule="${opts.schedule ?? '@daily'}", start_date=datetime(${opts.start ?? '2024, 1, 1'}), catchup=${opts.catchup ? 'True' : 'False'}) as dag:
    ${opts.body ?? 'pass'}
`;

interface Setup {
  api: 'v1' | 'v2';
  airflow?: Record<string, unknown>;
  password?: string;
  files?: Record<string, string>;
}

const servers: AirflowServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function setup(opts: Setup) {
  // The fake clock starts at the real now: plans count backfill runs up to the real current hour.
  const clock = { t: Date.now(), slept: 0 };
  const now = () => new Date(clock.t);
  const af = await startAirflowServer({ api: opts.api, users: { admin: SECRETS.AIRFLOW_PASSWORD! }, now });
  servers.push(af);
  const airflow = {
    url: af.url,
    api: 'auto',
    auth: { username: 'admin', password: opts.password ?? '${secret:AIRFLOW_PASSWORD}' },
    wait: { timeout: 600, interval: 15 },
    ...opts.airflow,
  };
  const dir = gitRepo(
    {
      'ferry.yml': `project: demo
artifacts:
  dags: { path: dags }
  configs: { path: config }
environments:
  - name: staging
    airflow: ${JSON.stringify(airflow)}
    targets:
      dags: { kind: local, path: live/staging/dags }
      configs: { kind: local, path: live/staging/config }
`,
      '.gitignore': 'live/\n.ferry/\n',
      'dags/etl.py': dag('etl'),
      'dags/helpers.py': 'X = 1\n',
      'config/app.yml': 'schema: x\n',
      'config/airflow/variables.yml': 'region: eu-west-1\napi_key: "${secret:API_KEY}"\nsettings: { retries: 3 }\n',
      'config/airflow/variables.staging.yml': 'region: eu-central-1\n',
      'config/airflow/connections.yml':
        'warehouse:\n  conn_type: postgres\n  host: db.internal\n  login: etl\n  password: "${secret:WAREHOUSE_PASSWORD}"\n  port: 5432\n  extra: { sslmode: require }\n',
      ...opts.files,
    },
    { prefix: 'ferry-airflow-deploy-' },
  );
  af.processor.dagsFolder = path.join(dir, 'live/staging/dags');
  const runner = new MemoryRunner();
  const config = loadConfig(path.join(dir, 'ferry.yml'));
  const ctx: AfterDeployContext = {
    config,
    runner,
    ledger: new LocalFileLedger(path.join(dir, '.ferry/ledger.json')),
    store: new LocalReleaseStore(config.release.store),
    secret: (n) => {
      const v = SECRETS[n];
      if (v) runner.mask(v);
      return v;
    },
    airflowRuntime: { clock: now, sleep: async (ms) => void ((clock.t += ms), (clock.slept += ms)) },
  };
  const deploy = async () => {
    const planned = await planDeploy(ctx, 'staging', await buildRelease(ctx));
    return { planned, result: await applyPlan(ctx, planned) };
  };
  const failedDeploy = async (): Promise<FerryError> => {
    const e = await deploy().then(
      () => undefined,
      (x: unknown) => x,
    );
    if (!(e instanceof FerryError)) throw new Error(`expected a FerryError, got ${String(e)}`);
    return e;
  };
  const change = (files: Record<string, string>, message = 'change') => {
    writeFiles(dir, files);
    commitAll(dir, message);
  };
  return { af, dir, ctx, runner, clock, deploy, failedDeploy, change };
}

describe.each(['v1', 'v2'] as const)('after a deploy, with Airflow %s', (api) => {
  it('waits until the deployed DAGs are parsed at the new version, then records success', async () => {
    const t = await setup({ api, airflow: { unpause: 'new' } });
    t.af.processor.parseAfterPolls(3);
    const { result } = await t.deploy();
    expect(result.deployment?.outcome).toBe('success');
    expect(t.af.processor.parses).toBe(1);
    expect(t.clock.slept).toBeGreaterThan(0);
    expect(result.airflow?.summary.join('\n')).toMatch(new RegExp(`Airflow ${api === 'v1' ? '2' : '3'}\\.[\\d.]+ at .*REST API ${api}`));
    expect(result.airflow?.summary.join('\n')).toMatch(/DAG etl \(etl.py\) parsed at the new version.* after \d+ s \(new\)/);
    expect(t.af.state.dags.get('etl')!.isPaused).toBe(false);
    expect((await history(t.ctx.ledger, 'staging'))[0]!.outcome).toBe('success');

    // A changed file: the old source is in Airflow until the processor reads the new one.
    t.change({ 'dags/etl.py': dag('etl', { body: 'print("v2")' }) });
    t.af.processor.parseAfterPolls(4);
    const second = await t.deploy();
    expect(second.result.deployment?.outcome).toBe('success');
    expect(t.af.state.dags.get('etl')!.versions).toHaveLength(2);
    if (api === 'v2') expect(second.result.airflow?.summary.join('\n')).toMatch(/etl.*\(DAG version 2\)/);
    expect(t.af.requests.every((r) => r.operationId !== 'get_dag_source' || r.status === 200)).toBe(true);
    expectNoViolations(t.af);
  });

  it('fails the deployment when a DAG never appears, with the files left switched', async () => {
    const t = await setup({ api });
    const e = await t.failedDeploy();
    expect(e.problems).toEqual([
      expect.objectContaining({
        code: 'FERRY_AIRFLOW_DAG_MISSING',
        message: "DAG etl did not appear in Airflow within 600 s; folders sync slowly on MWAA/Composer — raise airflow.wait.timeout or check the scheduler's DAG processor logs",
        location: { file: 'dags/etl.py' },
        hint: expect.stringMatching(/ferry rollback staging/),
      }),
    ]);
    expect(t.clock.slept).toBe(600_000); // polls at 0, 15, …, 600 s, then gives up
    const [latest] = await history(t.ctx.ledger, 'staging');
    expect(latest).toMatchObject({ outcome: 'failure' });
    expect(fs.readFileSync(path.join(t.dir, 'live/staging/dags/etl.py'), 'utf8')).toContain('"etl"');
    expectNoViolations(t.af);
  });

  it('fails with the file and the error when a deployed file does not import', async () => {
    const t = await setup({ api, files: { 'dags/report.py': dag('report') } });
    t.af.processor.failFile('report.py', "ModuleNotFoundError: No module named 'pandas'");
    t.af.processor.parseAfterPolls(2);
    const e = await t.failedDeploy();
    expect(e.problems).toEqual([
      expect.objectContaining({ code: 'FERRY_AIRFLOW_IMPORT_ERROR', message: "Airflow cannot import report.py: ModuleNotFoundError: No module named 'pandas'", location: { file: 'dags/report.py' } }),
    ]);
    expect(e.message).toMatch(/report\.py.*pandas/);
    // It stopped waiting once the error showed up, rather than after 600 s.
    expect(t.clock.slept).toBeLessThan(100_000);
    expect(t.runner.everything()).toMatch(/Traceback/);
    expectNoViolations(t.af);
  });

  it('unpauses only DAGs that are new in this deploy', async () => {
    const t = await setup({ api, airflow: { unpause: 'new' } });
    t.af.processor.parseAfterPolls(1);
    await t.deploy();
    expect(t.af.state.dags.get('etl')!.isPaused).toBe(false);
    t.af.state.dags.get('etl')!.isPaused = true; // someone paused it by hand
    t.change({ 'dags/etl.py': dag('etl', { body: 'print(2)' }), 'dags/sales.py': dag('sales') });
    t.af.processor.parseAfterPolls(1);
    const { result } = await t.deploy();
    expect(t.af.state.dags.get('sales')!.isPaused).toBe(false);
    expect(t.af.state.dags.get('etl')!.isPaused).toBe(true);
    expect(result.airflow?.summary.filter((l) => l.startsWith('unpaused'))).toEqual(['unpaused new DAG sales']);
    expectNoViolations(t.af);
  });

  it('sets Variables and Connections from the rendered config, secrets resolved but never shown', async () => {
    const t = await setup({ api, airflow: { variables: 'airflow/variables.yml', connections: 'airflow/connections.yml' } });
    t.af.processor.parseAfterPolls(1);
    const { result } = await t.deploy();
    const vars = t.af.state.variables;
    expect(vars.get('region')!.value).toBe('eu-central-1'); // the staging overlay
    expect(vars.get('api_key')!.value).toBe(SECRETS.API_KEY);
    expect(JSON.parse(vars.get('settings')!.value)).toEqual({ retries: 3 });
    expect(t.af.state.connections.get('warehouse')).toMatchObject({ connType: 'postgres', host: 'db.internal', login: 'etl', password: SECRETS.WAREHOUSE_PASSWORD, port: 5432, extra: '{"sslmode":"require"}' });
    expect(result.airflow?.summary).toEqual(expect.arrayContaining(['Variables set: region, api_key, settings', 'Connections set: warehouse (passwords and extras masked)']));
    const seen = JSON.stringify({ runner: t.runner.everything(), result });
    for (const v of Object.values(SECRETS)) expect(seen).not.toContain(v);
    expect(t.runner.masked).toEqual(expect.arrayContaining([SECRETS.API_KEY, SECRETS.WAREHOUSE_PASSWORD, SECRETS.AIRFLOW_PASSWORD, '{"sslmode":"require"}']));
    expectNoViolations(t.af);
  });

  it('refuses before sending anything when a secret for Airflow is missing', async () => {
    const t = await setup({ api, airflow: { connections: 'airflow/connections.yml' }, files: { 'config/airflow/connections.yml': 'x:\n  conn_type: http\n  password: "${secret:NOT_SET}"\n' } });
    const e = await t.failedDeploy();
    expect(e.problems).toEqual([expect.objectContaining({ code: 'FERRY_SECRET_MISSING', message: expect.stringContaining('NOT_SET') })]);
    expect(t.af.requests).toHaveLength(0);
  });

  it('says clearly when Airflow rejects the credentials', async () => {
    const t = await setup({ api, password: 'wrong-password' });
    const e = await t.failedDeploy();
    expect(e.code).toBe('FERRY_AIRFLOW_AUTH');
    expect(e.message).toMatch(api === 'v1' ? /did not accept the credentials/ : /rejected the username\/password for admin at POST .*\/auth\/token/);
    expect((await history(t.ctx.ledger, 'staging'))[0]!.outcome).toBe('failure');
    expectNoViolations(t.af);
  });

  it('runs a planned backfill: Airflow 3 through /backfills after a dry run, Airflow 2 one run per logical date', async () => {
    const t = await setup({ api, airflow: { backfill: { run: true, max_active_runs: 2 } }, files: { 'dags/etl.py': dag('etl', { start: '2024, 1, 10', catchup: true }) } });
    t.af.processor.parseAfterPolls(1);
    await t.deploy();
    // start_date moves 9 days earlier: Airflow does not go back by itself.
    t.change({ 'dags/etl.py': dag('etl', { start: '2024, 1, 1', catchup: true }) });
    t.af.processor.parseAfterPolls(1);
    const { planned, result } = await t.deploy();
    const planBackfill = planned.plan.kinds.find((k) => k.kind === 'dags')!.changes[0]!.backfill!.dags![0]!;
    expect(planBackfill).toMatchObject({ dagId: 'etl', rule: 'start-earlier', runs: 9, from: '2024-01-01T00:00:00Z' });
    const runs = t.af.state.dagRuns.filter((r) => r.dagId === 'etl');
    expect(runs.map((r) => r.logicalDate!.toISOString().slice(0, 10)).sort()).toEqual(
      ['01', '02', '03', '04', '05', '06', '07', '08', '09'].map((d) => `2024-01-${d}`),
    );
    const ops = t.af.requests.map((r) => r.operationId);
    if (api === 'v2') {
      expect(ops.indexOf('create_backfill_dry_run')).toBeGreaterThan(-1);
      expect(ops.indexOf('create_backfill_dry_run')).toBeLessThan(ops.indexOf('create_backfill'));
      expect(t.af.state.backfills).toEqual([expect.objectContaining({ dagId: 'etl', maxActiveRuns: 2 })]);
      expect(result.airflow?.summary.join('\n')).toMatch(/backfill of etl .*: 9 run\(s\) created, 0 existed \(backfill 1, dry run 9/);
    } else {
      expect(ops).not.toContain('create_backfill');
      expect(runs.every((r) => r.runId.startsWith('ferry_backfill__'))).toBe(true);
      expect(t.af.state.maxActiveRuns.get('etl')).toBe(2);
      expect(result.airflow?.summary.join('\n')).toMatch(/backfill of etl .*: 9 run\(s\) created, 0 existed \(one run per logical date, at most 2 at once\)/);
    }
    expectNoViolations(t.af);
  });

  it('runs the backfills of the current deployment later (backfill.run off at deploy time); a second run creates nothing new', async () => {
    const t = await setup({ api, airflow: { variables: 'airflow/variables.yml', backfill: { run: false, max_active_runs: 2 } }, files: { 'dags/etl.py': dag('etl', { start: '2024, 1, 10', catchup: true }) } });
    await expect(runPlannedBackfills(t.ctx, 'staging')).rejects.toMatchObject({ code: 'FERRY_NOT_DEPLOYED' });
    t.af.processor.parseAfterPolls(1);
    await t.deploy();
    await expect(runPlannedBackfills(t.ctx, 'staging')).rejects.toThrow(/staging has had one release only/);
    t.change({ 'dags/etl.py': dag('etl', { start: '2024, 1, 1', catchup: true }) });
    t.af.processor.parseAfterPolls(1);
    const { result: deployed } = await t.deploy();
    expect(deployed.airflow?.summary.join('\n')).not.toMatch(/backfill of etl/);
    expect(t.af.state.dagRuns.filter((r) => r.dagId === 'etl')).toEqual([]);
    const variablesBefore = t.af.requests.filter((r) => /variable/i.test(r.operationId ?? '')).length;
    expect(variablesBefore).toBeGreaterThan(0); // the deploys set them

    const run = await runPlannedBackfills(t.ctx, 'staging');
    expect(run.result.problems).toEqual([]);
    expect(run.deployment.releaseId).toBe(run.planned.plan.release.id);
    expect(run.result.summary.join('\n')).toMatch(/backfill of etl 2024-01-01T00:00:00Z → 2024-01-10T00:00:00Z: 9 run\(s\) created, 0 existed/);
    expect(t.af.state.dagRuns.filter((r) => r.dagId === 'etl')).toHaveLength(9);
    // Only the backfill step: no Variables or Connections written again.
    expect(t.af.requests.filter((r) => /variable/i.test(r.operationId ?? '')).length).toBe(variablesBefore);
    const again = await runPlannedBackfills(t.ctx, 'staging');
    expect(again.result.summary.join('\n')).toMatch(/backfill of etl .*: 0 run\(s\) created, 9 existed/);
    expect(t.af.state.dagRuns.filter((r) => r.dagId === 'etl')).toHaveLength(9);
    // A freeze window holds backfills as it holds deploys.
    t.ctx.config.environments.find((e) => e.name === 'staging')!.freeze.push({ name: 'quarter end', from: '2000-01-01T00:00:00Z', to: '2999-01-01T00:00:00Z' });
    await expect(runPlannedBackfills(t.ctx, 'staging')).rejects.toThrow(/staging is frozen by window 'quarter end' until 2999-01-01T00:00:00Z; backfills are refused/);
    expectNoViolations(t.af);
  });
});

it('does nothing with Airflow for an environment without `airflow:`', async () => {
  const dir = gitRepo({ 'ferry.yml': 'project: demo\nartifacts:\n  dags: { path: dags }\nenvironments:\n  - name: dev\n    targets:\n      dags: { kind: local, path: live/dags }\n', '.gitignore': 'live/\n.ferry/\n', 'dags/a.py': 'A = 1\n' });
  const config = loadConfig(path.join(dir, 'ferry.yml'));
  const ctx = { config, runner: new MemoryRunner(), ledger: new LocalFileLedger(path.join(dir, '.ferry/ledger.json')), store: new LocalReleaseStore(config.release.store), secret: () => undefined };
  const result = await applyPlan(ctx, await planDeploy(ctx, 'dev', await buildRelease(ctx)));
  expect(result.airflow).toBeUndefined();
  expect(result.deployment?.outcome).toBe('success');
});
