/**
 * The logical dates of a planned DAG backfill: every fire time of the DAG's
 * schedule in [from, to). The plan (DagBackfill) gives the range and the
 * schedule as dag_facts.py wrote it: a preset ("@daily"), a 5-field cron
 * (read in `timezone` when set, as Airflow reads cron on the DAG's wall
 * clock) or an ISO 8601 duration for a timedelta schedule ("PT1H",
 * "P1DT12H", counted from `from`, which is one of its fire times).
 *
 * Some of these dates may have runs already (a changed schedule keeps the
 * old schedule's runs): Airflow 3's dry run skips them, and Airflow 2
 * answers 409 when one is triggered; both are counted as existing.
 */
import { Cron } from 'croner';
import type { DagBackfill } from '@ferry/core';

const PRESETS: Record<string, string> = {
  '@hourly': '0 * * * *',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@weekly': '0 0 * * 0',
  '@monthly': '0 0 1 * *',
  '@quarterly': '0 0 1 */3 *',
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
};

const DURATION = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** The dates, or a string saying why they cannot be computed. At most `cap` dates. */
export function logicalDates(b: Pick<DagBackfill, 'from' | 'to' | 'schedule' | 'timezone'>, cap = 10_000): Date[] | string {
  if (!b.from || !b.to || !b.schedule) return 'the plan has no range or schedule for it';
  const from = Date.parse(b.from);
  const to = Date.parse(b.to);
  if (Number.isNaN(from) || Number.isNaN(to)) return `the range ${b.from} → ${b.to} is not a pair of dates`;
  const schedule = b.schedule.trim();
  const out: Date[] = [];
  const duration = DURATION.exec(schedule);
  if (duration && schedule !== 'P' && schedule !== 'PT') {
    const [, d = '0', h = '0', m = '0', s = '0'] = duration;
    const step = ((Number(d) * 24 + Number(h)) * 60 + Number(m)) * 60_000 + Math.round(Number(s) * 1000);
    if (!(step > 0)) return `schedule ${schedule} is not a positive duration`;
    for (let t = from; t < to && out.length < cap; t += step) out.push(new Date(t));
    return out;
  }
  const expr = PRESETS[schedule.toLowerCase()] ?? schedule;
  let cron: Cron;
  try {
    const zone = b.timezone;
    const offset = zone ? /^([+-])(\d\d):?(\d\d)$/.exec(zone) : null;
    const where = offset ? { utcOffset: (offset[1] === '-' ? -1 : 1) * (Number(offset[2]) * 60 + Number(offset[3])) } : zone ? { timezone: zone } : { utcOffset: 0 };
    cron = new Cron(expr, { ...where, mode: '5-part', paused: true });
  } catch (e) {
    return `schedule "${schedule}" is not a cron expression ferry can read (${(e as Error).message})`;
  }
  let t = cron.nextRun(new Date(from - 1000));
  while (t && t.getTime() < to && out.length < cap) {
    if (t.getTime() >= from) out.push(t);
    t = cron.nextRun(t);
  }
  return out;
}
