import type { Environment, FerryConfig } from '../config/load.js';
import type { KindName } from '../config/schema.js';
import type { Problem } from '../errors/ferry-error.js';
import type { Runner } from '../runner/runner.js';
import type { KindPlan } from './plan.js';
import type { ReleaseArtifact, ReleaseManifest } from './release.js';
import type { Staged } from './target.js';

export interface KindContext {
  config: FerryConfig;
  runner: Runner;
  /**
   * Looks up a secret by name at deploy time (environment variables by
   * default). Implementations mask every value they return.
   */
  secret(name: string): string | undefined;
}

/** A release as found in a store: its manifest and the folder holding its bundles. */
export interface StoredRelease {
  manifest: ReleaseManifest;
  dir: string;
}

export interface DeployInput {
  env: Environment;
  release: StoredRelease;
  artifact: ReleaseArtifact;
  /** The same kind's artifact in the release the environment runs now, if known. */
  previous?: ReleaseArtifact;
  /** That release itself (its folder holds the previous bundles), if it is in the store. */
  previousRelease?: StoredRelease;
}

/**
 * One artifact kind (DAGs, configs, dbt, images): the lifecycle
 * validate → build → plan → apply → verify, declared once per kind in its own
 * folder and run for every kind by the same orchestration (build-artifacts
 * and deploy-env never know kind details). Rollback is `apply` of an earlier
 * release, so a kind needs nothing extra for it.
 */
export interface ArtifactKind {
  readonly name: KindName;
  /** Whether ferry.yml declares this kind. */
  enabled(config: FerryConfig): boolean;
  /** Finds every problem without building anything. */
  validate(ctx: KindContext): Promise<Problem[]>;
  /** Writes the kind's bundle into `releaseDir` and returns its manifest entry. */
  build(ctx: KindContext, releaseDir: string): Promise<ReleaseArtifact>;
  /** What deploying `artifact` to `env` would change. Reads, never writes. */
  plan(ctx: KindContext, input: DeployInput): Promise<KindPlan>;
  /**
   * Prepares `plan` without changing what the environment runs; the deploy
   * commits every kind's staged change once all are staged. If staging fails
   * halfway, the environment still runs the previous release.
   */
  stage(ctx: KindContext, input: DeployInput, plan: KindPlan): Promise<Staged>;
  /** Problems with what the environment holds now, compared with `artifact`. */
  verify(ctx: KindContext, input: DeployInput): Promise<Problem[]>;
  /** Lines for the plan's Markdown and terminal renderings beyond the generic table (e.g. dbt's model changes). */
  describePlan?(plan: KindPlan): { markdown: string[]; text: string[] };
}
