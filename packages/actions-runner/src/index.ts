export { ActionsRunner } from './actions-runner.js';
export { inputs } from './inputs.js';
export { runAction, notImplemented } from './run-action.js';
