/**
 * Airflow smoke checks against the spec-validated fake Airflow 2 and 3
 * (test/airflow-server), whose DAG processor reads the local DAG target the
 * deploy wrote. One fake clock drives ferry's waits and the fake's timestamps.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { loadConfig, MemoryRunner } from '@ferry/core';
import { applyPlan, planDeploy } from '@ferry/deploy';
import { history, LocalFileLedger } from '@ferry/ledger';
import { buildRelease, LocalReleaseStore } from '@ferry/release';
import { expectNoViolations, startAirflowServer, type AirflowServer } from '../../../test/airflow-server/index.js';
import { gitRepo } from '../../../test/support/git-repo.js';
import type { SmokeContext } from './checks/context.js';
import { smokeTest } from './smoke.js';
import type { SmokeReport } from './types.js';

const PASSWORD = 'af-admin-pw-5150';
const dag = (id: string) => `from datetime import datetime
from airflow import DAG

with DAG("${id}", schedule="@daily", start_date=datetime(2024, 1, 1), catchup=False) as dag:
    pass
`;

const servers: AirflowServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function setup(api: 'v1' | 'v2', smoke: Record<string, unknown>, opts: { unpause?: 'new' | 'none' } = {}) {
  const clock = { t: Date.now(), slept: 0 };
  const now = () => new Date(clock.t);
  const af = await startAirflowServer({ api, users: { admin: PASSWORD }, now });
  servers.push(af);
  const airflow = { url: af.url, api: 'auto', auth: { username: 'admin', password: '${secret:AIRFLOW_PASSWORD}' }, wait: { timeout: 600, interval: 15 }, unpause: opts.unpause ?? 'new' };
  const dir = gitRepo(
    {
      'ferry.yml': `project: demo
artifacts:
  dags: { path: dags }
environments:
  - name: staging
    airflow: ${JSON.stringify(airflow)}
    smoke: ${JSON.stringify(smoke)}
    targets:
      dags: { kind: local, path: live/staging/dags }
`,
      '.gitignore': 'live/\n.ferry/\n',
      'dags/etl.py': dag('etl'),
      'dags/report.py': dag('report'),
    },
    { prefix: 'ferry-smoke-airflow-' },
  );
  af.processor.dagsFolder = path.join(dir, 'live/staging/dags');
  const runner = new MemoryRunner();
  const config = loadConfig(path.join(dir, 'ferry.yml'));
  const sleep = async (ms: number) => void ((clock.t += ms), (clock.slept += ms));
  const ctx: SmokeContext & { airflowRuntime: unknown } = {
    config,
    runner,
    ledger: new LocalFileLedger(path.join(dir, '.ferry/ledger.json')),
    store: new LocalReleaseStore(config.release.store),
    secret: (n) => {
      const v = n === 'AIRFLOW_PASSWORD' ? PASSWORD : undefined;
      if (v) runner.mask(v);
      return v;
    },
    airflowRuntime: { clock: now, sleep },
    smokeRuntime: { now: () => clock.t, sleep },
  };
  af.processor.parseAfterPolls(1);
  const planned = await planDeploy(ctx, 'staging', await buildRelease(ctx));
  const deployment = (await applyPlan(ctx, planned)).deployment!;
  return { af, dir, ctx, runner, clock, deployment };
}

const byName = (r: SmokeReport) => Object.fromEntries(r.checks.map((c) => [c.name, c]));

describe.each(['v1', 'v2'] as const)('airflow checks, Airflow %s', (api) => {
  it('passes: no import errors, DAGs present, active, unpaused and at the release version, and a smoke run succeeds', async () => {
    const t = await setup(api, { files: true, airflow: { dags: ['etl', 'report'], run: { dag: 'etl', timeout: '10m', conf: { light: true } } } });
    const r = await smokeTest(t.ctx, 'staging');
    expect(r.checks.filter((c) => !c.ok)).toEqual([]);
    const c = byName(r);
    expect(c.connect!.detail).toMatch(new RegExp(`^Airflow ${api === 'v1' ? '2' : '3'}\\.[\\d.]+ \\(REST API ${api}\\)$`));
    expect(c['import errors']!.detail).toBe("none in the release's 2 DAG file(s)");
    expect(c['DAG etl']!.detail).toBe(`active, unpaused, at release ${t.deployment.version}`);
    expect(c['run etl']!.detail).toMatch(/^run ferry_smoke__\S+ succeeded$/);
    const run = t.af.state.dagRuns.find((x) => x.dagId === 'etl')!;
    expect(run.conf).toEqual({ light: true });
    expect(r.status).toBe('verified');
    expect((await history(t.ctx.ledger, 'staging', 1))[0]!.verification).toBe('verified');
    expect(t.runner.everything()).not.toContain(PASSWORD);
    expectNoViolations(t.af);
  });

  it('fails on import errors, unknown and paused DAGs, a DAG at another version, and a failed smoke run', async () => {
    const t = await setup(api, { files: false, airflow: { dags: ['etl', 'report', 'nope'], run: { dag: 'etl', timeout: '10m' } } }, { unpause: 'none' });
    // The live etl.py changes behind ferry's back (Airflow parses the edited file); report.py stops importing.
    const live = path.join(t.dir, 'live/staging/dags');
    fs.writeFileSync(path.join(live, 'etl.py'), dag('etl').replace('pass', 'print("hotfix")'));
    t.af.processor.failFile('report.py', "ModuleNotFoundError: No module named 'pandas'");
    await t.af.processor.parse();
    const undo = t.af.tamper('get_dag_run', (b) => ({ ...(b as object), state: 'failed' }));
    const r = await smokeTest(t.ctx, 'staging');
    undo();
    const c = byName(r);
    expect(c['import errors']).toMatchObject({ ok: false, detail: expect.stringMatching(/report\.py: ModuleNotFoundError: No module named 'pandas'$/) });
    expect(c['DAG etl']).toMatchObject({ ok: false, detail: `paused; not parsed at release ${t.deployment.version} (Airflow's source differs from the release's file)` });
    expect(c['DAG report']).toMatchObject({ ok: false, detail: expect.stringMatching(/^paused; has import errors/) });
    expect(c['DAG nope']).toMatchObject({ ok: false, detail: 'Airflow does not know DAG nope' });
    expect(c['run etl']).toMatchObject({ ok: false, detail: expect.stringMatching(/^run ferry_smoke__\S+ ended failed$/) });
    expect(r.status).toBe('failed');
    expectNoViolations(t.af);
  });
});

it('fails the airflow group when the environment has no airflow settings', async () => {
  const dir = gitRepo({ 'ferry.yml': 'project: demo\nartifacts:\n  dags: { path: dags }\nenvironments:\n  - name: dev\n    smoke: { files: false, airflow: { dags: [etl] } }\n    targets:\n      dags: { kind: local, path: live/dev/dags }\n', '.gitignore': 'live/\n.ferry/\n', 'dags/etl.py': dag('etl') });
  const config = loadConfig(path.join(dir, 'ferry.yml'));
  const ctx: SmokeContext = { config, runner: new MemoryRunner(), ledger: new LocalFileLedger(path.join(dir, '.ferry/ledger.json')), store: new LocalReleaseStore(config.release.store), secret: () => undefined };
  await applyPlan(ctx, await planDeploy(ctx, 'dev', await buildRelease(ctx)));
  const r = await smokeTest(ctx, 'dev');
  expect(r.checks).toEqual([expect.objectContaining({ group: 'airflow', ok: false, detail: 'smoke.airflow needs environments[dev].airflow (url and auth)' })]);
});
