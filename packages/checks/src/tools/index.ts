import type { Check } from '../types.js';

// Placeholders: external tool checks land here, one file each.
const pending = (id: string, title: string): Check => ({
  id,
  title,
  notApplicable: (config) => ((config.checks as Record<string, unknown>)[id] ? 'not implemented yet' : `checks.${id} is not configured in ferry.yml`),
  async run() {
    return { findings: [] };
  },
});

export const sqlfluffCheck = pending('sqlfluff', 'sqlfluff');
export const yamllintCheck = pending('yamllint', 'yamllint');
export const flake8Check = pending('flake8', 'flake8');
export const ruffCheck = pending('ruff', 'ruff');
export const pytestCheck = pending('pytest', 'pytest');
export const dbtCheck = pending('dbt', 'dbt test / build');
