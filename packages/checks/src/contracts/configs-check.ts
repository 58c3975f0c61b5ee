import { ERROR_CODES } from '@ferry/core';
import { configsKind } from '@ferry/kinds';
import type { Check } from '../types.js';

/** Config files parse, match their JSON Schemas as rendered for every environment, and hold no secrets in clear. */
export const configsCheck: Check = {
  id: 'configs',
  title: 'Configs',
  notApplicable: (config) => (config.artifacts.configs ? undefined : 'no artifacts.configs in ferry.yml'),
  async run(ctx) {
    const problems = await configsKind.validate({ ...ctx, secret: () => undefined });
    return {
      findings: problems.map((p) => ({
        check: 'configs',
        rule: p.code,
        severity: p.severity ?? 'error',
        message: p.message,
        file: p.location?.file,
        line: p.location?.line,
        column: p.location?.column,
        hint: p.hint ?? ERROR_CODES[p.code],
      })),
    };
  },
};
