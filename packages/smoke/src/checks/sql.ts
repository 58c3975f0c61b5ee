import { durationMs, type SqlCheck } from '@ferry/core';
import { checkContracts, compileTests, releaseManifest } from '../dbt.js';
import type { CheckResult } from '../types.js';
import type { Warehouse } from '../warehouse.js';
import { timed, type CheckInput } from './context.js';

/** `smoke.sql`: declared queries with expectations, dbt generic tests and contracts, against the environment's warehouse. */
export async function sqlChecks(input: CheckInput): Promise<CheckResult[]> {
  const cfg = input.env.smoke.sql;
  if (!cfg) return [];
  const out: CheckResult[] = [];
  let wh: Warehouse;
  try {
    wh = await input.warehouse();
  } catch (e) {
    return [await timed('sql', 'connect', input, () => Promise.reject(e))];
  }
  for (const c of cfg.checks) out.push(await timed('sql', c.name, input, () => runCheck(wh, c)));
  const schema = cfg.schema;
  if (cfg.dbt_tests || cfg.contracts) {
    const manifest = await releaseManifest(input.release).catch((e: unknown) => e as Error);
    if (manifest instanceof Error || manifest === undefined) {
      const why = manifest instanceof Error ? manifest.message : `release ${input.release.manifest.version} has no dbt manifest (artifacts.dbt.compile is not set)`;
      out.push({ group: 'sql', name: 'dbt manifest', ok: false, detail: why, durationMs: 0 });
      return out;
    }
    if (cfg.dbt_tests) {
      const { tests, skipped } = compileTests(manifest, wh, schema);
      for (const t of tests) {
        out.push(
          await timed('sql', `dbt ${t.label}`, input, async () => {
            const rows = await wh.query(t.sql);
            const failures = Number(rows[0]?.failures ?? 0);
            if (failures === 0) return { ok: true, detail: `${t.name}: 0 failing rows` };
            return { ok: t.severity === 'warn', detail: `${t.name}: ${failures} failing row(s)${t.severity === 'warn' ? ' (severity warn: not counted)' : ''}` };
          }),
        );
      }
      if (skipped.length) input.ctx.runner.info(`smoke: dbt tests not run (not a built-in generic test): ${skipped.join(', ')}`);
    }
    if (cfg.contracts) {
      const t0 = performance.now();
      for (const r of await checkContracts(manifest, wh, schema)) {
        out.push({ group: 'sql', name: `contract ${r.model}`, ok: r.ok, detail: `${r.relation}: ${r.detail}`, durationMs: Math.round(performance.now() - t0) });
      }
    }
  }
  return out;
}

async function runCheck(wh: Warehouse, c: SqlCheck): Promise<{ ok: boolean; detail: string }> {
  if ('rows' in c) {
    const { min, max } = c.rows;
    // Counted in the warehouse, reading no more rows than the bounds need.
    const cap = max !== undefined ? max + 1 : min;
    const inner = `select 1 from (${stripSemicolon(c.query)}) ferry_q${cap !== undefined ? ` limit ${cap}` : ''}`;
    const n = Number((await wh.query(`select count(*) as n from (${inner}) ferry_rows`))[0]?.n ?? 0);
    const ok = (min === undefined || n >= min) && (max === undefined || n <= max);
    const bounds = [min !== undefined ? `at least ${min}` : '', max !== undefined ? `at most ${max}` : ''].filter(Boolean).join(' and ');
    const counted = max !== undefined && n > max ? `more than ${max} row(s)` : max === undefined && min !== undefined && n >= min ? `at least ${min} row(s)` : `${n} row(s)`;
    return { ok, detail: `${counted}${ok ? '' : `, expected ${bounds}`}` };
  }
  if ('assert_empty' in c) {
    const rows = await wh.query(`select * from (${stripSemicolon(c.assert_empty)}) ferry_assert limit 6`);
    if (rows.length === 0) return { ok: true, detail: 'no rows' };
    const sample = rows.slice(0, 5).map((r) => JSON.stringify(r)).join(', ');
    return { ok: false, detail: `${rows.length > 5 ? 'more than 5' : rows.length} row(s), expected none: ${sample.slice(0, 400)}` };
  }
  const { table, column, max_age } = c.freshness;
  const rel = table.split('.').map((p) => wh.quote(p)).join('.');
  const rows = await wh.query(`select max(${wh.quote(column)}) as newest, extract(epoch from (now() - max(${wh.quote(column)}))) * 1000 as age_ms from ${rel}`);
  const newest = rows[0]?.newest;
  if (newest === null || newest === undefined) return { ok: false, detail: `${table} has no rows with ${column} set` };
  const age = Number(rows[0]?.age_ms);
  const limit = durationMs(max_age);
  const shown = newest instanceof Date ? newest.toISOString() : String(newest);
  return age <= limit ? { ok: true, detail: `newest ${column} ${shown} (${fmtAge(age)} old)` } : { ok: false, detail: `newest ${column} ${shown} is ${fmtAge(age)} old, more than ${max_age}` };
}

/** A query as written may end with a semicolon; inside a subquery it must not. */
function stripSemicolon(q: string): string {
  return q.trim().replace(/;\s*$/, '');
}

function fmtAge(ms: number): string {
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}
