
import type { Runner } from '../runner/runner.js';
import type { ReleaseFile } from './release.js';

/** The files a target should hold, and a way to materialise any of them. */
export interface SourceTree {
  files: ReleaseFile[];
  /** Writes the listed paths under `dir`, checking each against its sha256. */
  extract(paths: string[], dir: string): Promise<void>;
}

export interface TargetState {
  /** Release the target's own marker names; undefined for an empty or unmanaged target. */
  releaseId?: string;
  /** Files as the marker lists them (path -> sha256). */
  files: Map<string, string>;
  /** Anything the target knows about an earlier interrupted apply. */
  notes: string[];
}

export interface ApplyStats {
  written: number;
  reused: number;
  removed: number;
  bytesWritten: number;
}

/**
 * A place one artifact kind is deployed to in one environment.
 * Implementations: local directory (now), S3 and GCS (later); all pass the
 * conformance suite in @ferry/targets.
 */
export interface Target {
  /** e.g. `local:/srv/airflow/dags`. */
  readonly description: string;
  /** What the target says it holds, from its marker; cheap. */
  state(): Promise<TargetState>;
  /** Hashes what is actually there (for verify); ignores ferry's marker. */
  scan(): Promise<Map<string, string>>;
  /**
   * Prepares the target to hold exactly `source` (marked with `releaseId`)
   * without changing what readers see. If staging fails halfway, the old
   * release is still live and a re-run converges. The target stays locked
   * until the staged change is committed or aborted.
   */
  stage(source: SourceTree, releaseId: string, runner: Runner): Promise<Staged>;
}

/**
 * A prepared change. Deploys stage every kind first and commit only when all
 * staged, so a failure in one kind never leaves another kind half-switched.
 */
export interface Staged {
  stats: ApplyStats;
  /** Makes the staged tree live in one atomic step. */
  commit(): Promise<void>;
  /** Drops the staged change; what was live stays live. */
  abort(): Promise<void>;
  /** After commit: makes the previous tree live again (used when a later kind fails to commit). */
  revert(): Promise<void>;
}

/** Stages and commits in one go. */
export async function applyTo(target: Target, source: SourceTree, releaseId: string, runner: Runner): Promise<ApplyStats> {
  const staged = await target.stage(source, releaseId, runner);
  try {
    await staged.commit();
  } catch (e) {
    await staged.abort();
    throw e;
  }
  return staged.stats;
}
