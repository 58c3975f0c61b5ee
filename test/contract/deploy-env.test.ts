import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it, jest } from '@jest/globals';
import { runAction, tempDir, type RunOptions, type RunResult } from './run-action.js';
import { pipeline, SUMMARY } from '../../packages/dbt/src/test-support.js';
import { installFakeDbt } from '../support/fake-dbt.js';
import { expectNoViolations as expectNoAirflowViolations, startAirflowServer } from '../airflow-server/index.js';
import { commitChange, exampleWorkspace, git, readTree, SECRETS, useGitHubServer } from './workspace.js';

// Scenarios run up to six bundles in a row; leave room for a loaded CI machine.
jest.setTimeout(90_000);
const gh = useGitHubServer();

async function build(cwd: string): Promise<Record<string, string>> {
  const r = await runAction('build-artifacts', { cwd, apiUrl: gh().url });
  expect(r.code).toBe(0);
  return r.outputs;
}

/** deploy-env with every secret the example's configs reference, unless `inputs` says otherwise. */
const deploy = (cwd: string, environment: string, inputs: RunOptions['inputs'] = {}, env?: Record<string, string>) =>
  runAction('deploy-env', { cwd, apiUrl: gh().url, inputs: { environment, secrets: JSON.stringify(SECRETS), ...inputs }, env });

const deploymentsOf = (environment: string) => gh().state.deployments.filter((d) => d.environment === environment);
const target = (cwd: string, env: string, kind: 'dags' | 'config') => path.join(cwd, '.ferry/targets', env, kind);
const errors = (r: RunResult) => r.commands.filter((c) => c.command === 'error').map((c) => c.message);

