export { activeFreeze, nextFreeze, validateFreezeWindows, isTimeZone, type FreezeSource } from './freeze.js';
export { requireApproval, systemClock, type ApprovalInput, type ApprovalOutcome, type ApprovalStatus, type Clock } from './require-approval.js';
export { Allowed, judge, policyOf, type Policy, type Verdict, type Vote } from './policy.js';
export { parseVote, requestMarker, APPROVAL_LABEL } from './comment-mode.js';
export { approvalSummary } from './summary.js';
export { parseApprovalRecord } from './record.js';
