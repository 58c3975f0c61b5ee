import type { Check } from '../types.js';

// Placeholder: DAG integrity lands here (python3 + ast helper, rules DAG0xx/DAG1xx).
export const dagsCheck: Check = {
  id: 'dags',
  title: 'DAG integrity',
  notApplicable: (config) => (config.artifacts.dags ? 'not implemented yet' : 'no artifacts.dags in ferry.yml'),
  async run() {
    return { findings: [] };
  },
};
