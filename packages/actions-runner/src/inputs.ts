import * as core from '@actions/core';
import { fail } from '@ferry/core';

/** Action inputs with ferry's errors: a bad value says which input and what is allowed. */
export const inputs = {
  string(name: string): string | undefined {
    const v = core.getInput(name).trim();
    return v === '' ? undefined : v;
  },
  required(name: string): string {
    return inputs.string(name) ?? fail('FERRY_INPUT', `input "${name}" is required`, { hint: `Add \`${name}:\` under \`with:\` in the workflow step.` });
  },
  boolean(name: string, fallback = false): boolean {
    const v = inputs.string(name);
    if (v === undefined) return fallback;
    if (/^(true|yes|1)$/i.test(v)) return true;
    if (/^(false|no|0)$/i.test(v)) return false;
    return fail('FERRY_INPUT', `input "${name}" must be true or false, got "${v}"`);
  },
  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const v = inputs.string(name) ?? fallback;
    if ((allowed as readonly string[]).includes(v)) return v as T;
    return fail('FERRY_INPUT', `input "${name}" must be one of ${allowed.join(', ')}, got "${v}"`);
  },
  /** A token input, masked before anything else can print it. */
  secret(name: string): string | undefined {
    const v = inputs.string(name);
    if (v) core.setSecret(v);
    return v;
  },
};
