import os from 'node:os';
import path from 'node:path';
import { inputs } from '@ferry/actions-runner';
import { CHECK_IDS, type FailOn } from '@ferry/checks';
import { closest, fail } from '@ferry/core';

export interface LintSettings {
  configPath: string;
  failOn?: FailOn;
  only?: string[];
  reportPath: string;
}

export function readSettings(): LintSettings {
  const failOn = inputs.string('fail-on');
  if (failOn && !['error', 'warning', 'never'].includes(failOn)) fail('FERRY_INPUT', `input "fail-on" must be error, warning or never, got "${failOn}"`);
  const only = inputs.string('only')?.split(',').map((s) => s.trim()).filter(Boolean);
  for (const id of only ?? []) {
    if (!CHECK_IDS.includes(id)) fail('FERRY_INPUT', `input "only" names an unknown check "${id}"${closest(id, CHECK_IDS) ? `; did you mean "${closest(id, CHECK_IDS)}"?` : ''}`, { hint: `Checks: ${CHECK_IDS.join(', ')}.` });
  }
  return {
    configPath: inputs.string('config') ?? 'ferry.yml',
    failOn: failOn as FailOn | undefined,
    only,
    reportPath: path.resolve(inputs.string('report-path') ?? path.join(process.env.RUNNER_TEMP || os.tmpdir(), 'ferry', 'lint-and-test.xml')),
  };
}
