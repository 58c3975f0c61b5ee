// External tools of lint-and-test: each runs without a shell and turns the
// tool's machine-readable output into findings (see common.ts for the shared parts).
export { sqlfluffCheck } from './sqlfluff.js';
export { yamllintCheck } from './yamllint.js';
export { flake8Check } from './flake8.js';
export { ruffCheck } from './ruff.js';
export { pytestCheck } from './pytest.js';
export { dbtCheck } from './dbt.js';
