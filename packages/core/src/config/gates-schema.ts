import { Cron } from 'croner';
import * as rruleModule from 'rrule';
import { z } from 'zod';

/**
 * The gates of an environment in ferry.yml: smoke checks after a deploy,
 * the approval a deploy needs, and freeze windows. Durations are strings such
 * as "90s", "15m", "6h", "2d".
 */

export const duration = z
  .string()
  .regex(/^\d+(\.\d+)?\s*(ms|s|m|h|d|w)$/, 'a duration such as 30s, 15m, 6h or 2d')
  .describe('A duration: a number and ms, s, m, h, d or w.');

const named = { name: z.string().min(1).describe('Shown in the report.') };

export const SqlCheckSchema = z.union([
  z.strictObject({ ...named, query: z.string().min(1).describe('SELECT whose rows are counted.'), rows: z.strictObject({ min: z.int().min(0).optional(), max: z.int().min(0).optional() }).describe('Bounds on the number of rows.') }),
  z.strictObject({ ...named, assert_empty: z.string().min(1).describe('SELECT that must return no rows (like a dbt singular test).') }),
  z.strictObject({
    ...named,
    freshness: z.strictObject({ table: z.string().min(1), column: z.string().min(1).describe('Timestamp column.'), max_age: duration.describe('The newest row must be at most this old.') }),
  }),
]);

export const SmokeSchema = z
  .strictObject({
    files: z.boolean().default(true).describe('Every target holds exactly the release\'s files (the check ferry verify runs).'),
    airflow: z
      .strictObject({
        dags: z.array(z.string().min(1)).default([]).describe('DAGs that must be present, parsed at the new version and without import errors.'),
        active: z.boolean().default(true).describe('The listed DAGs must not be paused.'),
        run: z.strictObject({ dag: z.string().min(1), timeout: duration.default('10m'), conf: z.record(z.string(), z.unknown()).optional() }).optional().describe('Trigger this DAG and wait for its run to succeed.'),
      })
      .optional()
      .describe('Checks through the environment\'s Airflow API (environments[].airflow).'),
    sql: z
      .strictObject({
        engine: z.enum(['postgres']).default('postgres').describe('Warehouse driver; PostgreSQL first, others implement the same interface.'),
        connection: z.string().min(1).describe('Connection URL, e.g. "${secret:WAREHOUSE_URL}" (a postgres:// URL).'),
        checks: z.array(SqlCheckSchema).default([]),
        dbt_tests: z.boolean().default(false).describe('Run the deployed models\' generic tests (not_null, unique, accepted_values, relationships) compiled to SQL from the release\'s manifest.'),
        contracts: z.boolean().default(false).describe('Compare the live columns and types of models with an enforced contract with their declared contract.'),
        timeout: duration.default('60s').describe('Statement timeout per query.'),
        schema: z.string().min(1).optional().describe('The schema dbt builds this environment\'s models in (its target\'s schema): dbt_tests and contracts look for models there, a custom schema x as <schema>_x (dbt\'s default generate_schema_name). Default: the relations as compiled in the release\'s manifest.'),
      })
      .optional(),
    http: z
      .array(
        z.strictObject({
          ...named,
          url: z.url(),
          method: z.enum(['GET', 'HEAD', 'POST']).default('GET'),
          status: z.int().min(100).max(599).default(200),
          body: z.string().optional().describe('A regular expression the body must match.'),
          max_latency: duration.optional(),
          headers: z.record(z.string(), z.string()).optional().describe('Values may be ${secret:NAME} references.'),
        }),
      )
      .default([]),
    command: z
      .array(z.strictObject({ ...named, run: z.array(z.string().min(1)).min(1).describe('argv, run in the folder holding ferry.yml, never through a shell.'), timeout: duration.default('5m') }))
      .default([]),
    watch: z
      .strictObject({
        for: duration.describe('How long to keep watching after the first pass, e.g. 15m.'),
        every: duration.default('1m'),
        checks: z.array(z.enum(['files', 'airflow', 'sql', 'http', 'command'])).min(1).default(['http', 'sql']).describe('Which check groups to re-run.'),
      })
      .optional()
      .describe('Post-deploy watch window: the chosen checks re-run on an interval; a failure within the window fails the deployment.'),
    auto_rollback: z.boolean().default(false).describe('On failure, redeploy the environment\'s last verified release and verify it (never a rollback of a rollback).'),
  })
  .describe('Smoke checks the smoke-test action (and ferry verify) runs after a deploy.');

