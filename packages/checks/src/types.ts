import type { FerryConfig, Runner } from '@ferry/core';

export type Severity = 'error' | 'warning' | 'info';

/** One thing a check found. Paths are POSIX, relative to the folder holding ferry.yml. */
export interface Finding {
  /** Id of the check that found it: dags, configs, dbt-contracts, sqlfluff, … */
  check: string;
  /** Rule id within the check: DAG101, LT01, E501, FERRY_CONFIG_FILE_SCHEMA, test-failure, … */
  rule: string;
  severity: Severity;
  message: string;
  file?: string;
  line?: number;
  column?: number;
  endLine?: number;
  endColumn?: number;
  /** How to fix it, when the check knows. */
  hint?: string;
}

export interface CheckOutcome {
  findings: Finding[];
  /** Set when the check did not run, and why (nothing to check, tool not configured, …). */
  skipped?: string;
  /** Counts for the report, e.g. { files: 16, dags: 9 }. */
  stats?: Record<string, number>;
}

export interface CheckResult extends CheckOutcome {
  id: string;
  title: string;
  durationMs: number;
}

export interface CheckContext {
  config: FerryConfig;
  runner: Runner;
  /** A private folder for reports tools write (JUnit XML, JSON). */
  tmpDir: string;
}

/**
 * One check of lint-and-test. Each runs independently: a failing or missing
 * tool is a finding of its own check, never a reason to skip the others.
 */
export interface Check {
  readonly id: string;
  readonly title: string;
  /** Why it does not apply to this project (not declared / not configured), or undefined when it runs. */
  notApplicable(config: FerryConfig): string | undefined;
  run(ctx: CheckContext): Promise<CheckOutcome>;
}

export const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
