import fs from 'node:fs';
import { fail, type Plan } from '@ferry/core';
import type { PlanCounts } from './message.js';

/** Planned changes per kind (kinds without changes are left out; unchanged files are not counted). */
export function planCounts(plan: Pick<Plan, 'kinds'>): PlanCounts[] {
  const out: PlanCounts[] = [];
  for (const k of plan.kinds) {
    const c: PlanCounts = { kind: k.kind, create: 0, update: 0, delete: 0 };
    for (const ch of k.changes) if (ch.action !== 'noop') c[ch.action]++;
    if (c.create + c.update + c.delete > 0) out.push(c);
  }
  return out;
}

/** Reads a plan.json written by deploy-env (`plan-path` output) and counts its changes. */
export function readPlanCounts(file: string): PlanCounts[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    return fail('FERRY_INPUT', `plan-path: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)})`, { location: { file }, hint: 'Pass the `plan-path` output of a deploy-env step of the same job (plan files do not travel between jobs unless uploaded as an artifact).' });
  }
  let plan: unknown;
  try {
    plan = JSON.parse(text);
  } catch {
    return fail('FERRY_INPUT', `plan-path: ${file} is not JSON`, { location: { file }, hint: 'Pass the plan.json written by deploy-env (its `plan-path` output).' });
  }
  const p = plan as Partial<Plan>;
  if (p?.format !== 'ferry.plan/v1' || !Array.isArray(p.kinds)) {
    return fail('FERRY_INPUT', `plan-path: ${file} is not a ferry plan (format ferry.plan/v1)`, { location: { file, key: 'format' }, hint: 'Pass the plan.json written by deploy-env (its `plan-path` output).' });
  }
  return planCounts(p as Plan);
}
