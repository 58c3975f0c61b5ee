import type { ApprovalRecord, ArtifactKind, KindContext, Ledger } from '@ferry/core';
import type { ReleaseStore } from '@ferry/release';

/** Everything a deploy needs, supplied by the action or the CLI. */
export interface DeployContext extends KindContext {
  ledger: Ledger;
  store: ReleaseStore;
  /** Link to the run (GitHub) shown on the deployment. */
  logUrl?: string;
  /** Overrides the environment's `url` from ferry.yml on the deployment record. */
  environmentUrl?: string;
  /** Digest (or a prefix of at least 12 characters) of the plan an approver approved; needed when the plan requires approval. */
  approvedPlan?: string;
  /**
   * The approval require-approval decided for this release and environment:
   * recorded on the deployment; satisfies a plan that needs approval; with
   * `override`, lets the deploy through a freeze window.
   */
  approval?: ApprovalRecord;
  /** The clock freeze windows are checked against (tests pin it). */
  now?: () => Date;
  /** The artifact kinds to use (default: all of ferry's); tests swap in failing ones. */
  kinds?: readonly ArtifactKind[];
}
