/**
 * smokeTest: the checks ferry.yml declares for an environment
 * (`environments[].smoke`), run against the deployment the environment runs
 * now, then the watch window, then the verdict recorded in the ledger
 * (`verified` is what promotion rules ask for), then, on failure with
 * auto-rollback, a rollback to the environment's last verified release,
 * itself smoke-tested (without watch window, never rolled back again).
 */
import { durationMs, FerryError, getEnvironment, problem, toProblems, type DeploymentRecord, type Environment } from '@ferry/core';
import { applyPlan, planRollback } from '@ferry/deploy';
import { currentDeployment } from '@ferry/ledger';
import { airflowChecks } from './checks/airflow.js';
import { commandChecks } from './checks/command.js';
import type { CheckInput, SmokeContext } from './checks/context.js';
import { filesChecks } from './checks/files.js';
import { httpChecks } from './checks/http.js';
import { sqlChecks } from './checks/sql.js';
import { SecretResolver } from './secrets.js';
import type { CheckGroup, CheckResult, SmokeReport } from './types.js';
import { ENGINES, type Warehouse } from './warehouse.js';

export interface SmokeOptions {
  /** false skips the watch window (default: as ferry.yml says). */
  watch?: boolean;
  /** Overrides `smoke.auto_rollback`. */
  autoRollback?: boolean;
  /** Whether to record the verdict in the ledger (default true). */
  record?: boolean;
}

const GROUPS: Record<CheckGroup, (input: CheckInput) => Promise<CheckResult[]>> = {
  files: filesChecks,
  airflow: airflowChecks,
  sql: sqlChecks,
  http: httpChecks,
  command: commandChecks,
};

function groupsOf(env: Environment): CheckGroup[] {
  const s = env.smoke;
  const out: CheckGroup[] = [];
  if (s.files) out.push('files');
  if (s.airflow) out.push('airflow');
  if (s.sql) out.push('sql');
  if (s.http.length) out.push('http');
  if (s.command.length) out.push('command');
  return out;
}

export async function smokeTest(ctx: SmokeContext, envName: string, opts: SmokeOptions = {}): Promise<SmokeReport> {
  const env = getEnvironment(ctx.config, envName);
  const deployment = await currentDeployment(ctx.ledger, env.name);
  if (!deployment) throw new FerryError(problem('FERRY_NOT_DEPLOYED', `${env.name} has no successful deployment to smoke-test`, { hint: `Deploy to ${env.name} first.` }));
  const report = await checkDeployment(ctx, env, deployment, opts);
  if (report.ok) return report;
  const target = await lastVerified(ctx, env, deployment);
  if (target) report.lastVerified = { releaseId: target.releaseId, version: target.version, deploymentId: target.id };

  const auto = opts.autoRollback ?? env.smoke.auto_rollback;
  if (!auto) return report;
  if (deployment.rollbackOf) {
    report.rollback = { done: false, reason: `deployment ${deployment.id} is itself a rollback (of release ${deployment.rollbackOf.slice(0, 12)}): ferry never rolls back a rollback` };
    return report;
  }
  report.rollback = await autoRollback(ctx, env, target);
  if (report.rollback.done) report.status = 'rolled-back';
  return report;
}

