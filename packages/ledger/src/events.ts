import type { DeploymentRecord } from '@ferry/core';

/**
 * A ledger stores, per deployment, an append-only list of events; the
 * record's outcome and verification are folded from them. GitHub keeps these
 * as deployment statuses, the local ledger as a JSON list: one fold for both.
 */
export type LedgerEvent = 'in_progress' | 'success' | 'failure' | 'verified' | 'verify_failed';

export interface EventEntry {
  event: LedgerEvent;
  at: string;
  description?: string;
}

export type RecordBase = Omit<DeploymentRecord, 'outcome' | 'verification' | 'verifiedAt'>;

export function foldEvents(base: RecordBase, events: readonly EventEntry[]): DeploymentRecord {
  let outcome: DeploymentRecord['outcome'] = 'in_progress';
  let verification: DeploymentRecord['verification'] = null;
  let verifiedAt: string | undefined;
  // Events are folded oldest first.
  for (const e of [...events].sort((a, b) => a.at.localeCompare(b.at))) {
    if (e.event === 'success' || e.event === 'failure' || e.event === 'in_progress') outcome = e.event;
    else if (e.event === 'verified' || e.event === 'verify_failed') {
      verification = e.event === 'verified' ? 'verified' : 'failed';
      verifiedAt = e.at;
    }
  }
  return { ...base, outcome, verification, ...(verifiedAt ? { verifiedAt } : {}) };
}
