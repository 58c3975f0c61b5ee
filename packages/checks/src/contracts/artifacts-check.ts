import { ERROR_CODES } from '@ferry/core';
import { enabledKinds } from '@ferry/kinds';
import type { Check, Finding } from '../types.js';

/**
 * What a build would refuse, found before it runs: every declared artifact
 * kind's own validation (missing dbt_project.yml, kinds this version cannot
 * ship, …). Configs and DAG files have checks of their own.
 */
export const artifactsCheck: Check = {
  id: 'artifacts',
  title: 'Artifacts',
  notApplicable: (config) => (enabledKinds(config).some((k) => k.name !== 'configs' && k.name !== 'dags') ? undefined : 'only configs and DAGs declared (checked below)'),
  async run(ctx) {
    const findings: Finding[] = [];
    for (const kind of enabledKinds(ctx.config)) {
      if (kind.name === 'configs' || kind.name === 'dags') continue;
      for (const p of await kind.validate({ ...ctx, secret: () => undefined })) {
        findings.push({ check: 'artifacts', rule: p.code, severity: p.severity ?? 'error', message: p.message, file: p.location?.file, line: p.location?.line, column: p.location?.column, hint: p.hint ?? ERROR_CODES[p.code] });
      }
    }
    return { findings };
  },
};
