import { formatProblem, type Problem } from '@ferry/core';
import { verifyEnvironment } from '@ferry/deploy';
import type { CheckResult } from '../types.js';
import { timed, type CheckInput } from './context.js';

/** Every target holds exactly the release's files (each kind's own verify). */
export async function filesChecks(input: CheckInput): Promise<CheckResult[]> {
  let problems: Problem[] = [];
  const result = await timed('files', 'targets hold the release', input, async () => {
    const r = await verifyEnvironment(input.ctx, input.env.name, { record: false });
    problems = r.problems;
    return r.ok ? { ok: true, detail: `every target holds exactly release ${r.deployment.version}'s files` } : { ok: false, detail: r.problems.map((p) => formatProblem(p)).join('; ') };
  });
  return [problems.length ? { ...result, problems } : result];
}
