/**
 * One conformance suite for both clients, each against its spec-validated
 * fake (test/airflow-server): Airflow 2 (`/api/v1`, basic auth) and
 * Airflow 3 (`/api/v2`, a token from /auth/token).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { FerryError, MemoryRunner } from '@ferry/core';
import { expectNoViolations, startAirflowServer, type AirflowServer } from '../../../test/airflow-server/index.js';
import { connectAirflow, logicalDates, type AirflowClient } from './index.js';

const DAG = (id: string, extra = '') => `from datetime import datetime
from airflow import DAG

with DAG("${id}", schedule="@daily", start_date=datetime(2024, 1, 1), catchup=False) as dag:
    pass
${extra}`;

/** A clock that moves only when the client sleeps. */
function fakeTime(start = Date.parse('2024-03-01T00:00:00Z')) {
  const t = { now: start, slept: 0 };
  return { t, now: () => t.now, sleep: async (ms: number) => void ((t.now += ms), (t.slept += ms)) };
}

describe.each(['v1', 'v2'] as const)('Airflow client (%s)', (api) => {
  let af: AirflowServer;
  let dir: string;
  let runner: MemoryRunner;
  const time = fakeTime();

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-airflow-client-'));
    fs.writeFileSync(path.join(dir, 'etl.py'), DAG('etl_daily'));
    af = await startAirflowServer({ api, users: { admin: 'admin-pw' }, tokens: ['static-token'], dagsFolder: dir, now: () => new Date() });
    runner = new MemoryRunner();
  });
  afterEach(async () => {
    await af.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const connect = (auth: { username: string; password: string } | { token: string } = { username: 'admin', password: '${secret:AIRFLOW_PW}' }, which: 'auto' | 'v1' | 'v2' = 'auto'): Promise<AirflowClient> =>
    connectAirflow({ url: af.url, api: which, auth }, { runner, secret: (n) => (n === 'AIRFLOW_PW' ? 'admin-pw' : undefined), sleep: time.sleep, now: time.now });

  it('detects the API and reads the version', async () => {
    const client = await connect();
    expect(client.api).toBe(api);
    expect((await client.version()).version).toMatch(api === 'v1' ? /^2\./ : /^3\./);
    expect(runner.masked).toContain('admin-pw');
    expectNoViolations(af);
  });

  it('reads DAGs as the processor parses them: paused when new, source and (v2) versions', async () => {
    const client = await connect();
    expect(await client.getDag('etl_daily')).toBeUndefined();
    await af.processor.parse();
    const dag = (await client.getDag('etl_daily'))!;
    expect(dag).toMatchObject({ dagId: 'etl_daily', isPaused: true, active: true, hasImportErrors: false, fileloc: '/opt/airflow/dags/etl.py' });
    expect(dag.lastParsedTime).not.toBeNull();
    expect(await client.getDagSource(dag)).toBe(DAG('etl_daily'));
    if (api === 'v2') expect(dag.version).toMatchObject({ number: 1, bundleName: 'dags-folder', bundleVersion: null });

    fs.writeFileSync(path.join(dir, 'etl.py'), DAG('etl_daily', '# v2\n'));
    await af.processor.parse();
    const next = (await client.getDag('etl_daily'))!;
    expect(await client.getDagSource(next)).toContain('# v2');
    if (api === 'v2') expect(next.version?.number).toBe(2);

    expect((await client.setPaused('etl_daily', false)).isPaused).toBe(false);
    expect(af.state.dags.get('etl_daily')!.isPaused).toBe(false);
    expectNoViolations(af);
  });

  it('lists import errors, filtered by file', async () => {
    fs.writeFileSync(path.join(dir, 'broken.py'), 'def (:\n');
    fs.writeFileSync(path.join(dir, 'other.py'), DAG('other'));
    af.processor.failFile('other.py', "ModuleNotFoundError: No module named 'pandas'");
    await af.processor.parse();
    const client = await connect();
    const all = await client.listImportErrors();
    expect(all.map((e) => path.basename(e.filename)).sort()).toEqual(['broken.py', 'other.py']);
    const other = await client.listImportErrors((f) => f.endsWith('other.py'));
    expect(other).toHaveLength(1);
    expect(other[0]!.stackTrace).toContain("No module named 'pandas'");
    expect(all.find((e) => e.filename.endsWith('broken.py'))!.stackTrace).toMatch(/SyntaxError/);
    expectNoViolations(af);
  });

  it('creates, then updates, Variables and Connections', async () => {
    const client = await connect();
    expect(await client.setVariable('region', 'eu-west-1')).toBe('created');
    expect(await client.setVariable('region', 'eu-central-1', 'where')).toBe('updated');
    expect(af.state.variables.get('region')).toMatchObject({ value: 'eu-central-1', description: 'where' });
    const conn = { connectionId: 'warehouse', connType: 'postgres', host: 'db', login: 'etl', password: 's3cret', port: 5432, extra: '{"sslmode": "require"}' };
    expect(await client.setConnection(conn)).toBe('created');
    expect(await client.setConnection({ ...conn, host: 'db2' })).toBe('updated');
    expect(af.state.connections.get('warehouse')).toMatchObject({ host: 'db2', password: 's3cret', port: 5432, extra: '{"sslmode": "require"}' });
    expectNoViolations(af);
  });

  it('triggers a run for a logical date once; a second trigger finds it', async () => {
    await af.processor.parse();
    const client = await connect();
    const when = new Date('2024-02-01T00:00:00Z');
    const run = await client.triggerDagRun('etl_daily', { logicalDate: when, runId: 'r1' });
    expect(run).toMatchObject({ runId: 'r1', logicalDate: when.toISOString(), state: 'queued' });
    expect(await client.triggerDagRun('etl_daily', { logicalDate: when })).toBe('exists');
    expect((await client.getDagRun('etl_daily', 'r1'))?.state).toBe('running');
    expectNoViolations(af);
  });

  it('backfills: v2 dry run then POST /backfills; v1 one run per logical date, at most max_active_runs at once', async () => {
    await af.processor.parse();
    const client = await connect();
    const dates = logicalDates({ from: '2024-01-01T00:00:00Z', to: '2024-01-08T00:00:00Z', schedule: '@daily' }) as Date[];
    expect(dates).toHaveLength(7);
    // One date has a run already: both APIs leave it alone.
    await client.triggerDagRun('etl_daily', { logicalDate: dates[2]! });
    const out = await client.backfill({ dagId: 'etl_daily', logicalDates: dates, maxActiveRuns: 2, pollMs: 1000, budgetMs: 600_000 });
    expect(out).toMatchObject({ planned: 7, created: 6, existing: 1, queuedUnpaced: 0 });
    const runs = af.state.dagRuns.filter((r) => r.dagId === 'etl_daily').map((r) => r.logicalDate!.toISOString()).sort();
    expect(runs).toEqual(dates.map((d) => d.toISOString()));
    if (api === 'v2') {
      expect(out.dryRun).toBe(6);
      expect(af.state.backfills).toEqual([expect.objectContaining({ dagId: 'etl_daily', maxActiveRuns: 2, reprocessBehavior: 'none' })]);
      const ops = af.requests.map((r) => r.operationId);
      expect(ops.indexOf('create_backfill_dry_run')).toBeLessThan(ops.indexOf('create_backfill'));
    } else {
      // The run triggered by hand was still active when the backfill started.
      expect(af.state.maxActiveRuns.get('etl_daily')).toBeLessThanOrEqual(3);
      expect(af.state.dagRuns.filter((r) => r.runId.startsWith('ferry_backfill__'))).toHaveLength(6);
    }
    expectNoViolations(af);
  });

  it('says clearly when credentials are wrong', async () => {
    const bad = await connect({ username: 'admin', password: 'nope' });
    const e = await bad.getDag('etl_daily').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(FerryError);
    expect((e as FerryError).code).toBe('FERRY_AIRFLOW_AUTH');
    expect((e as FerryError).message).toMatch(api === 'v1' ? /did not accept the credentials.*401/ : /rejected the username\/password for admin at POST .*\/auth\/token \(401/);
    const badToken = await connect({ token: 'wrong' });
    await expect(badToken.getDag('etl_daily')).rejects.toMatchObject({ code: 'FERRY_AIRFLOW_AUTH' });
    expect((await (await connect({ token: 'static-token' })).getDag('etl_daily'))).toBeUndefined();
    expectNoViolations(af);
  });

  it('fails before any request when a secret in airflow.auth is missing', async () => {
    const e = await connectAirflow({ url: af.url, api: 'auto', auth: { token: '${secret:NOPE}' } }, { runner, secret: () => undefined }).catch((x: unknown) => x);
    expect((e as FerryError).problems).toEqual([expect.objectContaining({ code: 'FERRY_SECRET_MISSING', message: expect.stringContaining('NOPE') })]);
    expect(af.requests).toHaveLength(0);
  });
});

describe('Airflow client specifics', () => {
  it('v2: fetches a new token once when the old one expired', async () => {
    const af = await startAirflowServer({ api: 'v2', users: { admin: 'pw' } });
    try {
      const client = await connectAirflow({ url: af.url, api: 'v2', auth: { username: 'admin', password: 'pw' } }, { runner: new MemoryRunner(), secret: () => undefined });
      await client.getDag('x');
      af.expireTokens();
      await client.getDag('x');
      expect(af.requests.filter((r) => r.operationId === 'create_token')).toHaveLength(2);
      expect(af.requests.filter((r) => r.status === 401)).toHaveLength(1);
      expectNoViolations(af);
    } finally {
      await af.close();
    }
  });

  it('v1: paces runs, and queues the rest at once when pacing would outlast the budget', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-airflow-pace-'));
    fs.writeFileSync(path.join(dir, 'etl.py'), DAG('etl_daily'));
    const af = await startAirflowServer({ api: 'v1', users: { admin: 'pw' }, dagsFolder: dir, runPolls: 3 });
    try {
      await af.processor.parse();
      const time = fakeTime();
      const client = await connectAirflow({ url: af.url, api: 'v1', auth: { username: 'admin', password: 'pw' } }, { runner: new MemoryRunner(), secret: () => undefined, sleep: time.sleep, now: time.now });
      const dates = logicalDates({ from: '2024-01-01T00:00:00Z', to: '2024-01-21T00:00:00Z', schedule: '0 0 * * *' }) as Date[];
      const out = await client.backfill({ dagId: 'etl_daily', logicalDates: dates, maxActiveRuns: 3, pollMs: 10_000, budgetMs: 60_000 });
      expect(out.created).toBe(20);
      expect(out.queuedUnpaced).toBeGreaterThan(0);
      expect(out.notes.join()).toMatch(/queued at once/);
      expect(time.t.slept).toBeLessThanOrEqual(60_000);
      expectNoViolations(af);
    } finally {
      await af.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('computes logical dates for presets, cron in a time zone and timedeltas', () => {
    expect((logicalDates({ from: '2024-01-01T06:00:00Z', to: '2024-01-01T09:00:00Z', schedule: 'PT1H' }) as Date[]).map((d) => d.toISOString())).toEqual([
      '2024-01-01T06:00:00.000Z',
      '2024-01-01T07:00:00.000Z',
      '2024-01-01T08:00:00.000Z',
    ]);
    const ams = logicalDates({ from: '2024-01-01T05:00:00Z', to: '2024-01-03T05:00:00Z', schedule: '0 6 * * *', timezone: 'Europe/Amsterdam' }) as Date[];
    expect(ams.map((d) => d.toISOString())).toEqual(['2024-01-01T05:00:00.000Z', '2024-01-02T05:00:00.000Z']);
    expect(logicalDates({ from: '2024-01-01T00:00:00Z', to: '2024-02-01T00:00:00Z', schedule: '@weekly' })).toHaveLength(4);
    expect(logicalDates({ from: null, to: null, schedule: '@daily' })).toMatch(/no range/);
    expect(logicalDates({ from: '2024-01-01T00:00:00Z', to: '2024-02-01T00:00:00Z', schedule: 'every day' })).toMatch(/not a cron expression/);
  });
});

describe('auto-detection', () => {
  it('names both URLs it tried when neither API answers', async () => {
    const af = await startAirflowServer({ api: 'v1' });
    try {
      const e = await connectAirflow({ url: `${af.url}/nothing-here`, api: 'auto' }, { runner: new MemoryRunner(), secret: () => undefined }).catch((x: unknown) => x);
      expect((e as FerryError).code).toBe('FERRY_AIRFLOW_API');
      expect((e as FerryError).message).toMatch(/no Airflow REST API at .*\/api\/v2\/version → 404, \/api\/v1\/version → 404/);
    } finally {
      await af.close();
    }
  });
});
