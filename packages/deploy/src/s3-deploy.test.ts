/**
 * The example project's DAGs deployed through the normal path (build →
 * planDeploy → applyPlan → verifyEnvironment) to an environment whose DAG
 * target is `kind: s3`, against a real S3 protocol server (s3rver).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadConfig, MemoryRunner } from '@ferry/core';
import { LocalFileLedger } from '@ferry/ledger';
import { buildRelease, LocalReleaseStore } from '@ferry/release';
import { commitAll, gitRepo, writeFiles } from '../../../test/support/git-repo.js';
import { S3RVER_CREDENTIALS, startS3rver, type S3rverProcess } from '../../../test/support/s3rver.js';
import { applyPlan } from './apply.js';
import type { DeployContext } from './context.js';
import { planDeploy } from './plan.js';
import { planMarkdown } from './render.js';
import { verifyEnvironment } from './verify.js';

const EXAMPLE_DAGS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../examples/data-platform/dags');
const ENV = { ...S3RVER_CREDENTIALS, AWS_EC2_METADATA_DISABLED: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
const saved: Record<string, string | undefined> = {};
let s3: S3rverProcess;

beforeAll(async () => {
  for (const [k, v] of Object.entries(ENV)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  s3 = await startS3rver({ buckets: ['mwaa-example'] });
});

afterAll(async () => {
  await s3?.stop();
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

/** s3rver takes unsigned requests: enough for the test to look behind ferry's back. */
const object = (key: string, init?: RequestInit) => fetch(`${s3.endpoint}/mwaa-example/${key}`, init);

describe('deploy to an S3 DAG target (MWAA model)', () => {
  it('plans, applies and verifies the example DAGs on s3rver; a change uploads only what changed; an unfinished deploy shows in the plan', async () => {
    const dir = gitRepo(
      {
        'ferry.yml': [
          'project: data-platform',
          'artifacts:',
          '  dags: { path: dags }',
          'environments:',
          '  - name: staging',
          '    targets:',
          `      dags: { kind: s3, bucket: mwaa-example, prefix: dags, endpoint: "${s3.endpoint}", force_path_style: true, concurrency: 4 }`,
          '',
        ].join('\n'),
        '.gitignore': '.ferry/\n',
      },
      { prefix: 'ferry-s3-deploy-' },
    );
    fs.cpSync(EXAMPLE_DAGS, path.join(dir, 'dags'), { recursive: true });
    commitAll(dir, 'example DAGs');
    const config = loadConfig(path.join(dir, 'ferry.yml'));
    const ctx: DeployContext = {
      config,
      runner: new MemoryRunner(),
      ledger: new LocalFileLedger(path.join(dir, '.ferry/ledger.json')),
      store: new LocalReleaseStore(config.release.store),
      secret: () => undefined,
    };

    // 1. first deploy: everything created
    const r1 = await buildRelease(ctx);
    const files = r1.manifest.artifacts.find((a) => a.kind === 'dags')!.files;
    expect(files.length).toBeGreaterThan(10);
    const p1 = await planDeploy(ctx, 'staging', r1);
    expect(p1.plan.counts).toMatchObject({ create: files.length, update: 0, delete: 0 });
    expect(planMarkdown(p1.plan)).toContain(`s3://mwaa-example/dags/ (${s3.endpoint})`);
    const a1 = await applyPlan(ctx, p1);
    expect(a1.stats).toMatchObject({ written: files.length, removed: 0 });
    expect(await (await object('dags/common/defaults.py')).text()).toBe(fs.readFileSync(path.join(EXAMPLE_DAGS, 'common/defaults.py'), 'utf8'));
    expect((await verifyEnvironment(ctx, 'staging')).ok).toBe(true);

    // 2. edit one DAG, delete one: one upload, one delete
    writeFiles(dir, { 'dags/weekly_kpi_report.py': fs.readFileSync(path.join(dir, 'dags/weekly_kpi_report.py'), 'utf8') + '\n# tweaked\n' });
    fs.rmSync(path.join(dir, 'dags/airflow_log_cleanup.py'));
    commitAll(dir, 'edit one, delete one');
    const r2 = await buildRelease(ctx);
    const p2 = await planDeploy(ctx, 'staging', r2);
    expect(p2.plan.kinds[0]!.changes.map((c) => [c.action, c.path])).toEqual([
      ['delete', 'airflow_log_cleanup.py'],
      ['update', 'weekly_kpi_report.py'],
    ]);
    const a2 = await applyPlan(ctx, p2);
    expect(a2.stats).toMatchObject({ written: 1, removed: 1, reused: files.length - 2 });
    expect((await object('dags/airflow_log_cleanup.py')).status).toBe(404);
    expect((await verifyEnvironment(ctx, 'staging')).ok).toBe(true);

    // 3. someone edits an object by hand: verify says so
    await object('dags/ingest_orders_api.py', { method: 'PUT', body: '# hand edit\n' });
    const drift = await verifyEnvironment(ctx, 'staging', { record: false });
    expect(drift.ok).toBe(false);
    expect(drift.problems[0]).toMatchObject({ code: 'FERRY_TARGET_DRIFT' });
    expect(drift.problems[0]!.message).toMatch(/changed ingest_orders_api\.py/);

    // 4. a deploy that stopped part-way (marker left in-progress): the next plan warns, the apply converges
    const marker = JSON.parse(await (await object('dags/.ferry/release.json')).text()) as Record<string, unknown>;
    await object('dags/.ferry/release.json', {
      method: 'PUT',
      body: JSON.stringify({ ...marker, status: 'in-progress', releaseId: 'f'.repeat(64), previousReleaseId: r2.manifest.id }),
    });
    writeFiles(dir, { 'dags/new_dag.py': 'from airflow import DAG\n' });
    commitAll(dir, 'add one');
    const r3 = await buildRelease(ctx);
    const p3 = await planDeploy(ctx, 'staging', r3);
    expect(p3.plan.warnings.join('\n')).toMatch(new RegExp(`unfinished deploy.*release ${r2.manifest.id.slice(0, 12)} with release ffffffffffff`));
    expect(planMarkdown(p3.plan)).toMatch(/unfinished deploy/);
    const a3 = await applyPlan(ctx, p3);
    expect(a3.stats).toMatchObject({ written: 2, removed: 0 }); // new_dag.py, and the hand-edited file put back
    const ok = await verifyEnvironment(ctx, 'staging');
    expect(ok.problems).toEqual([]);
    expect(ok.ok).toBe(true);
  }, 60_000);
});
