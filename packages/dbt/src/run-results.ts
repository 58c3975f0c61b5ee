import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { fail } from '@ferry/core';
import runResultsV6Schema from '../schemas/run-results-v6.schema.json' with { type: 'json' };

export const RUN_RESULTS_V6 = 'https://schemas.getdbt.com/dbt/run-results/v6.json';

/** The fields of a v6 run result that ferry reads (the schema has them all). */
export interface RunResult {
  unique_id: string;
  status: string;
  message: string | null;
  failures: number | null;
}

export interface RunResults {
  metadata: { dbt_schema_version: string; dbt_version?: string };
  results: RunResult[];
  elapsed_time: number;
}

let validator: ValidateFunction | undefined;

/** Validates a parsed run_results.json against dbt's run-results v6 JSON Schema; the problems, or [] when it is valid. */
export function validateRunResultsV6(data: unknown): string[] {
  validator ??= new Ajv2020({ strict: false, allErrors: true, verbose: true }).compile(runResultsV6Schema);
  if (validator(data)) return [];
  return summarize(validator.errors ?? []);
}

/** The schema version a run_results.json says it is: "v5", "v6", … */
export function schemaVersionOf(data: unknown): string | undefined {
  const v = (data as { metadata?: { dbt_schema_version?: unknown } } | null)?.metadata?.dbt_schema_version;
  if (typeof v !== 'string') return undefined;
  return /\/run-results\/(v\d+)\.json$/.exec(v)?.[1] ?? v;
}

/** A run_results.json read and checked: v6, valid against dbt's schema; unique ids in camelCase for callers. */
export function readRunResults(input: string | Buffer, where: { file?: string } = {}): { dbtVersion?: string; results: { uniqueId: string; status: string; message: string | null; failures: number | null }[] } {
  const file = where.file ?? 'run_results.json';
  let data: unknown;
  try {
    data = JSON.parse(input.toString());
  } catch (e) {
    return fail('FERRY_DBT_RUN_RESULTS', `${file} is not JSON: ${(e as Error).message}`, { location: { file } });
  }
  const version = schemaVersionOf(data);
  if (version !== 'v6') fail('FERRY_DBT_RUN_RESULTS', `${file} is run-results schema ${version ?? '(unknown)'}; ferry reads run-results schema v6`, { location: { file } });
  const problems = validateRunResultsV6(data);
  if (problems.length) fail('FERRY_DBT_RUN_RESULTS', `${file} does not match dbt's run-results v6 schema: ${problems.slice(0, 5).join('; ')}`, { location: { file } });
  const rr = data as RunResults;
  return { dbtVersion: rr.metadata.dbt_version, results: rr.results.map((r) => ({ uniqueId: r.unique_id, status: r.status, message: r.message, failures: r.failures })) };
}

/**
 * One line per failing place. A value that matches no branch of an anyOf
 * (status, failures, …) gives one line with what each branch wanted, not one per branch.
 */
function summarize(errors: ErrorObject[]): string[] {
  const byPath = new Map<string, ErrorObject[]>();
  for (const e of errors) byPath.set(e.instancePath, [...(byPath.get(e.instancePath) ?? []), e]);
  const lines: string[] = [];
  for (const [where, group] of byPath) {
    const at = where || '/';
    const branches = group.filter((e) => e.keyword !== 'anyOf');
    if (group.some((e) => e.keyword === 'anyOf') && branches.length) {
      const wanted = new Set<string>();
      for (const e of branches) {
        if (e.keyword === 'enum') for (const v of (e.params as { allowedValues: unknown[] }).allowedValues) wanted.add(JSON.stringify(v));
        else if (e.keyword === 'type') wanted.add(String((e.params as { type: unknown }).type));
        else wanted.add(e.message ?? e.keyword);
      }
      lines.push(`${at} is ${JSON.stringify(branches[0]!.data)}, expected ${[...wanted].join(' | ')}`);
      continue;
    }
    for (const e of group) {
      const extra = e.keyword === 'additionalProperties' ? ` (${String((e.params as { additionalProperty?: string }).additionalProperty)})` : '';
      const line = `${at} ${e.message ?? 'is invalid'}${extra}`;
      if (!lines.includes(line)) lines.push(line);
    }
  }
  return lines;
}
