import type { Environment, StoredRelease } from '@ferry/core';
import type { DeployContext } from '@ferry/deploy';
import type { Fetch } from '@ferry/airflow';
import type { SecretResolver } from '../secrets.js';
import type { CheckGroup, CheckResult } from '../types.js';
import type { Warehouse, WarehouseEngine } from '../warehouse.js';

/** Test seams: a clock and sleeper (the watch window and Airflow waits), fetch, and warehouse engines. */
export interface SmokeRuntime {
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  fetch?: Fetch;
  engines?: Record<string, WarehouseEngine>;
}

export type SmokeContext = DeployContext & { smokeRuntime?: SmokeRuntime };

export interface CheckInput {
  ctx: SmokeContext;
  env: Environment;
  release: StoredRelease;
  secrets: SecretResolver;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** One warehouse connection per smoke run (opened on first use). */
  warehouse: () => Promise<Warehouse>;
}

/** Times `fn`; an exception becomes a failed check whose detail is the error (secrets redacted). */
export async function timed(group: CheckGroup, name: string, input: Pick<CheckInput, 'secrets'>, fn: () => Promise<{ ok: boolean; detail: string }>): Promise<CheckResult> {
  const t0 = performance.now();
  let r: { ok: boolean; detail: string };
  try {
    r = await fn();
  } catch (e) {
    const msg = e instanceof Error ? ((e as { problems?: { message: string }[] }).problems?.map((p) => p.message).join('; ') ?? e.message) : String(e);
    r = { ok: false, detail: msg };
  }
  return { group, name, ok: r.ok, detail: input.secrets.redact(r.detail), durationMs: Math.round(performance.now() - t0) };
}
