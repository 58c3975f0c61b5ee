import { FerryError, problem } from '@ferry/core';
import { isLoopback } from './reference.js';

/** Comma-separated registries (host:port) on this machine that ferry may reach over plain http. */
export const INSECURE_VARIABLE = 'FERRY_REGISTRY_INSECURE';

/**
 * The opt-in for plain-http registries: FERRY_REGISTRY_INSECURE, e.g.
 * `localhost:5000,127.0.0.1:5001`. Only loopback registries are accepted, so
 * a typo cannot send credentials or images over plain HTTP across a network.
 */
export function insecureRegistries(env: NodeJS.ProcessEnv = process.env): string[] {
  const list = (env[INSECURE_VARIABLE] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = list.filter((r) => !isLoopback(r));
  if (bad.length) {
    throw new FerryError(problem('FERRY_REGISTRY_INSECURE', `${INSECURE_VARIABLE} names ${bad.join(', ')}: plain http is allowed only for registries on this machine (localhost, 127.0.0.0/8, [::1])`));
  }
  return list;
}
