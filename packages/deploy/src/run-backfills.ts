import { fail, getEnvironment, type DeploymentRecord } from '@ferry/core';
import { afterDeploy, type AfterDeployContext, type AfterDeployResult } from './after-deploy.js';
import { checkApproval } from './apply.js';
import { planDeploy, type PlannedDeploy } from './plan.js';

export interface BackfillRun {
  /** The deploy re-planned: the environment's current release against the one it replaced. */
  planned: PlannedDeploy;
  /** The deployment whose backfills were run. */
  deployment: DeploymentRecord;
  result: AfterDeployResult;
}

/**
 * Runs the DAG backfills of the environment's current deployment, for teams
 * that deploy with `airflow.backfill.run: false` and start backfills later
 * (backfill.yml, `ferry backfill`). The deploy is re-planned, the current
 * release against the release it replaced, so the ranges are the ones its
 * plan showed (bounded by the current hour); then only the Airflow backfill
 * step runs: no Variables, Connections or unpausing. Backfills already
 * created are reported as existing, so running it twice is harmless. A
 * freeze window refuses it as it refuses deploys (an approved override, for
 * the current release, lets it through).
 */
export async function runPlannedBackfills(ctx: AfterDeployContext, envName: string): Promise<BackfillRun> {
  const env = getEnvironment(ctx.config, envName);
  if (!env.airflow) {
    fail('FERRY_AIRFLOW_CONFIG', `${env.name} has no \`airflow:\` in ferry.yml, so ferry cannot start backfills there`, {
      hint: `Add environments.${env.name}.airflow (url and auth), or run the backfills shown in the plan's runbook by hand.`,
    });
  }
  let current: DeploymentRecord | undefined;
  let replaced: DeploymentRecord | undefined;
  for await (const r of ctx.ledger.records(env.name)) {
    if (r.outcome !== 'success') continue;
    if (!current) current = r;
    else if (r.releaseId !== current.releaseId) {
      replaced = r;
      break;
    }
  }
  if (!current) fail('FERRY_NOT_DEPLOYED', `${env.name} has no successful deployment whose backfills could run`, { hint: `Deploy to ${env.name} first.` });
  if (current.rollbackOf) {
    fail('FERRY_AIRFLOW_BACKFILL', `${env.name} runs a rollback (deployment ${current.id}); ferry does not backfill a rollback`, {
      hint: 'Backfill the DAGs by hand if the rolled-back release needs it, or deploy a new release.',
    });
  }
  if (!replaced) fail('FERRY_AIRFLOW_BACKFILL', `${env.name} has had one release only (deployment ${current.id}): no schedule changed, so there is nothing to backfill`, { hint: 'New DAGs get their runs from the Airflow scheduler once unpaused.' });

  const [release, previous] = await Promise.all([
    ctx.store.get({ id: current.releaseId, version: current.version }),
    ctx.store.get({ id: replaced.releaseId, version: replaced.version }),
  ]);
  const planned = await planDeploy(ctx, env.name, release, { against: { deployment: replaced, release: previous } });
  // Backfills create runs in the environment: a freeze window holds them too, unless an approved override is given.
  checkApproval(ctx, planned.plan, 'backfills');
  const backfillOnly = { ...env.airflow, variables: undefined, connections: undefined, unpause: 'none' as const, backfill: { ...env.airflow.backfill, run: true } };
  const result = await afterDeploy(ctx, { ...env, airflow: backfillOnly }, planned, { rollbackHint: false });
  return { planned, deployment: current, result };
}
