import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { gitRepo } from '../../../test/support/git-repo.js';
import type { Io } from './cli-runner.js';
import { main } from './main.js';

const example = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../examples/data-platform');

function capture(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { out: (s) => stdout.push(s), err: (s) => stderr.push(s), isTTY: false, color: false, stdout, stderr };
}

function copyExample(): string {
  return gitRepo({}, { from: example, prefix: 'ferry-cli-' });
}

async function ferry(dir: string, ...argv: string[]) {
  const io = capture();
  const code = await main(['-c', path.join(dir, 'ferry.yml'), ...argv], io);
  return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
}

const secrets = { WAREHOUSE_PASSWORD: 'wh-secret-1', APP_DB_PASSWORD: 'app-secret-2', ORDERS_API_TOKEN: 'orders-secret-3', CRM_API_TOKEN: 'crm-secret-4' };

describe('ferry CLI', () => {
  it('runs the lifecycle with readable output and JSON for read commands', async () => {
    Object.assign(process.env, secrets);
    try {
      const dir = copyExample();
      expect(await ferry(dir, 'check')).toMatchObject({ code: 0 });
      const check = JSON.parse((await ferry(dir, 'check', '--json')).out);
      expect(check).toMatchObject({ format: 'ferry.check/v1', project: 'data-platform', counts: { error: 0, warning: 0 } });

      const built = JSON.parse((await ferry(dir, 'build', '--json')).out);
      expect(built.id).toMatch(/^[0-9a-f]{64}$/);
      expect(built.artifacts.map((a: { kind: string }) => a.kind)).toEqual(['dbt', 'configs', 'dags']);

      const plan = JSON.parse((await ferry(dir, 'plan', 'dev', '--release', built.id.slice(0, 10), '--json')).out);
      expect(plan).toMatchObject({ format: 'ferry.plan/v1', environment: 'dev', changed: true, current: null });

      const dry = await ferry(dir, 'deploy', 'dev', '--release', built.id, '--dry-run');
      expect(dry.code).toBe(0);
      expect(dry.out).toMatch(/dry run: nothing applied/);
      expect(fs.existsSync(path.join(dir, '.ferry/targets/dev'))).toBe(false);

      const dev = await ferry(dir, 'deploy', 'dev', '--release', built.id);
      expect(dev.code).toBe(0);
      expect(dev.out).toMatch(/✔ deployed .* to dev \(deployment 1\): 18 written, 0 unchanged, 0 removed/);
      expect((await ferry(dir, 'deploy', 'dev', '--release', built.id)).out).toMatch(/nothing to deploy/);

      const prod = await ferry(dir, 'deploy', 'prod', '--release', built.id);
      expect(prod.code).toBe(1);
      expect(prod.err).toMatch(/FERRY_PROMOTION_UNVERIFIED/);
      expect(prod.err).toMatch(/staging has no deployment yet/);

      expect((await ferry(dir, 'deploy', 'staging', '--release', built.id)).code).toBe(0);
      expect((await ferry(dir, 'verify', 'staging')).out).toMatch(/✔ verified/);
      expect((await ferry(dir, 'deploy', 'prod', '--release', built.id)).code).toBe(0);

      const status = await ferry(dir, 'status');
      expect(status.out.split('\n')[0]).toMatch(/^environment\s+release\s+version\s+deployed\s+by\s+verified$/);
      expect(status.out).toMatch(/staging\s+[0-9a-f]{12}\s+\S+\s+.*\s+yes$/m);
      const rows = JSON.parse((await ferry(dir, 'status', '--json')).out);
      expect(rows.map((r: { environment: string; deployment: { verification: string } }) => [r.environment, r.deployment.verification])).toEqual([
        ['dev', null],
        ['staging', 'verified'],
        ['prod', null],
      ]);

      fs.appendFileSync(path.join(dir, 'dags/weekly_kpi_report.py'), '\n# tweak\n');
      const changed = await ferry(dir, 'deploy', 'dev');
      expect(changed.out).toMatch(/~ dags\/weekly_kpi_report\.py/);
      expect(changed.out).toMatch(/1 written, 17 unchanged/);
      const rb = await ferry(dir, 'rollback', 'dev');
      expect(rb.out).toMatch(/rolled dev back to/);
      const hist = JSON.parse((await ferry(dir, 'history', 'dev', '--json')).out);
      expect(hist).toHaveLength(3);
      expect(hist[0].rollbackOf).toBe(hist[1].releaseId);

      // No secret value reaches any output, and only the target holds it.
      const everything = [dev, prod, status, changed, rb].map((r) => r.out + r.err).join('\n');
      for (const s of Object.values(secrets)) expect(everything).not.toContain(s);
      expect(fs.readFileSync(path.join(dir, '.ferry/targets/prod/config/pipelines.yml'), 'utf8')).toContain('wh-secret-1');
    } finally {
      for (const k of Object.keys(secrets)) delete process.env[k];
    }
  }, 60_000);

  it('check: exit code by severity, --fail-on, --junit, --only', async () => {
    const dir = copyExample();
    fs.writeFileSync(path.join(dir, 'dags/now.py'), 'import datetime\nfrom airflow import DAG\nwith DAG("now", start_date=datetime.datetime.now(), schedule=None, catchup=False, tags=["x"], default_args={"owner": "o", "retries": 1}):\n    pass\n');
    const r = await ferry(dir, 'check', '--junit', path.join(dir, 'out/junit.xml'));
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/✘ DAG integrity: 1 error/);
    expect(r.out).toMatch(/dags\/now\.py:3:\d+: error DAG104 /);
    expect(fs.readFileSync(path.join(dir, 'out/junit.xml'), 'utf8')).toContain('DAG104');
    expect((await ferry(dir, 'check', '--fail-on', 'never')).code).toBe(0);
    const only = JSON.parse((await ferry(dir, 'check', '--only', 'configs', '--json')).out);
    expect(only.checks.map((c: { id: string }) => c.id)).toEqual(['configs']);
    const bad = await ferry(dir, 'check', '--only', 'dag');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/FERRY_INPUT.*did you mean "dags"/);
  });

  it('says what is wrong with usage and unknown environments', async () => {
    const dir = copyExample();
    expect((await ferry(dir, 'deploy')).code).toBe(2);
    expect((await ferry(dir, 'nope')).code).toBe(2);
    const r = await ferry(dir, 'plan', 'stagin');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/FERRY_UNKNOWN_ENV .*did you mean "staging"/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });
});
