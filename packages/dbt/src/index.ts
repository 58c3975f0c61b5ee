export * from './types.js';
export { readManifest, manifestVersionOf, SUPPORTED_MANIFEST_VERSIONS } from './manifest.js';
export { diffManifests } from './diff.js';
export { planDbt } from './plan.js';
export { readRunResults, validateRunResultsV6, schemaVersionOf, RUN_RESULTS_V6, type RunResult, type RunResults } from './run-results.js';
