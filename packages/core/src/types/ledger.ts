/**
 * The deployment ledger: which release each environment ran, when, by whom,
 * and whether it was verified. GitHub Deployments on GitHub, a file under
 * .ferry/ for the CLI; both pass the conformance suite in @ferry/ledger.
 */
export interface DeploymentRecord {
  id: string;
  environment: string;
  releaseId: string;
  version: string;
  commit: string;
  ref: string;
  createdAt: string;
  creator: string;
  /** The deploy itself: still running, done, or failed. */
  outcome: 'in_progress' | 'success' | 'failure';
  /** Verification after a successful deploy (smoke tests / `ferry verify`). */
  verification: 'verified' | 'failed' | null;
  verifiedAt?: string;
  /** Set when this deployment rolled the environment back from that release id. */
  rollbackOf?: string;
  logUrl?: string;
  /** Who approved this deployment (require-approval), and any freeze override. */
  approval?: ApprovalRecord;
}

/**
 * An approval of one release for one environment, as require-approval decides
 * it and deploy-env records it on the deployment.
 */
export interface ApprovalRecord {
  /** cli: `ferry deploy --override-freeze <reason> --approved-by <logins>` (the operator vouches for the approvers). */
  mode: 'environment' | 'comment' | 'cli';
  environment: string;
  releaseId: string;
  approvers: { login: string; at: string }[];
  /** Set when this approval lets a deploy through a freeze window. */
  override?: { window: string; reason: string };
  /** Where the decision was made (issue comment or run URL). */
  url?: string;
  /** The digest of the plan shown to the approvers (when require-approval was given plan-path); a plan that needs approval must match it. */
  planDigest?: string;
}

export interface StartDeployment {
  environment: string;
  releaseId: string;
  version: string;
  commit: string;
  ref: string;
  production: boolean;
  manifestDigest: string;
  description: string;
  rollbackOf?: string;
  logUrl?: string;
  environmentUrl?: string;
  approval?: ApprovalRecord;
}

export interface Ledger {
  readonly description: string;
  /** Records a deployment as in progress. */
  start(input: StartDeployment): Promise<DeploymentRecord>;
  /** Records how the deploy ended. */
  finish(id: string, outcome: 'success' | 'failure', description: string): Promise<void>;
  /** Records verification of a successful deployment. */
  verify(id: string, result: 'verified' | 'failed', description: string): Promise<void>;
  /** Deployments to `environment`, newest first, paging lazily through all of history. */
  records(environment: string): AsyncIterable<DeploymentRecord>;
}
