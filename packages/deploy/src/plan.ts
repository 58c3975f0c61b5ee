import path from 'node:path';
import { canonicalJson, fail, getEnvironment, sha256, type ArtifactKind, type Environment, type ChangeAction, type DeploymentRecord, type KindPlan, type Plan, type ReleaseArtifact, type StoredRelease } from '@ferry/core';
import { activeFreeze, nextFreeze } from '@ferry/approval';
import { KINDS } from '@ferry/kinds';
import { currentDeployment } from '@ferry/ledger';
import type { DeployContext } from './context.js';
import { checkPromotion } from './promotion.js';

/** A plan and what applying it needs; `plan` alone is the serialisable part. */
export interface PlannedDeploy {
  plan: Plan;
  release: StoredRelease;
  current?: DeploymentRecord;
  previous?: StoredRelease;
  rollbackOf?: string;
}

/** The environment's active and next freeze window at the context's clock. */
export function freezeOf(ctx: Pick<DeployContext, 'now' | 'config'>, env: Environment): Plan['freeze'] {
  if (!env.freeze.length) return undefined;
  const now = (ctx.now ?? (() => new Date()))();
  const index = ctx.config.environments.findIndex((e) => e.name === env.name);
  const source = { file: path.basename(ctx.config.file), key: `environments[${index}].freeze` };
  const active = activeFreeze(env.freeze, now, source);
  const next = nextFreeze(env.freeze, now, source);
  return { ...(active ? { active } : {}), ...(next ? { next } : {}) };
}

export function kindOf(ctx: Pick<DeployContext, 'kinds'>, name: string): ArtifactKind {
  return (ctx.kinds ?? KINDS).find((k) => k.name === name) ?? fail('FERRY_RELEASE_INVALID', `release has an artifact of unknown kind "${name}"`);
}

/**
 * What deploying `release` to `envName` would change, against what the
 * ledger says the environment runs now (never against a git diff). Reads
 * only: the ledger, the release store and the targets' own markers.
 */
export async function planDeploy(
  ctx: DeployContext,
  envName: string,
  release: StoredRelease,
  opts: { mode?: Plan['mode']; rollbackOf?: string; against?: { deployment: DeploymentRecord; release: StoredRelease } } = {},
): Promise<PlannedDeploy> {
  const { config, ledger, store, runner } = ctx;
  const env = getEnvironment(config, envName);
  const mode = opts.mode ?? 'deploy';
  const m = release.manifest;
  if (m.project !== config.project) {
    fail('FERRY_RELEASE_INVALID', `release ${m.id.slice(0, 12)} belongs to project "${m.project}", not "${config.project}"`);
  }
  const warnings: string[] = [];
  // `against`: plan as if the environment ran that deployment (re-planning a past deploy, e.g. its backfills).
  const current = opts.against?.deployment ?? (await currentDeployment(ledger, env.name));
  let previous: StoredRelease | undefined = opts.against?.release;
  if (!previous && current && current.releaseId !== m.id) {
    previous = await store.get({ id: current.releaseId, version: current.version }).catch(() => undefined);
    if (!previous) warnings.push(`release ${current.releaseId.slice(0, 12)} that ${env.name} runs is not in the release store; planning against what the targets record instead`);
  } else if (!previous && current) {
    previous = release;
  }

  const kinds: KindPlan[] = [];
  for (const artifact of m.artifacts) {
    const kind = kindOf(ctx, artifact.kind);
    const prevArtifact: ReleaseArtifact | undefined = previous?.manifest.artifacts.find((a) => a.kind === artifact.kind);
    kinds.push(await kind.plan(ctx, { env, release, artifact, previous: prevArtifact, previousRelease: previous }));
  }
  const counts: Record<ChangeAction, number> = { create: 0, update: 0, delete: 0, noop: 0 };
  for (const k of kinds) {
    for (const c of k.changes) if (c.action !== 'noop') counts[c.action]++;
    counts.noop += k.unchanged;
  }
  const promotion = await checkPromotion(ledger, env, m.id, mode);
  const fileChanges = counts.create + counts.update + counts.delete > 0;
  const changed = fileChanges || current?.releaseId !== m.id;
  for (const k of kinds) warnings.push(...(k.warnings ?? []).map((w) => `${k.kind}: ${w}`));
  if (!promotion.ok) runner.debug(promotion.detail);
  const unapproved: Omit<Plan, 'approval'> = {
    format: 'ferry.plan/v1',
    project: config.project,
    environment: env.name,
    production: env.production,
    release: { id: m.id, version: m.version, commit: m.git.commit },
    current: current ? { id: current.releaseId, version: current.version, commit: current.commit, deploymentId: current.id, verified: current.verification === 'verified' } : null,
    mode,
    changed,
    counts,
    kinds,
    promotion,
    warnings,
  };
  const destructive = kinds.flatMap((k) => k.destructive ?? []);
  const freeze = freezeOf(ctx, env);
  const plan: Plan = {
    ...unapproved,
    approval: {
      required: env.requiresApproval && destructive.length > 0,
      reason: destructive.length ? `${destructive.join('; ')}${env.requiresApproval ? ` in ${env.name}, which requires approval` : ''}` : 'nothing that cannot be rolled back',
      digest: sha256(canonicalJson(unapproved)),
    },
    // After the digest: the windows move with the clock, the plan's content does not.
    ...(freeze ? { freeze } : {}),
  };
  return { plan, release, current, previous, rollbackOf: opts.rollbackOf };
}