async function checkDeployment(ctx: SmokeContext, env: Environment, deployment: DeploymentRecord, opts: SmokeOptions): Promise<SmokeReport> {
  const now = ctx.smokeRuntime?.now ?? Date.now;
  const sleep = ctx.smokeRuntime?.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const startedAt = new Date(now()).toISOString();
  const release = await ctx.store.get({ id: deployment.releaseId, version: deployment.version });
  const secrets = new SecretResolver((n) => ctx.secret(n), (v) => ctx.runner.mask(v));
  let wh: Promise<Warehouse> | undefined;
  const input: CheckInput = {
    ctx,
    env,
    release,
    secrets,
    now,
    sleep,
    warehouse: () => {
      const sql = env.smoke.sql!;
      wh ??= (async () => {
        const engine = (ctx.smokeRuntime?.engines ?? ENGINES)[sql.engine];
        if (!engine) throw new FerryError(problem('FERRY_WAREHOUSE', `no warehouse driver for engine ${sql.engine}`, { location: { key: `environments.${env.name}.smoke.sql.engine` } }));
        const url = secrets.resolve(sql.connection, `environments.${env.name}.smoke.sql.connection`, { mask: true });
        // The password alone is masked too (drivers and servers may quote it without the rest of the URL).
        const password = URL.canParse(url) ? decodeURIComponent(new URL(url).password) : '';
        if (password) secrets.addMasked(password);
        return engine(url, { statementTimeoutMs: durationMs(sql.timeout) });
      })();
      return wh;
    },
  };
  const notes: string[] = [];
  const groups = groupsOf(env);
  if (groups.length === 0) notes.push('no smoke checks are declared for this environment (smoke.files is off and nothing else is set)');
  const run = async (which: CheckGroup[], round: number) => {
    const out: CheckResult[] = [];
    for (const g of which) {
      const results = await GROUPS[g](input);
      for (const r of results) {
        r.round = round;
        ctx.runner.info(`smoke ${r.ok ? 'ok  ' : 'FAIL'} ${r.group}: ${r.name}: ${r.detail}`);
      }
      out.push(...results);
    }
    return out;
  };
  const checks: CheckResult[] = [];
  let watch: SmokeReport['watch'];
  try {
    checks.push(...(await run(groups, 0)));
    const w = env.smoke.watch;
    if (w && opts.watch !== false) {
      const forMs = durationMs(w.for);
      const everyMs = durationMs(w.every);
      const wanted = w.checks.filter((g) => groups.includes(g));
      watch = { forMs, everyMs, groups: wanted, rounds: 0 };
      if (checks.every((c) => c.ok) && wanted.length) {
        const start = now();
        // Rounds at fixed times (every, 2 × every, … up to for), however long each round takes.
        for (let round = 1; round * everyMs <= forMs; round++) {
          await sleep(Math.max(0, start + round * everyMs - now()));
          const results = await run(wanted, round);
          watch.rounds = round;
          const failed = results.filter((r) => !r.ok);
          if (failed.length) {
            checks.push(...failed);
            watch.failedInRound = round;
            notes.push(`watch window: round ${round} (${Math.round((now() - start) / 1000)} s after the first pass) failed: ${failed.map((f) => `${f.group}: ${f.name}`).join(', ')}`);
            break;
          }
        }
        if (watch.failedInRound === undefined) notes.push(`watch window: ${watch.rounds} round(s) of ${wanted.join(', ')} over ${w.for} passed`);
      } else if (!wanted.length) notes.push(`watch window: none of the groups ${w.checks.join(', ')} is declared, nothing to watch`);
    } else if (w) notes.push('watch window skipped (watch: false)');
  } finally {
    if (wh) await wh.then((c) => c.close(), () => undefined);
  }
  const ok = checks.every((c) => c.ok);
  if (opts.record !== false) {
    const failedCount = checks.filter((c) => !c.ok).length;
    await ctx.ledger.verify(deployment.id, ok ? 'verified' : 'failed', ok ? `smoke tests passed: ${checks.length} check(s)` : `smoke tests failed: ${failedCount} of ${checks.length} check(s)`);
  }
  return {
    format: 'ferry.smoke/v1',
    environment: env.name,
    deployment: { id: deployment.id, releaseId: deployment.releaseId, version: deployment.version, ...(deployment.rollbackOf ? { rollbackOf: deployment.rollbackOf } : {}) },
    status: ok ? 'verified' : 'failed',
    ok,
    checks,
    ...(watch ? { watch } : {}),
    rollbackRecommended: !ok,
    notes,
    startedAt,
    finishedAt: new Date(now()).toISOString(),
  };
}

/** The environment's newest verified deployment of another release. */
async function lastVerified(ctx: SmokeContext, env: Environment, current: DeploymentRecord): Promise<DeploymentRecord | undefined> {
  for await (const r of ctx.ledger.records(env.name)) {
    if (r.id === current.id || r.releaseId === current.releaseId) continue;
    if (r.outcome === 'success' && r.verification === 'verified') return r;
  }
  return undefined;
}

async function autoRollback(ctx: SmokeContext, env: Environment, target: DeploymentRecord | undefined): Promise<NonNullable<SmokeReport['rollback']>> {
  if (!target) return { done: false, reason: `${env.name} has no earlier verified release to roll back to` };
  ctx.runner.info(`smoke: rolling ${env.name} back to release ${target.version} (${target.releaseId.slice(0, 12)}), its last verified release`);
  let deploymentId: string;
  try {
    const planned = await planRollback(ctx, env.name, target.releaseId);
    if (planned.plan.approval.required) {
      return { done: false, reason: `the rollback to ${target.version} needs approval (${planned.plan.approval.reason}): run it by hand` };
    }
    const result = await applyPlan(ctx, planned);
    if (!result.deployment) return { done: false, reason: `the rollback to ${target.version} changed nothing` };
    deploymentId = result.deployment.id;
  } catch (e) {
    return { done: false, reason: `the rollback to ${target.version} failed: ${toProblems(e).map((p) => `${p.code}: ${p.message}`).join('; ')}` };
  }
  const current = await currentDeployment(ctx.ledger, env.name);
  const report = await checkDeployment(ctx, env, current!, { watch: false });
  return { done: true, releaseId: target.releaseId, version: target.version, deploymentId, report };
}
