export type { DeployContext } from './context.js';
export { planDeploy, type PlannedDeploy } from './plan.js';
export { applyPlan, type DeployResult } from './apply.js';
export { planRollback } from './rollback.js';
export { runPlannedBackfills, type BackfillRun } from './run-backfills.js';
export { verifyEnvironment, type VerifyResult } from './verify.js';
export { status, history, type StatusRow } from './status.js';
export { checkPromotion } from './promotion.js';
export { planMarkdown, planText } from './render.js';
