import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import pg from 'pg';
import { startPostgres, type PostgresServer } from '../support/postgres.js';
import { runAction } from './run-action.js';
import { commitChange, exampleWorkspace, git, SECRETS, useGitHubServer } from './workspace.js';

jest.setTimeout(120_000);
const gh = useGitHubServer();

let db: PostgresServer;
let app: { url: string; live?: string; server: http.Server };
beforeAll(async () => {
  db = await startPostgres();
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  await c.query("create table orders (id integer not null, updated_at timestamptz not null); insert into orders values (1, now()), (2, now())");
  await c.end();
  // The app is healthy unless the live DAG folder holds the release marked broken.
  const server = http.createServer((_req, res) => {
    const broken = app.live !== undefined && fs.existsSync(app.live) && fs.readFileSync(app.live, 'utf8').includes('# breaks the app');
    res.writeHead(broken ? 500 : 200, { 'content-type': 'text/plain' });
    res.end(broken ? 'broken' : 'ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  app = { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/health`, server };
}, 120_000);
afterAll(async () => {
  await new Promise<void>((r) => app.server.close(() => r()));
  await db.stop();
});

/** Adds smoke checks (SQL on the embedded PostgreSQL, HTTP on the local app) and auto-rollback to staging in the workspace's ferry.yml. */
function withSmoke(cwd: string): void {
  const file = path.join(cwd, 'ferry.yml');
  const smoke = {
    sql: { connection: '${secret:WAREHOUSE_URL}', checks: [{ name: 'orders exist', query: 'select * from orders', rows: { min: 1 } }, { name: 'orders fresh', freshness: { table: 'orders', column: 'updated_at', max_age: '1h' } }] },
    http: [{ name: 'app health', url: app.url, body: '^ok$' }],
    watch: { for: '400ms', every: '200ms', checks: ['http'] },
    auto_rollback: true,
  };
  const text = fs.readFileSync(file, 'utf8').replace('  - name: staging\n', `  - name: staging\n    smoke: ${JSON.stringify(smoke)}\n`);
  fs.writeFileSync(file, text);
  git(cwd, 'commit', '-q', '-am', 'smoke checks for staging');
}

describe('smoke-test (committed bundle)', () => {
  it('fails an environment whose target drifted, records it, and the failure blocks promotion', async () => {
    const cwd = exampleWorkspace();
    const run = (name: string, inputs: Record<string, string>) => runAction(name, { cwd, apiUrl: gh().url, inputs });
    const b = await run('build-artifacts', {});
    expect((await run('deploy-env', { environment: 'staging', 'release-path': b.outputs['release-path']!, secrets: JSON.stringify(SECRETS) })).code).toBe(0);

    // Someone edits a DAG on the server by hand.
    fs.appendFileSync(path.join(cwd, '.ferry/targets/staging/dags/weekly_kpi_report.py'), '\n# hotfix\n');
    const smoke = await run('smoke-test', { environment: 'staging' });
    expect(smoke.code).toBe(1);
    expect(smoke.outputs).toMatchObject({ verified: 'false', 'rollback-recommended': 'true', 'release-id': b.outputs['release-id'] });
    expect(smoke.commands.some((c) => c.command === 'error' && c.properties.title === 'FERRY_TARGET_DRIFT' && c.message.includes('weekly_kpi_report.py'))).toBe(true);
    expect(smoke.summary).toContain('### ferry smoke-test: staging FAILED');
    expect(gh().state.deployments[0]!.statuses.at(-1)!.description).toMatch(/^\[ferry:verify-failed\]/);

    const prod = await run('deploy-env', { environment: 'prod', 'release-path': b.outputs['release-path']!, secrets: JSON.stringify(SECRETS) });
    expect(prod.code).toBe(1);
    expect(prod.commands.some((c) => c.command === 'error' && c.message.includes('failed verification'))).toBe(true);
  });

  it('runs SQL and HTTP checks with a watch window, verifies, and on a failure rolls back to the last verified release', async () => {
    const cwd = exampleWorkspace();
    withSmoke(cwd);
    app.live = path.join(cwd, '.ferry/targets/staging/dags/weekly_kpi_report.py');
    const secrets = JSON.stringify({ ...SECRETS, WAREHOUSE_URL: db.url });
    const run = (name: string, inputs: Record<string, string>) => runAction(name, { cwd, apiUrl: gh().url, inputs });
    const a = await run('build-artifacts', {});
    expect((await run('deploy-env', { environment: 'staging', 'release-path': a.outputs['release-path']!, secrets })).code).toBe(0);
    const ok = await run('smoke-test', { environment: 'staging', secrets });
    expect(ok.code).toBe(0);
    expect(ok.outputs).toMatchObject({ verified: 'true', status: 'verified', 'rolled-back': 'false', 'rollback-recommended': 'false', 'rollback-release-id': '', 'release-id': a.outputs['release-id'] });
    const report = JSON.parse(fs.readFileSync(ok.outputs['report-path']!, 'utf8'));
    expect(report.checks.map((c: { group: string; name: string; ok: boolean }) => `${c.group}:${c.name}:${c.ok}`)).toEqual([
      'files:targets hold the release:true',
      'sql:orders exist:true',
      'sql:orders fresh:true',
      'http:app health:true',
    ]);
    expect(report.watch).toMatchObject({ rounds: 2, groups: ['http'] });
    expect(ok.summary).toContain('### ferry smoke-test: staging verified');

    // Release B breaks the app: smoke-test fails it and brings A back.
    commitChange(cwd, 'dags/weekly_kpi_report.py', '\n# breaks the app\n');
    const b = await run('build-artifacts', {});
    expect((await run('deploy-env', { environment: 'staging', 'release-path': b.outputs['release-path']!, secrets })).code).toBe(0);
    const bad = await run('smoke-test', { environment: 'staging', secrets });
    expect(bad.code).toBe(1);
    expect(bad.outputs).toMatchObject({ verified: 'false', status: 'rolled-back', 'rolled-back': 'true', 'rollback-release-id': a.outputs['release-id'], 'release-id': b.outputs['release-id'], 'rollback-recommended': 'false' });
    expect(bad.commands.some((c) => c.command === 'error' && c.properties.title === 'FERRY_SMOKE_FAILED' && c.message.includes('app health'))).toBe(true);
    expect(bad.summary).toContain('### ferry smoke-test: staging FAILED, rolled back');
    expect(bad.summary).toMatch(/#### Automatic rollback to \S+ \(`[0-9a-f]{12}`\): verified/);
    expect(fs.readFileSync(app.live, 'utf8')).not.toContain('# breaks the app');
    // The ledger: A verified, B failed, the rollback to A verified.
    const statuses = gh().state.deployments.map((d) => d.statuses.at(-1)!.description);
    expect(statuses.filter((s) => /verify-failed/.test(s))).toHaveLength(1);
    expect(gh().state.deployments).toHaveLength(3);

    // Nothing secret in outputs, summaries or logs.
    for (const r of [ok, bad]) {
      const logs = r.lines.filter((l) => !l.startsWith('::add-mask::')).join('\n');
      expect(r.lines).toContain(`::add-mask::${db.url}`);
      const all = logs + r.stderr + r.summary + JSON.stringify(r.outputs) + fs.readFileSync(r.outputs['report-path']!, 'utf8');
      expect(all).not.toContain(db.url);
      expect(all).not.toContain(new URL(db.url).password);
    }
  });

  it('never rolls back a rollback: a failing rollback deployment is reported, not rolled back again (GitHub ledger)', async () => {
    const cwd = exampleWorkspace();
    withSmoke(cwd);
    app.live = path.join(cwd, '.ferry/targets/staging/dags/weekly_kpi_report.py');
    const secrets = JSON.stringify({ ...SECRETS, WAREHOUSE_URL: db.url });
    const run = (name: string, inputs: Record<string, string>) => runAction(name, { cwd, apiUrl: gh().url, inputs });
    const a = await run('build-artifacts', {});
    expect((await run('deploy-env', { environment: 'staging', 'release-path': a.outputs['release-path']!, secrets })).code).toBe(0);
    expect((await run('smoke-test', { environment: 'staging', secrets })).outputs.status).toBe('verified');
    commitChange(cwd, 'dags/weekly_kpi_report.py', '\n# a harmless change\n');
    const b = await run('build-artifacts', {});
    expect((await run('deploy-env', { environment: 'staging', 'release-path': b.outputs['release-path']!, secrets })).code).toBe(0);
    expect((await run('smoke-test', { environment: 'staging', secrets })).outputs.status).toBe('verified');
    // Someone rolls staging back to A by hand; then A's live tree breaks the app.
    const back = await run('deploy-env', { environment: 'staging', rollback: 'true', secrets });
    expect(back.outputs).toMatchObject({ status: 'deployed', 'release-id': a.outputs['release-id'] });
    fs.appendFileSync(app.live, '\n# breaks the app\n');
    const before = gh().state.deployments.length;
    const r = await run('smoke-test', { environment: 'staging', secrets });
    expect(r.code).toBe(1);
    expect(r.outputs).toMatchObject({ verified: 'false', status: 'failed', 'rolled-back': 'false', 'rollback-release-id': '', 'rollback-recommended': 'true', 'release-id': a.outputs['release-id'] });
    expect(r.summary).toContain('is itself a rollback (of release ' + b.outputs['release-id']!.slice(0, 12) + '): ferry never rolls back a rollback');
    expect(gh().state.deployments).toHaveLength(before);
    expect(gh().state.deployments.at(-1)!.statuses.at(-1)!.description).toMatch(/^\[ferry:verify-failed\]/);
  });

  it('takes watch and auto-rollback overrides, and refuses other values', async () => {
    const cwd = exampleWorkspace();
    withSmoke(cwd);
    app.live = undefined;
    const secrets = JSON.stringify({ ...SECRETS, WAREHOUSE_URL: db.url });
    const run = (name: string, inputs: Record<string, string>) => runAction(name, { cwd, apiUrl: gh().url, inputs });
    const a = await run('build-artifacts', {});
    expect((await run('deploy-env', { environment: 'staging', 'release-path': a.outputs['release-path']!, secrets })).code).toBe(0);
    const r = await run('smoke-test', { environment: 'staging', secrets, watch: 'false', 'auto-rollback': 'false' });
    expect(r.code).toBe(0);
    expect(JSON.parse(fs.readFileSync(r.outputs['report-path']!, 'utf8')).notes).toContain('watch window skipped (watch: false)');
    const wrong = await run('smoke-test', { environment: 'staging', secrets, 'auto-rollback': 'maybe' });
    expect(wrong.code).toBe(1);
    expect(wrong.commands.some((c) => c.command === 'error' && c.properties.title === 'FERRY_INPUT' && c.message.includes('auto-rollback'))).toBe(true);
  });

  it('refuses an environment with no deployment: FERRY_NOT_DEPLOYED', async () => {
    const r = await runAction('smoke-test', { cwd: exampleWorkspace(), apiUrl: gh().url, inputs: { environment: 'dev' } });
    expect(r.code).toBe(1);
    expect(r.commands.some((c) => c.command === 'error' && c.properties.title === 'FERRY_NOT_DEPLOYED')).toBe(true);
    expect(r.outputs).toEqual({});
  });
});
