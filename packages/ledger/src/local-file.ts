import fs from 'node:fs';
import os from 'node:os';
import { fail, writeFileAtomic, type DeploymentRecord, type Ledger, type StartDeployment } from '@ferry/core';
import { foldEvents, type EventEntry, type LedgerEvent, type RecordBase } from './events.js';

interface Stored extends RecordBase {
  production: boolean;
  manifestDigest: string;
  events: EventEntry[];
}

interface LedgerFile {
  format: 'ferry.ledger/v1';
  deployments: Stored[];
}

/**
 * The CLI's ledger: one JSON file (by default .ferry/ledger.json), rewritten
 * atomically on every change, so a crash leaves the previous version intact.
 */
export class LocalFileLedger implements Ledger {
  readonly description: string;

  constructor(
    private readonly file: string,
    private readonly who: () => string = () => os.userInfo().username,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.description = `file:${file}`;
  }

  async start(input: StartDeployment): Promise<DeploymentRecord> {
    const data = this.read();
    const id = String(data.deployments.reduce((m, d) => Math.max(m, Number(d.id)), 0) + 1);
    const at = this.now().toISOString();
    const stored: Stored = {
      id,
      environment: input.environment,
      releaseId: input.releaseId,
      version: input.version,
      commit: input.commit,
      ref: input.ref,
      createdAt: at,
      creator: this.who(),
      production: input.production,
      manifestDigest: input.manifestDigest,
      ...(input.rollbackOf ? { rollbackOf: input.rollbackOf } : {}),
      ...(input.logUrl ? { logUrl: input.logUrl } : {}),
      ...(input.approval ? { approval: input.approval } : {}),
      events: [{ event: 'in_progress', at, description: input.description }],
    };
    data.deployments.push(stored);
    this.write(data);
    return toRecord(stored);
  }

  async finish(id: string, outcome: 'success' | 'failure', description: string): Promise<void> {
    this.append(id, outcome, description);
  }

  async verify(id: string, result: 'verified' | 'failed', description: string): Promise<void> {
    this.append(id, result === 'verified' ? 'verified' : 'verify_failed', description);
  }

  async *records(environment: string): AsyncIterable<DeploymentRecord> {
    const list = this.read().deployments.filter((d) => d.environment === environment);
    for (let i = list.length - 1; i >= 0; i--) yield toRecord(list[i]!);
  }

  private append(id: string, event: LedgerEvent, description: string): void {
    const data = this.read();
    const d = data.deployments.find((x) => x.id === id);
    if (!d) fail('FERRY_LEDGER', `no deployment ${id} in ${this.file}`);
    d.events.push({ event, at: this.now().toISOString(), description });
    this.write(data);
  }

  private read(): LedgerFile {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (e) {
      // Only a missing file is an empty ledger; anything else must not be overwritten.
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { format: 'ferry.ledger/v1', deployments: [] };
      return fail('FERRY_LEDGER', `cannot read ledger ${this.file}: ${(e as Error).message}`, { location: { file: this.file }, hint: 'Point --ledger at a file (it is created on the first deploy).' });
    }
    try {
      const data = JSON.parse(text) as LedgerFile;
      if (data.format !== 'ferry.ledger/v1' || !Array.isArray(data.deployments)) throw new Error('not a ferry ledger');
      return data;
    } catch (e) {
      return fail('FERRY_LEDGER', `${this.file} is not a readable ferry ledger: ${(e as Error).message}`, {
        location: { file: this.file },
        hint: 'Restore it from version control or backup; ferry never rewrites it partially.',
      });
    }
  }

  private write(data: LedgerFile): void {
    writeFileAtomic(this.file, JSON.stringify(data, null, 2) + '\n');
  }
}

function toRecord(d: Stored): DeploymentRecord {
  const { events, production: _p, manifestDigest: _m, ...base } = d;
  return foldEvents(base, events);
}
