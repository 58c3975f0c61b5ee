import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { commitAll, gitRepo, writeFiles } from '../../../test/support/git-repo.js';
import { loadConfig, MemoryRunner } from '@ferry/core';
import { LocalFileLedger } from '@ferry/ledger';
import { buildRelease, LocalReleaseStore } from '@ferry/release';
import { applyPlan } from './apply.js';
import type { DeployContext } from './context.js';
import { planDeploy } from './plan.js';
import { planMarkdown, planText } from './render.js';

const FERRY_YML = `project: demo
artifacts:
  dags: { path: dags }
environments:
  - name: dev
    targets:
      dags: { kind: local, path: live/dev/dags }
`;

const dagFile = (start: string, extra = '') => `import pendulum
from airflow import DAG
from airflow.operators.empty import EmptyOperator

with DAG(
    "daily_sales",
    schedule="@daily",
    start_date=${start},
    catchup=False,
    default_args={"owner": "data-eng", "retries": 1},
    tags=["sales"],
):
    EmptyOperator(task_id="load")
${extra}`;

function setup(ferryYml = FERRY_YML) {
  const dir = gitRepo(
    {
      'ferry.yml': ferryYml,
      '.gitignore': 'live/\n.ferry/\n',
      'dags/sales.py': dagFile('pendulum.datetime(2024, 6, 1, tz="UTC")'),
      'dags/other.py': 'X = 1\n',
    },
    { prefix: 'ferry-backfill-' },
  );
  const runner = new MemoryRunner();
  const config = loadConfig(path.join(dir, 'ferry.yml'));
  const ctx: DeployContext = { config, runner, ledger: new LocalFileLedger(path.join(dir, '.ferry/ledger.json')), store: new LocalReleaseStore(config.release.store), secret: () => undefined };
  return { dir, ctx };
}

describe('DAG backfills in the deploy plan', () => {
  it('a start_date moved earlier between two releases shows as a backfill on the file change, in the notes and in the Markdown', async () => {
    const t = setup();
    await applyPlan(t.ctx, await planDeploy(t.ctx, 'dev', await buildRelease(t.ctx)));

    writeFiles(t.dir, { 'dags/sales.py': dagFile('pendulum.datetime(2024, 1, 1, tz="UTC")') });
    commitAll(t.dir, 'start earlier');
    const planned = await planDeploy(t.ctx, 'dev', await buildRelease(t.ctx));
    const dags = planned.plan.kinds.find((k) => k.kind === 'dags')!;
    const change = dags.changes.find((c) => c.path === 'sales.py')!;
    expect(change.action).toBe('update');
    expect(change.backfill).toMatchObject({
      dagId: 'daily_sales',
      rule: 'start-earlier',
      from: '2024-01-01T00:00:00Z',
      to: '2024-06-01T00:00:00Z',
      runs: 152,
      schedule: '@daily',
    });
    expect(change.backfill!.reason).toMatch(/^start_date moved earlier, from 2024-06-01 UTC to 2024-01-01 UTC/);
    expect(change.backfill!.dags).toHaveLength(1);
    expect(dags.notes).toContain(
      'backfill: DAG "daily_sales" in sales.py: 152 runs to backfill from 2024-01-01T00:00:00Z to 2024-06-01T00:00:00Z: ' + change.backfill!.reason,
    );
    const md = planMarkdown(planned.plan);
    expect(md).toContain('#### DAG backfills');
    expect(md).toContain('| `daily_sales` | `sales.py` | 152 | 2024-01-01T00:00:00Z → 2024-06-01T00:00:00Z | start_date moved earlier');
    expect(planText(planned.plan)).toContain('note: backfill: DAG "daily_sales" in sales.py: 152 runs to backfill');
    // The runbook: the commands to run them by hand, for both Airflow versions.
    expect(md).toContain('airflow backfill create --dag-id daily_sales --from-date 2024-01-01T00:00:00Z --to-date 2024-06-01T00:00:00Z');
    expect(md).toContain('airflow dags backfill --start-date 2024-01-01T00:00:00Z --end-date 2024-06-01T00:00:00Z daily_sales');
    // The ranges are bounded by the start of the hour, so re-planning (within the hour) gives the same plan.
    const again = await planDeploy(t.ctx, 'dev', planned.release);
    const againChange = again.plan.kinds.find((k) => k.kind === 'dags')!.changes.find((c) => c.path === 'sales.py')!;
    expect(againChange.backfill!.asOf).toMatch(/^\d{4}-\d\d-\d\dT\d\d:00:00Z$/);
    if (againChange.backfill!.asOf === change.backfill!.asOf) expect(again.plan.approval.digest).toBe(planned.plan.approval.digest);
  });

  it('a change that needs no backfill says so in a note and sets no backfill; files without DAG changes get nothing', async () => {
    const t = setup();
    await applyPlan(t.ctx, await planDeploy(t.ctx, 'dev', await buildRelease(t.ctx)));
    writeFiles(t.dir, { 'dags/sales.py': dagFile('pendulum.datetime(2024, 9, 1, tz="UTC")'), 'dags/other.py': 'X = 2\n' });
    commitAll(t.dir, 'start later');
    const planned = await planDeploy(t.ctx, 'dev', await buildRelease(t.ctx));
    const dags = planned.plan.kinds.find((k) => k.kind === 'dags')!;
    expect(dags.changes.map((c) => [c.path, c.backfill])).toEqual([
      ['other.py', undefined],
      ['sales.py', undefined],
    ]);
    expect(dags.notes.filter((n) => n.startsWith('backfill'))).toEqual([
      'backfill: DAG "daily_sales" in sales.py: no backfill: start_date moved later, from 2024-06-01 UTC to 2024-09-01 UTC; the runs before it stay in the history',
    ]);
    expect(planMarkdown(planned.plan)).not.toContain('DAG backfills');
  });

  it('without python3 the plan still succeeds and says the backfill ranges were not computed', async () => {
    const t = setup(FERRY_YML + 'checks:\n  dags:\n    python: ferry-no-such-python3\n');
    await applyPlan(t.ctx, await planDeploy(t.ctx, 'dev', await buildRelease(t.ctx)));
    writeFiles(t.dir, { 'dags/sales.py': dagFile('pendulum.datetime(2024, 1, 1, tz="UTC")') });
    commitAll(t.dir, 'start earlier');
    const planned = await planDeploy(t.ctx, 'dev', await buildRelease(t.ctx));
    const dags = planned.plan.kinds.find((k) => k.kind === 'dags')!;
    expect(dags.changes.map((c) => [c.action, c.path])).toEqual([['update', 'sales.py']]);
    expect(dags.notes).toContain('backfill ranges not computed: ferry-no-such-python3 not found');
    expect(fs.readdirSync(path.join(t.dir, 'dags'))).toHaveLength(2);
  });
});
