import type { Check } from '../types.js';

// Placeholder: dbt schema.yml parse and contract checks.
export const dbtContractsCheck: Check = {
  id: 'dbt-contracts',
  title: 'dbt schema and contracts',
  notApplicable: (config) => (config.artifacts.dbt ? 'not implemented yet' : 'no artifacts.dbt in ferry.yml'),
  async run() {
    return { findings: [] };
  },
};
