export { runChecks, fails, sortFindings, type CheckReport, type FailOn } from './run-checks.js';
export { CHECKS, CHECK_IDS } from './registry.js';
export type { Check, CheckContext, CheckOutcome, CheckResult, Finding, Severity } from './types.js';
export { reportMarkdown, reportText, reportJunit, pickAnnotations, headline, type Paint } from './report/index.js';
