import { artifactsCheck } from './contracts/artifacts-check.js';
import { configsCheck } from './contracts/configs-check.js';
import { dbtContractsCheck } from './contracts/dbt-contracts-check.js';
import { dagsCheck } from './dags/dags-check.js';
import { dbtCheck, flake8Check, pytestCheck, ruffCheck, sqlfluffCheck, yamllintCheck } from './tools/index.js';
import type { Check } from './types.js';

/** Every check, in report order: ferry's own first, then external tools. */
export const CHECKS: readonly Check[] = [artifactsCheck, dagsCheck, configsCheck, dbtContractsCheck, sqlfluffCheck, yamllintCheck, flake8Check, ruffCheck, pytestCheck, dbtCheck];

export const CHECK_IDS = CHECKS.map((c) => c.id);
