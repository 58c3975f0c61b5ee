import type { Command } from 'commander';
import { fail, FerryError, getEnvironment, type ApprovalRecord } from '@ferry/core';
import { applyPlan, planDeploy, planRollback, planText, runPlannedBackfills, type PlannedDeploy } from '@ferry/deploy';
import { colors } from '../cli-runner.js';
import { openProject, resolveRelease, type GlobalOptions } from '../project.js';
import type { Cli } from '../main.js';

export function registerDeploy(program: Command, cli: Cli): void {
  program
    .command('plan <env>')
    .description('show what deploying a release to <env> would change (reads only)')
    .option('--release <id|path>', 'release id (or prefix) in the store, or a release folder; default: build the working tree')
    .option('--json', 'print the plan as JSON')
    .action(async (envName: string, opts: { release?: string; json?: boolean }) => {
      const ctx = openProject(program.opts<GlobalOptions>(), cli.runner);
      getEnvironment(ctx.config, envName); // before building anything
      const planned = await planDeploy(ctx, envName, await resolveRelease(ctx, opts.release));
      cli.io.out(opts.json ? JSON.stringify(planned.plan, null, 2) : planText(planned.plan));
    });

  program
    .command('deploy <env>')
    .description('plan, then apply a release to <env> atomically and record it in the ledger')
    .option('--release <id|path>', 'release id (or prefix) in the store, or a release folder; default: build the working tree')
    .option('--dry-run', 'plan only')
    .option('--approve <digest>', 'apply only if the plan is the one approved (its digest, printed with plans that need approval)')
    .option('--override-freeze <reason>', 'deploy although a freeze window is active (needs --approved-by; recorded in the ledger)')
    .option('--approved-by <logins>', 'comma-separated logins of who approved the freeze override')
    .option('--json', 'print the plan and result as JSON')
    .action(async (envName: string, opts: RunOptions & { release?: string }) => {
      const ctx = { ...openProject(program.opts<GlobalOptions>(), cli.runner), approvedPlan: opts.approve };
      getEnvironment(ctx.config, envName); // before building anything
      const planned = await planDeploy(ctx, envName, await resolveRelease(ctx, opts.release));
      await run(cli, ctx, planned, opts);
    });

  program
    .command('rollback <env>')
    .description("redeploy <env>'s previous successful release (or --to a release it ran before)")
    .option('--to <id>', 'release id (or prefix) the environment ran successfully before')
    .option('--dry-run', 'plan only')
    .option('--approve <digest>', 'apply only if the plan is the one approved (its digest)')
    .option('--override-freeze <reason>', 'roll back although a freeze window is active (needs --approved-by; recorded in the ledger)')
    .option('--approved-by <logins>', 'comma-separated logins of who approved the freeze override')
    .option('--json', 'print the plan and result as JSON')
    .action(async (envName: string, opts: RunOptions & { to?: string }) => {
      const ctx = { ...openProject(program.opts<GlobalOptions>(), cli.runner), approvedPlan: opts.approve };
      await run(cli, ctx, await planRollback(ctx, envName, opts.to), opts);
    });

  program
    .command('backfill <env>')
    .description("run the DAG backfills of the release <env> runs now (the ranges its deploy planned) through <env>'s Airflow API")
    .option('--json', 'print the deployment and what ran as JSON')
    .action(async (envName: string, opts: { json?: boolean }) => {
      const ctx = openProject(program.opts<GlobalOptions>(), cli.runner);
      const r = await runPlannedBackfills(ctx, envName);
      if (opts.json) cli.io.out(JSON.stringify({ deployment: r.deployment, summary: r.result.summary, problems: r.result.problems }, null, 2));
      else for (const line of r.result.summary) cli.io.out(`  airflow: ${line}`);
      if (r.result.problems.length) throw new FerryError(r.result.problems);
      if (!opts.json) cli.io.out(`${colors(cli.io).green('✔')} backfills of ${r.planned.plan.release.version} in ${r.planned.plan.environment} (deployment ${r.deployment.id}) started`);
    });
}

interface RunOptions {
  dryRun?: boolean;
  json?: boolean;
  approve?: string;
  overrideFreeze?: string;
  approvedBy?: string;
}

/** --override-freeze with --approved-by: the approval the deploy core needs to pass an active freeze window. */
function freezeOverride(planned: PlannedDeploy, opts: RunOptions): ApprovalRecord | undefined {
  if (opts.overrideFreeze === undefined) {
    if (opts.approvedBy) fail('FERRY_INPUT', '--approved-by is only used with --override-freeze');
    return undefined;
  }
  const reason = opts.overrideFreeze.trim();
  const approvers = (opts.approvedBy ?? '').split(',').map((l) => l.trim()).filter(Boolean);
  if (!reason) fail('FERRY_INPUT', '--override-freeze needs a reason', { hint: 'e.g. --override-freeze "hotfix for the orders backlog" --approved-by alice' });
  if (!approvers.length) fail('FERRY_INPUT', '--override-freeze needs --approved-by <login,...>: an override needs an approval', { hint: 'Name who approved the override; it is recorded with the deployment.' });
  const { plan } = planned;
  const window = plan.freeze?.active?.window;
  if (!window) return undefined;
  const at = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { mode: 'cli', environment: plan.environment, releaseId: plan.release.id, approvers: approvers.map((login) => ({ login, at })), override: { window, reason } };
}

async function run(cli: Cli, ctx: Parameters<typeof applyPlan>[0], planned: PlannedDeploy, opts: RunOptions): Promise<void> {
  const c = colors(cli.io);
  const approval = freezeOverride(planned, opts);
  if (opts.overrideFreeze !== undefined && !approval) cli.runner.warning(`${planned.plan.environment} is not frozen now; --override-freeze is not needed and is not recorded`);
  if (approval) ctx = { ...ctx, approval };
  if (!opts.json) cli.io.out(planText(planned.plan));
  if (opts.dryRun) {
    if (opts.json) cli.io.out(JSON.stringify({ plan: planned.plan, applied: false }, null, 2));
    else cli.io.out(c.dim('dry run: nothing applied'));
    return;
  }
  const result = await applyPlan(ctx, planned);
  if (opts.json) {
    cli.io.out(JSON.stringify({ plan: planned.plan, applied: result.changed, deployment: result.deployment ?? null, stats: result.stats }, null, 2));
    return;
  }
  const p = planned.plan;
  if (!result.changed) cli.io.out(`${c.green('✔')} nothing to deploy: ${p.environment} already runs ${p.release.version}`);
  else {
    const s = result.stats;
    const what = p.mode === 'rollback' ? `rolled ${c.bold(p.environment)} back to ${c.bold(p.release.version)}` : `deployed ${c.bold(p.release.version)} to ${c.bold(p.environment)}`;
    cli.io.out(`${c.green('✔')} ${what} (deployment ${result.deployment!.id}): ${s.written} written, ${s.reused} unchanged, ${s.removed} removed`);
    for (const line of result.airflow?.summary ?? []) cli.io.out(`  airflow: ${line}`);
  }
}
