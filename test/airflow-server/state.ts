/** Plain records of what the fake Airflow holds; tests read them directly. */
import { randomUUID } from 'node:crypto';

export interface DagVersionRecord {
  id: string;
  number: number;
  /** The file's text at this version (what dagSources returns). */
  source: string;
  createdAt: Date;
}

export interface DagRecord {
  dagId: string;
  /** The DAG file, relative to the DAG folder. */
  file: string;
  isPaused: boolean;
  /** False once its file is gone or no longer defines it (v1 is_active false, v2 is_stale true). */
  active: boolean;
  lastParsedTime: Date | null;
  versions: DagVersionRecord[];
  /** The schedule as the file writes it ("@daily", "PT1H"), for backfill dry runs. */
  schedule: string | null;
}

export interface ImportErrorRecord {
  id: number;
  /** Relative to the DAG folder. */
  file: string;
  stackTrace: string;
  timestamp: Date;
}

export interface VariableRecord {
  key: string;
  value: string;
  description: string | null;
}

export interface ConnectionRecord {
  connectionId: string;
  connType: string;
  description: string | null;
  host: string | null;
  login: string | null;
  password: string | null;
  schema: string | null;
  port: number | null;
  extra: string | null;
}

export type RunState = 'queued' | 'running' | 'success' | 'failed';

export interface DagRunRecord {
  id: number;
  dagId: string;
  runId: string;
  logicalDate: Date | null;
  state: RunState;
  runType: 'manual' | 'backfill';
  createdAt: Date;
  conf: Record<string, unknown>;
  backfillId?: number;
  /** How many times a client has looked at this run (runs advance as they are looked at). */
  polls: number;
}

export interface BackfillRecord {
  id: number;
  dagId: string;
  fromDate: Date;
  toDate: Date;
  maxActiveRuns: number;
  reprocessBehavior: 'failed' | 'completed' | 'none';
  dagRunConf: Record<string, unknown>;
  createdAt: Date;
  completedAt: Date | null;
  logicalDates: Date[];
}

export class AirflowState {
  readonly dags = new Map<string, DagRecord>();
  readonly importErrors = new Map<string, ImportErrorRecord>();
  readonly variables = new Map<string, VariableRecord>();
  readonly connections = new Map<string, ConnectionRecord>();
  readonly dagRuns: DagRunRecord[] = [];
  readonly backfills: BackfillRecord[] = [];
  /** Per DAG: the most runs that were queued or running at once (checks bounded concurrency). */
  readonly maxActiveRuns = new Map<string, number>();
  /** Tokens issued by /auth/token (→ username). */
  readonly issuedTokens = new Map<string, string>();
  private readonly counters = new Map<string, number>();

  constructor(readonly now: () => Date) {}

  nextId(kind: string): number {
    const n = (this.counters.get(kind) ?? 0) + 1;
    this.counters.set(kind, n);
    return n;
  }

  uuid(): string {
    return randomUUID();
  }

  activeRuns(dagId: string): DagRunRecord[] {
    return this.dagRuns.filter((r) => r.dagId === dagId && (r.state === 'queued' || r.state === 'running'));
  }

  /** Adds a run and records the concurrency it reaches. */
  addRun(run: Omit<DagRunRecord, 'id' | 'polls' | 'createdAt'>): DagRunRecord {
    const record: DagRunRecord = { ...run, id: this.nextId('run'), polls: 0, createdAt: this.now() };
    this.dagRuns.push(record);
    const active = this.activeRuns(run.dagId).length;
    this.maxActiveRuns.set(run.dagId, Math.max(this.maxActiveRuns.get(run.dagId) ?? 0, active));
    return record;
  }

  runFor(dagId: string, logicalDate: Date): DagRunRecord | undefined {
    return this.dagRuns.find((r) => r.dagId === dagId && r.logicalDate?.getTime() === logicalDate.getTime());
  }
}
