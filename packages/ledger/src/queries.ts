import type { DeploymentRecord, Ledger } from '@ferry/core';

/** The deployment the environment runs now: the newest that succeeded. */
export async function currentDeployment(ledger: Ledger, environment: string): Promise<DeploymentRecord | undefined> {
  for await (const r of ledger.records(environment)) if (r.outcome === 'success') return r;
  return undefined;
}

/**
 * The newest successful deployment of `releaseId` in `environment`, if any.
 * Promotion asks whether it was verified.
 */
export async function latestOfRelease(ledger: Ledger, environment: string, releaseId: string): Promise<DeploymentRecord | undefined> {
  for await (const r of ledger.records(environment)) if (r.releaseId === releaseId && r.outcome === 'success') return r;
  return undefined;
}

/**
 * Where a rollback goes: the newest successful deployment older than the
 * current one, of another release, skipping releases that were themselves
 * rolled back (so rolling back twice steps further back instead of toggling).
 */
export async function rollbackCandidate(ledger: Ledger, environment: string): Promise<{ current?: DeploymentRecord; target?: DeploymentRecord }> {
  let current: DeploymentRecord | undefined;
  // Ledgers may record only a prefix of the release rolled back from.
  const rolledBack = new Set<string>();
  const wasRolledBack = (id: string) => [...rolledBack].some((p) => id.startsWith(p));
  for await (const r of ledger.records(environment)) {
    if (r.outcome !== 'success') continue;
    if (!current) {
      current = r;
    } else if (r.releaseId !== current.releaseId && !wasRolledBack(r.releaseId) && r.verification !== 'failed') {
      return { current, target: r };
    }
    if (r.rollbackOf) rolledBack.add(r.rollbackOf);
  }
  return { current };
}

/** Up to `limit` records, newest first. */
export async function history(ledger: Ledger, environment: string, limit = 20): Promise<DeploymentRecord[]> {
  const out: DeploymentRecord[] = [];
  for await (const r of ledger.records(environment)) {
    out.push(r);
    if (out.length >= limit) break;
  }
  return out;
}