export const ApprovalSchema = z
  .strictObject({
    mode: z.enum(['environment', 'comment']).default('environment').describe('environment: GitHub environment reviewers (ferry checks their approvals); comment: ferry\'s own /approve flow on an issue or pull request.'),
    min_approvals: z.int().min(1).max(10).default(1).describe('Distinct approvers needed.'),
    allowed: z.array(z.string().min(1)).default([]).describe('Who may approve: GitHub logins and "@org/team" slugs (empty: anyone with access).'),
    allow_self_approval: z.boolean().default(false).describe('Whether the release\'s author or the run\'s actor may approve.'),
    timeout: duration.default('24h').describe('comment mode: with no decision by then the approval fails (closed).'),
  })
  .describe('What approving a deploy to this environment takes (require-approval).');

/** An IANA time zone the runtime knows (checked at config load, so `ferry check` reports it with its line). */
const timezone = z
  .string()
  .default('UTC')
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, 'an IANA time zone such as Europe/Berlin, America/New_York or UTC')
  .describe('IANA time zone the starts are read in (daylight saving time included).');

// rrule ships CommonJS (Node: everything under `default`) and ESM (bundlers: named exports).
const rrulestr: typeof rruleModule.rrulestr = rruleModule.rrulestr ?? (rruleModule as unknown as { default: typeof rruleModule }).default.rrulestr;

/** Why a cron pattern is invalid (croner reads it as the freeze evaluation does), or undefined. */
function cronProblem(pattern: string): string | undefined {
  try {
    new Cron(pattern, { paused: true });
    return undefined;
  } catch (e) {
    return (e as Error).message.replace(/^CronPattern: /, '');
  }
}

/**
 * A freeze window's RRULE (the rule part only; DTSTART and TZID belong in
 * `timezone`), expanded from a fixed floating start. Throws an Error saying
 * what is wrong. The loader checks rules with it, and freeze evaluation
 * (@ferry/approval) expands them with it.
 */
export function parseFreezeRrule(text: string): ReturnType<typeof rrulestr> {
  const rule = text.trim().replace(/^RRULE:/i, '');
  if (/DTSTART|TZID/i.test(rule)) throw new Error('write only the RRULE part (FREQ=...;BYDAY=...); the time zone goes in `timezone`');
  const start = new Date(Date.UTC(2000, 0, 1));
  const parsed = rrulestr(`RRULE:${rule}`, { dtstart: start });
  parsed.after(start, true); // some invalid parts only throw when expanded
  return parsed;
}

/** Why an RRULE is invalid, or undefined. */
function rruleProblem(text: string): string | undefined {
  try {
    parseFreezeRrule(text);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

const cron = z
  .string()
  .min(1)
  .superRefine((v, ctx) => {
    const why = cronProblem(v);
    if (why) ctx.addIssue({ code: 'custom', message: `"${v}" is not a valid cron expression: ${why}` });
  });
const rrule = z
  .string()
  .min(1)
  .superRefine((v, ctx) => {
    const why = rruleProblem(v);
    if (why) ctx.addIssue({ code: 'custom', message: `"${v}" is not a valid RFC 5545 RRULE: ${why}` });
  });

export const FreezeWindowSchema = z.union([
  z.strictObject({ ...named, from: z.iso.datetime({ offset: true }).describe('One-off window start (ISO 8601 with offset).'), to: z.iso.datetime({ offset: true }).describe('One-off window end (exclusive).') }),
  z.strictObject({ ...named, cron: cron.describe('When each window starts (5-field cron, read by croner).'), duration, timezone }),
  z.strictObject({ ...named, rrule: rrule.describe('RFC 5545 RRULE (without DTSTART) for the window starts, e.g. FREQ=WEEKLY;BYDAY=FR;BYHOUR=16;BYMINUTE=0;BYSECOND=0.'), duration, timezone }),
]);

export type SmokeConfig = z.output<typeof SmokeSchema>;
export type ApprovalConfig = z.output<typeof ApprovalSchema>;
export type FreezeWindow = z.output<typeof FreezeWindowSchema>;
export type SqlCheck = z.output<typeof SqlCheckSchema>;

/** Milliseconds of a duration string ("15m"). */
export function durationMs(d: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/.exec(d.trim());
  if (!m) throw new Error(`not a duration: ${d}`);
  const unit = { ms: 1, s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5 }[m[2] as 'ms'];
  return Math.round(Number(m[1]) * unit);
}
