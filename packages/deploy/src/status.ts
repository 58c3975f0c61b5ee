import type { DeploymentRecord } from '@ferry/core';
import { currentDeployment, history } from '@ferry/ledger';
import type { DeployContext } from './context.js';

export interface StatusRow {
  environment: string;
  production: boolean;
  requires?: string;
  deployment: DeploymentRecord | null;
  /** The newest attempt, when it is not the live one (a failed or running deploy). */
  latest: DeploymentRecord | null;
}

/** One row per environment: what runs there now, and whether a newer attempt failed. */
export async function status(ctx: DeployContext): Promise<StatusRow[]> {
  return Promise.all(
    ctx.config.environments.map(async (env) => {
      const deployment = (await currentDeployment(ctx.ledger, env.name)) ?? null;
      const [newest] = await history(ctx.ledger, env.name, 1);
      return {
        environment: env.name,
        production: env.production,
        ...(env.requires ? { requires: env.requires } : {}),
        deployment,
        latest: newest && newest.id !== deployment?.id ? newest : null,
      };
    }),
  );
}

export { history };