/** A failed step: exit 1, the code in an ::error:: command, no stack trace. */
function expectFailure(r: RunResult, code: string): void {
  expect(r.code).toBe(1);
  expect(errors(r).some((m) => m.includes(code))).toBe(true);
  expect(r.stdout + r.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
}

describe('deploy-env (committed bundle)', () => {
  it('deploys a release to dev with one GitHub deployment, and a second deploy changes nothing', async () => {
    const cwd = exampleWorkspace();
    const b = await build(cwd);
    const r = await deploy(cwd, 'dev', { 'release-path': b['release-path']!, 'environment-url': 'https://airflow-dev.acme.example' });
    expect(r.code).toBe(0);
    expect(r.outputs).toMatchObject({ changed: 'true', status: 'deployed', 'release-id': b['release-id'], version: b.version, 'previous-release-id': '' });

    const [d, ...more] = deploymentsOf('dev');
    expect(more).toEqual([]);
    expect(r.outputs['deployment-id']).toBe(String(d!.id));
    expect(d!.payload).toMatchObject({ ferry: { releaseId: b['release-id'], version: b.version } });
    expect(d).toMatchObject({ sha: git(cwd, 'rev-parse', 'HEAD'), productionEnvironment: false });
    expect(d!.statuses.map((s) => s.state)).toEqual(['in_progress', 'success']);
    expect(d!.statuses[1]!.logUrl).toBe('https://github.com/acme/data/actions/runs/1000');
    expect(d!.statuses.map((s) => s.environmentUrl)).toEqual(['https://airflow-dev.acme.example', 'https://airflow-dev.acme.example']);

    expect(r.summary).toContain('### ferry plan: data-platform → dev: deploy');
    expect(r.summary).toContain('| kind | target | create | update | delete | unchanged |');
    expect(r.summary).toMatch(/\| dags \| `local:.*\/\.ferry\/targets\/dev\/dags` \| 16 \| 0 \| 0 \| 0 \|/);
    expect(JSON.parse(fs.readFileSync(r.outputs['plan-path']!, 'utf8'))).toMatchObject({ format: 'ferry.plan/v1', environment: 'dev', changed: true });

    const dags = readTree(target(cwd, 'dev', 'dags'));
    for (const [rel, text] of readTree(path.join(cwd, 'dags'))) expect([rel, dags.get(rel)]).toEqual([rel, text]);
    const config = readTree(target(cwd, 'dev', 'config'));
    expect([...config.keys()].filter((k) => !k.startsWith('.ferry')).sort()).toEqual(['pipelines.yml', 'quality-thresholds.json']);
    expect(config.get('pipelines.yml')).toContain('environment: dev');

    const again = await deploy(cwd, 'dev', { 'release-path': b['release-path']! });
    expect(again.code).toBe(0);
    expect(again.outputs).toMatchObject({ changed: 'false', status: 'unchanged', 'deployment-id': '', 'previous-release-id': b['release-id'] });
    expect(again.summary).toContain('Nothing to deploy');
    expect(deploymentsOf('dev')).toHaveLength(1);
  });

  it('dry-run plans only: nothing written, no deployment', async () => {
    const cwd = exampleWorkspace();
    const b = await build(cwd);
    const r = await deploy(cwd, 'dev', { 'release-path': b['release-path']!, 'dry-run': 'true' });
    expect(r.code).toBe(0);
    expect(r.outputs).toMatchObject({ status: 'planned', changed: 'true', 'release-id': b['release-id'] });
    expect(r.outputs['deployment-id'] ?? '').toBe('');
    expect(r.summary).toContain('| kind | target | create | update | delete | unchanged |');
    expect(gh().state.deployments).toEqual([]);
    expect(fs.existsSync(path.join(cwd, '.ferry/targets'))).toBe(false);
  });

  it('promotes only a release verified in staging to prod', async () => {
    const cwd = exampleWorkspace();
    const b = await build(cwd);
    const releasePath = b['release-path']!;

    const early = await deploy(cwd, 'prod', { 'release-path': releasePath });
    expectFailure(early, 'FERRY_PROMOTION_UNVERIFIED');
    expect(early.outputs).toMatchObject({ status: 'refused', changed: 'false' });
    expect(deploymentsOf('prod')).toEqual([]);
    expect(fs.existsSync(path.join(cwd, '.ferry/targets/prod'))).toBe(false);

    expect((await deploy(cwd, 'staging', { 'release-path': releasePath })).code).toBe(0);
    // Deployed to staging but not verified there: still refused.
    expectFailure(await deploy(cwd, 'prod', { 'release-path': releasePath }), 'FERRY_PROMOTION_UNVERIFIED');
    expect(deploymentsOf('prod')).toEqual([]);

    const smoke = await runAction('smoke-test', { cwd, apiUrl: gh().url, inputs: { environment: 'staging' } });
    expect(smoke.code).toBe(0);
    const staging = deploymentsOf('staging');
    expect(staging).toHaveLength(1);
    expect(smoke.outputs).toMatchObject({ verified: 'true', status: 'verified', 'rolled-back': 'false', 'deployment-id': String(staging[0]!.id), 'release-id': b['release-id'], 'rollback-recommended': 'false' });
    expect(staging[0]!.statuses.at(-1)!.description).toMatch(/^\[ferry:verified\]/);

    const prod = await deploy(cwd, 'prod', { 'release-path': releasePath });
    expect(prod.code).toBe(0);
    expect(prod.outputs).toMatchObject({ status: 'deployed', changed: 'true', 'release-id': b['release-id'] });
    expect(prod.summary).toContain('Promotion rule (requires staging): verified in staging');
    expect(deploymentsOf('prod')).toHaveLength(1);
    expect(deploymentsOf('prod')[0]).toMatchObject({ productionEnvironment: true });
    expect(readTree(target(cwd, 'prod', 'config')).get('pipelines.yml')).toContain('environment: prod');
  });

  it('rolls dev back to the previous release after a changed DAG was deployed', async () => {
    const cwd = exampleWorkspace();
    const dag = 'ingest_orders_api.py';
    const original = fs.readFileSync(path.join(cwd, 'dags', dag), 'utf8');
    const b1 = await build(cwd);
    expect((await deploy(cwd, 'dev', { 'release-path': b1['release-path']! })).code).toBe(0);

    commitChange(cwd, `dags/${dag}`, '\n# retry tuning\n');
    const b2 = await build(cwd);
    expect(b2['release-id']).not.toBe(b1['release-id']);
    const second = await deploy(cwd, 'dev', { 'release-path': b2['release-path']! });
    expect(second.outputs).toMatchObject({ status: 'deployed', 'previous-release-id': b1['release-id'] });
    expect(readTree(target(cwd, 'dev', 'dags')).get(dag)).toContain('# retry tuning');

    const rb = await deploy(cwd, 'dev', { rollback: 'true' });
    expect(rb.code).toBe(0);
    expect(rb.outputs).toMatchObject({ status: 'deployed', changed: 'true', 'release-id': b1['release-id'], 'previous-release-id': b2['release-id'] });
    expect(rb.summary).toContain('Rolled back');
    expect(readTree(target(cwd, 'dev', 'dags')).get(dag)).toBe(original);
    const dev = deploymentsOf('dev');
    expect(dev).toHaveLength(3);
    expect(dev[2]!.payload).toMatchObject({ ferry: { releaseId: b1['release-id'], rollbackOf: b2['release-id'] } });
    expect(dev[2]!.statuses.at(-1)!.state).toBe('success');
  });

  it('masks every secret before anything could print it, and keeps secrets out of the release, summary and outputs', async () => {
    const cwd = exampleWorkspace();
    const b = await build(cwd);
    const r = await deploy(cwd, 'dev', { 'release-path': b['release-path']! });
    expect(r.code).toBe(0);
    const config = readTree(target(cwd, 'dev', 'config')).get('pipelines.yml')!;
    const plan = fs.readFileSync(r.outputs['plan-path']!, 'utf8');
    const bundle = gunzipSync(fs.readFileSync(path.join(b['release-path']!, 'configs.tar.gz'))).toString('utf8');
    expect(bundle).toContain('${secret:WAREHOUSE_PASSWORD}');
    for (const value of Object.values(SECRETS)) {
      expect(config).toContain(value); // resolved on the way to the target
      const mask = r.commands.find((c) => c.command === 'add-mask' && c.message === value);
      expect(mask).toBeDefined();
      const firstUse = r.lines.findIndex((l, i) => l.includes(value) && !r.commands.some((c) => c.line === i && c.command === 'add-mask'));
      if (firstUse >= 0) expect(mask!.line).toBeLessThan(firstUse);
      for (const where of [r.summary, JSON.stringify(r.outputs), r.stderr, plan, bundle]) expect(where).not.toContain(value);
    }
  });

  it('refuses a deploy with a missing secret before touching the target, and records the failure', async () => {
    const cwd = exampleWorkspace();
    const b1 = await build(cwd);
    expect((await deploy(cwd, 'dev', { 'release-path': b1['release-path']! })).code).toBe(0);
    const before = { dags: readTree(target(cwd, 'dev', 'dags')), config: readTree(target(cwd, 'dev', 'config')) };

    commitChange(cwd, 'config/pipelines.dev.yml', '\n# smaller batches\n');
    commitChange(cwd, 'dags/weekly_kpi_report.py', '\n# new report\n');
    const b2 = await build(cwd);
    const { CRM_API_TOKEN: _missing, ...partial } = SECRETS;
    const r = await deploy(cwd, 'dev', { 'release-path': b2['release-path']!, secrets: JSON.stringify(partial) });
    expectFailure(r, 'FERRY_SECRET_MISSING');
    expect(errors(r).join('\n')).toContain('CRM_API_TOKEN');
    expect(r.outputs).toMatchObject({ status: 'failed', changed: 'false' });
    expect(readTree(target(cwd, 'dev', 'dags'))).toEqual(before.dags);
    expect(readTree(target(cwd, 'dev', 'config'))).toEqual(before.config);
    const [, failed] = deploymentsOf('dev');
    expect(failed!.statuses.map((s) => s.state)).toEqual(['in_progress', 'failure']);
    expect(failed!.statuses[1]!.description).toContain('FERRY_SECRET_MISSING');
  });

  it('a later job with an empty release store deploys by release-id, fetching the release from GitHub', async () => {
    const cwd = exampleWorkspace();
    const b = await runAction('build-artifacts', { cwd, apiUrl: gh().url, inputs: { 'github-release': 'true' } });
    expect(b.code).toBe(0);
    const id = b.outputs['release-id']!;
    // Each deploy job checks out the repository afresh: no .ferry/releases.
    const job = () => {
      const dir = path.join(tempDir('ferry-job-'), 'ws');
      git(path.dirname(dir), 'clone', '-q', cwd, dir);
      return dir;
    };
    const dev = await deploy(job(), 'dev', { 'release-id': id.slice(0, 12) });
    expect(dev.code).toBe(0);
    expect(dev.outputs).toMatchObject({ status: 'deployed', 'release-id': id, version: b.outputs.version });
    const staging = await deploy(job(), 'staging', { 'release-id': id });
    expect(staging.code).toBe(0);
    expect(staging.outputs).toMatchObject({ status: 'deployed', 'release-id': id });
    expect(gh().state.releases[0]!.assets.every((a) => a.downloadCount === 2)).toBe(true);
  });

  it('under `environment:` reuses the deployment GitHub created for the run', async () => {
    const cwd = exampleWorkspace();
    const b = await build(cwd);
    const seeded = gh().seedRunDeployment({ environment: 'dev', sha: git(cwd, 'rev-parse', 'HEAD'), runId: 5555 });
    const r = await deploy(cwd, 'dev', { 'release-path': b['release-path']! }, { GITHUB_RUN_ID: '5555' });
    expect(r.code).toBe(0);
    expect(r.outputs['deployment-id']).toBe(String(seeded.id));
    expect(deploymentsOf('dev')).toHaveLength(1);
    expect(seeded.statuses.map((s) => s.state)).toEqual(['in_progress', 'in_progress', 'success']);

    // The reused deployment (payload set by GitHub, not ferry) still reads back as this release.
    const smoke = await runAction('smoke-test', { cwd, apiUrl: gh().url, inputs: { environment: 'dev' }, env: { GITHUB_RUN_ID: '5555' } });
    expect(smoke.code).toBe(0);
    expect(smoke.outputs).toMatchObject({ verified: 'true', 'deployment-id': String(seeded.id), 'release-id': b['release-id'] });
  });

  it('backfill: true runs the DAG backfills the current release was deployed with (Airflow 3 API), once', async () => {
    const af = await startAirflowServer({ api: 'v2', users: { admin: 'af-admin-pw' } });
    try {
      const cwd = exampleWorkspace();
      const etl = (start: string) => `from datetime import datetime\nfrom airflow import DAG\n\nwith DAG("etl", schedule="@daily", start_date=datetime(${start}), catchup=True) as dag:\n    pass\n`;
      const airflow = { url: af.url, auth: { username: 'admin', password: '${secret:AIRFLOW_PASSWORD}' }, wait: { timeout: 120, interval: 1 } };
      const file = path.join(cwd, 'ferry.yml');
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('  - name: dev\n', `  - name: dev\n    airflow: ${JSON.stringify(airflow)}\n`));
      fs.writeFileSync(path.join(cwd, 'dags/etl.py'), etl('2024, 1, 10'));
      git(cwd, 'add', '-A');
      git(cwd, 'commit', '-qm', 'etl and airflow for dev');
      af.processor.dagsFolder = path.join(cwd, '.ferry/targets/dev/dags');
      const secrets = JSON.stringify({ ...SECRETS, AIRFLOW_PASSWORD: 'af-admin-pw' });
      const run = (inputs: Record<string, string>) => runAction('deploy-env', { cwd, apiUrl: gh().url, inputs: { environment: 'dev', secrets, ...inputs } });
      const deploy = async () => {
        const b = await runAction('build-artifacts', { cwd, apiUrl: gh().url, inputs: {} });
        af.processor.parseAfterPolls(1);
        const d = await run({ 'release-path': b.outputs['release-path']! });
        expect(d.code).toBe(0);
        return d;
      };
      await deploy();
      fs.writeFileSync(path.join(cwd, 'dags/etl.py'), etl('2024, 1, 1'));
      git(cwd, 'commit', '-qam', 'etl starts 9 days earlier');
      const second = await deploy();
      expect(second.summary).toMatch(/start_date moved earlier/);
      expect(af.state.backfills).toEqual([]); // airflow.backfill.run is off: the deploy only planned them

      const r = await run({ backfill: 'true' });
      expect(r.code).toBe(0);
      expect(r.outputs).toMatchObject({ status: 'backfilled', 'release-id': second.outputs['release-id'], 'deployment-id': second.outputs['deployment-id'], changed: 'false' });
      expect(r.summary).toMatch(/### ferry: backfills of \S+ in dev/);
      expect(r.summary).toMatch(/backfill of etl 2024-01-01T00:00:00Z → 2024-01-10T00:00:00Z: 9 run\(s\) created, 0 existed/);
      expect(af.state.backfills).toEqual([expect.objectContaining({ dagId: 'etl' })]);
      const again = await run({ backfill: 'true' });
      expect(again.summary).toMatch(/backfill of etl .*: 0 run\(s\) created, 9 existed/);
      expect(af.state.backfills).toHaveLength(1);
      for (const x of [r, again]) expect(x.lines.filter((l) => !l.startsWith('::add-mask::')).join('\n') + x.stderr + x.summary + JSON.stringify(x.outputs)).not.toContain('af-admin-pw');
      expectNoAirflowViolations(af);
    } finally {
      await af.close();
    }
  });

  it('keeps the plan as one pull-request comment, updated on each push', async () => {
    const cwd = exampleWorkspace();
    const client = gh();
    const pr = client.state.issues.length + 1;
    await fetch(`${client.url}/repos/acme/data/issues`, { method: 'POST', headers: { authorization: 'token test-token', 'content-type': 'application/json' }, body: JSON.stringify({ title: 'feature' }) });
    const onPr = (extra: Record<string, string> = {}) =>
      runAction('deploy-env', {
        cwd,
        apiUrl: client.url,
        inputs: { environment: 'prod', 'dry-run': 'true', comment: 'true', secrets: JSON.stringify(SECRETS), ...extra },
        env: { GITHUB_EVENT_NAME: 'pull_request', GITHUB_REF: `refs/pull/${pr}/merge` },
        event: { action: 'synchronize', number: pr, pull_request: { number: pr } },
      });
    const b = await build(cwd);
    const first = await onPr({ 'release-path': b['release-path']! });
    expect(first.code).toBe(0);
    expect(first.outputs['comment-url']).toMatch(/#issuecomment-\d+$/);
    commitChange(cwd, 'dags/weekly_kpi_report.py', '\n# tweak\n');
    const again = await onPr({ 'release-path': (await build(cwd))['release-path']! });
    expect(again.outputs['comment-url']).toBe(first.outputs['comment-url']);
    const comments = client.state.comments.filter((c) => c.issueNumber === pr);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain('### ferry plan: data-platform → prod');
    expect(comments[0]!.body).toContain('Refused by the promotion rule');
    expect(client.state.deployments).toEqual([]);
  });
});


describe('deploy-env with dbt (committed bundle; a STAND-IN dbt executable, since dbt cannot be installed here)', () => {
  it('builds the manifest into the release, runs the planned dbt build, and reports failing models as a table', async () => {
    const cwd = exampleWorkspace();
    const fake = installFakeDbt(path.join(cwd, '.bin'));
    const manifest = path.join(cwd, '.bin', 'manifest.json');
    fs.writeFileSync(manifest, JSON.stringify(pipeline()));
    const yml = fs.readFileSync(path.join(cwd, 'ferry.yml'), 'utf8')
      .replace('  dbt:\n    path: dbt\n', `  dbt:\n    path: dbt\n    compile: { command: ["${fake.dbt}", compile] }\n`)
      .replace('      dags: { kind: local, path: .ferry/targets/dev/dags }\n', `      dags: { kind: local, path: .ferry/targets/dev/dags }\n      dbt: { kind: dbt, target: dev, command: ["${fake.dbt}"] }\n`);
    fs.writeFileSync(path.join(cwd, 'ferry.yml'), yml);
    const env = { FAKE_DBT_MANIFEST: manifest, FAKE_DBT_LOG: fake.log };
    const b = await runAction('build-artifacts', { cwd, apiUrl: gh().url, env });
    expect(b.code).toBe(0);
    expect(b.summary).toMatch(/\| dbt \| \d+ \|/);

    const ok = await deploy(cwd, 'dev', { 'release-path': b.outputs['release-path']! }, env);
    expect(ok.code).toBe(0);
    expect(fake.calls().map((c) => c.argv[0])).toEqual(['compile', 'build']);

    const next = pipeline();
    next.nodes[SUMMARY].raw_code += '\n-- changed';
    next.nodes[SUMMARY].checksum.checksum = 'e'.repeat(64);
    fs.writeFileSync(manifest, JSON.stringify(next));
    const b2 = await runAction('build-artifacts', { cwd, apiUrl: gh().url, env });
    const bad = await deploy(cwd, 'dev', { 'release-path': b2.outputs['release-path']! }, { ...env, FAKE_DBT_FAIL: SUMMARY });
    expectFailure(bad, 'FERRY_DBT_RUN_FAILED');
    expect(bad.summary).toContain('#### dbt: 1 change(s)');
    expect(bad.summary).toMatch(/\| `FERRY_DBT_RUN_FAILED` \| .* \| model orders_summary: error: relation "orders_summary" failed \(stand-in\) \|/);
    expect(bad.outputs.status).toBe('failed');
  });
});
