export { ActionsRunner } from './actions-runner.js';
export { inputs } from './inputs.js';
export { runAction, notImplemented, ReportedFailure } from './run-action.js';
