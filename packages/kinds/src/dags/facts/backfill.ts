import { Cron } from 'croner';
import type { DagBackfill } from '@ferry/core';
import type { DagFact, FileFacts } from './dag-facts.js';

export type { DagBackfill };

/**
 * Backfill ranges for DAGs whose schedule, start_date or catchup changed
 * between two releases, from the static values dag_facts.py reports.
 *
 * The model (Airflow 2's data-interval timetables, which Airflow 3 keeps for
 * timedelta schedules): a cron or preset schedule fires at its cron times in
 * the DAG's time zone (the zone of start_date), a timedelta schedule at
 * start_date + k × delta; a run covers the interval from one fire time (its
 * logical date) to the next, and exists once that interval has ended. Runs
 * are counted by iterating fire times with croner, at most `maxIntervals` of
 * them; past that the count says "more than N".
 *
 * Rules, for a DAG matched by its static dag_id:
 * - schedule now None, @once or @continuous: no backfill.
 * - catchup turned on (False before): every interval from start_date to now.
 * - schedule changed, catchup on: the intervals of the new schedule since
 *   start_date whose logical dates the old schedule never had (runs Airflow
 *   does not have yet; kept simple: the old schedule counts as having run
 *   every interval since its start_date).
 * - schedule changed, catchup off: no backfill (the new schedule starts with
 *   its next interval) unless start_date also moved earlier.
 * - start_date moved earlier: the intervals from the new start_date up to the
 *   old one (Airflow does not go back by itself: a manual backfill).
 * - start_date moved later: no backfill; the runs before it stay.
 * - a new DAG (its dag_id is in none of the previous files) with catchup=True:
 *   every interval from start_date to now.
 * Anything that cannot be read statically (a computed schedule, a start_date
 * from the clock, a catchup that is not passed where it matters) gives an
 * `unknown` entry saying what, never a guess.
 */
export function dagBackfills(prev: readonly FileFacts[], next: readonly FileFacts[], now: Date, opts: { maxIntervals?: number } = {}): DagBackfill[] {
  const cap = opts.maxIntervals ?? 100_000;
  const nowMs = now.getTime();
  const asOf = iso(nowMs);
  const out: DagBackfill[] = [];

  const before = new Map<string, DagFact>();
  const prevBroken: string[] = [];
  for (const f of prev) {
    if (f.syntax_error || f.read_error || f.internal_error) prevBroken.push(f.file);
    for (const d of f.dags ?? []) if (d.dag_id !== null && d.called !== 'never' && !before.has(d.dag_id)) before.set(d.dag_id, d);
  }

  for (const f of next) {
    const broken = f.syntax_error ? `${f.syntax_error.kind}: ${f.syntax_error.message} (line ${f.syntax_error.line})` : (f.read_error ?? f.internal_error);
    if (broken) {
      out.push({ dagId: null, file: f.file, rule: 'unknown', reason: `the file cannot be parsed (${broken})`, from: null, to: null, runs: null, schedule: null, asOf });
      continue;
    }
    const seen = new Set<string>();
    for (const n of f.dags ?? []) {
      if (n.called === 'never') continue;
      const base = { dagId: n.dag_id, file: f.file, line: n.line, schedule: n.schedule_value ?? null, asOf };
      if (n.dag_id === null) {
        out.push({ ...base, rule: 'unknown', reason: `the dag_id is not static (${n.dynamic ?? 'unknown'}), so the DAG cannot be matched with the previous release`, from: null, to: null, runs: null });
        continue;
      }
      if (seen.has(n.dag_id)) continue;
      seen.add(n.dag_id);
      const o = before.get(n.dag_id);
      const entry = o ? changedDag(o, n, nowMs, cap) : prevBroken.length ? brokenPrevious(n, prevBroken) : newDag(n, nowMs, cap);
      if (entry) out.push({ ...base, ...entry });
    }
  }
  return out;
}

type Entry = Pick<DagBackfill, 'rule' | 'reason' | 'from' | 'to' | 'runs'> & Partial<Pick<DagBackfill, 'runsCapped' | 'timezone'>>;

const none = (rule: DagBackfill['rule'], reason: string): Entry => ({ rule, reason, from: null, to: null, runs: null });

// ---------------------------------------------------------------- reading the facts

/** Airflow's cron presets. */
const PRESETS = new Map([
  ['@hourly', '0 * * * *'],
  ['@daily', '0 0 * * *'],
  ['@midnight', '0 0 * * *'],
  ['@weekly', '0 0 * * 0'],
  ['@monthly', '0 0 1 * *'],
  ['@quarterly', '0 0 1 */3 *'],
  ['@yearly', '0 0 1 1 *'],
  ['@annually', '0 0 1 1 *'],
]);
const UNSCHEDULED = new Map([
  ['None', 'schedule is None: the DAG runs only when triggered'],
  ['@once', 'schedule is @once: the DAG runs a single time'],
  ['@continuous', 'schedule is @continuous: each run starts when the previous one ends'],
]);

type Value<T> = { ok: true; value: T } | { ok: false; missing: boolean; why: string };

function scheduleOf(d: DagFact): Value<string> {
  if (d.schedule_value !== null && d.schedule_value !== undefined) return { ok: true, value: d.schedule_value.trim() };
  if (d.schedule === 'missing') return { ok: false, missing: true, why: 'schedule is not passed (the default differs: daily on Airflow 2, none on Airflow 3)' };
  return { ok: false, missing: false, why: `schedule is not static (${d.not_static?.schedule ?? 'it may be passed with **kwargs'})` };
}

interface Start {
  ms: number;
  zone: Zone;
  text: string;
  naive: boolean;
}

function startOf(d: DagFact): Value<Start> {
  const v = d.start_date_value;
  if (v !== null && v !== undefined) {
    const s = parseStart(v);
    if (typeof s === 'string') return { ok: false, missing: false, why: `start_date ${v}: ${s}` };
    return { ok: true, value: { ...s, naive: d.start_date_naive === true } };
  }
  if (d.start_date === 'missing') return { ok: false, missing: true, why: 'start_date is not passed (the tasks’ start_date decides)' };
  return { ok: false, missing: false, why: `start_date is not static (${d.not_static?.start_date ?? 'it may be passed with **kwargs'})` };
}

type Catchup = boolean | 'missing' | 'unknown';
function catchupOf(d: DagFact): Catchup {
  if (typeof d.catchup_value === 'boolean') return d.catchup_value;
  return d.catchup === 'missing' ? 'missing' : 'unknown';
}
const catchupText = (c: Catchup) => (c === 'missing' ? 'not passed' : c === 'unknown' ? 'not static' : c ? 'True' : 'False');

// ---------------------------------------------------------------- rules

function changedDag(o: DagFact, n: DagFact, now: number, cap: number): Entry | undefined {
  const sO = scheduleOf(o);
  const sN = scheduleOf(n);
  const dO = startOf(o);
  const dN = startOf(n);
  const cO = catchupOf(o);
  const cN = catchupOf(n);

  // A cron schedule is read in the zone of start_date: a new zone is a new schedule.
  const key = (s: Value<string>, d: Value<Start>) => (s.ok ? `${norm(s.value)}${isCron(s.value) ? `|${d.ok ? d.value.zone.name : '?'}` : ''}` : s.missing ? '<missing>' : '<unknown>');
  const schedUnknown = (!sO.ok && !sO.missing) || (!sN.ok && !sN.missing);
  const startUnknown = (!dO.ok && !dO.missing) || (!dN.ok && !dN.missing);
  const catchupUnknown = cO === 'unknown' || cN === 'unknown';
  const schedChanged = key(sO, dO) !== key(sN, dN);
  const startChanged = dO.ok !== dN.ok || (dO.ok && dN.ok && dO.value.ms !== dN.value.ms) || (!dO.ok && !dN.ok && dO.missing !== dN.missing);
  const catchupChanged = cO !== cN;
  const changed = schedChanged || startChanged || catchupChanged;
  if (!changed && !schedUnknown && !startUnknown && !catchupUnknown) return undefined;

  const unscheduled = sN.ok ? UNSCHEDULED.get(sN.value) : undefined;
  if (unscheduled) return changed ? none('no-backfill', unscheduled) : undefined;
  const unknown: string[] = [];
  if (!sN.ok) unknown.push(sN.why);
  if (!dN.ok) unknown.push(dN.why);
  if (unknown.length) return none('unknown', unknown.join('; '));
  if (!sN.ok || !dN.ok) return undefined; // (narrowing)
  const sched = makeSchedule(sN.value, dN.value);
  if (typeof sched === 'string') return none('unknown', sched);
  const newStart = fmtStart(dN.value);

  // catchup turned on: everything since start_date
  if (cN === true && cO === false) {
    const c = count(sched, dN.value.ms, Infinity, now, cap);
    return withRuns('catchup-on', c, sched, `catchup turned on: Airflow schedules every ${sched.label} interval since start_date ${newStart} that has no run yet (at most these)`);
  }
  if (cN === true && (cO === 'missing' || cO === 'unknown')) {
    return none('unknown', `catchup is now True and was ${catchupText(cO)} before (then Airflow's catchup_by_default decided: True on Airflow 2 unless configured, False on Airflow 3); if it was off, every interval since start_date ${newStart} would run`);
  }

  const earlier = dO.ok && dN.value.ms < dO.value.ms;
  if (schedChanged) {
    const from = sO.ok ? sO.value : sO.missing ? 'the default' : 'a non-static schedule';
    const what = `schedule changed from ${from} to ${sched.label}${sO.ok && dO.ok && sO.value === sN.value ? ` (time zone ${dO.value.zone.name} → ${dN.value.zone.name})` : ''}`;
    if (cN === true) {
      if (!sO.ok || !dO.ok) return none('unknown', `${what}, with catchup on, but the runs the old schedule already has cannot be told (${!sO.ok ? sO.why : ''}${!sO.ok && !dO.ok ? '; ' : ''}${!dO.ok ? `old ${dO.why}` : ''})`);
      const old = UNSCHEDULED.has(sO.value) ? undefined : makeSchedule(sO.value, dO.value);
      if (typeof old === 'string') return none('unknown', `${what}, with catchup on, but the old schedule cannot be read (${old})`);
      const oldFirst = old ? old.first(dO.value.ms) : null;
      const covered = old && oldFirst !== null ? (t: number) => t >= oldFirst && old.has(t) : undefined;
      const c = count(sched, dN.value.ms, Infinity, now, cap, covered);
      const why = `${what}, with catchup on${earlier ? ` and start_date moved earlier to ${newStart}` : ''}: the ${sched.label} intervals since start_date whose logical dates the old schedule never had (counted as if the old schedule had run every interval since its start_date)`;
      if (c.runs === 0 && !c.capped) return none('no-backfill', `${what}, and every logical date of the new schedule up to now was one of the old schedule's`);
      return withRuns('schedule-changed', c, sched, why);
    }
    if (!earlier) {
      if (cN === false) return none('no-backfill', `${what}; catchup is off, so the new schedule starts with its next interval`);
      return none('unknown', `${what}, and catchup is ${catchupText(cN)}: whether Airflow fills the intervals since start_date depends on catchup_by_default (True on Airflow 2 unless configured)`);
    }
  }

  if (!dO.ok) {
    if (startChanged || startUnknown) return none('unknown', `the old ${dO.why}`);
  } else if (dN.value.ms < dO.value.ms) {
    const c = count(sched, dN.value.ms, dO.value.ms, now, cap);
    const also = schedChanged ? ` (and the schedule changed to ${sched.label}; catchup is ${catchupText(cN)})` : '';
    const why = `start_date moved earlier, from ${fmtStart(dO.value)} to ${newStart}${also}: the ${sched.label} intervals between them have no runs, and Airflow does not go back by itself (airflow dags backfill)`;
    if (c.runs === 0 && !c.capped) return none('no-backfill', `start_date moved earlier, from ${fmtStart(dO.value)} to ${newStart}, but no ${sched.label} interval between them has ended`);
    return withRuns('start-earlier', c, sched, why);
  } else if (dN.value.ms > dO.value.ms) {
    return none('no-backfill', `start_date moved later, from ${fmtStart(dO.value)} to ${newStart}; the runs before it stay in the history`);
  }
  if (catchupUnknown) {
    const why = [o.not_static?.catchup && `before: ${o.not_static.catchup}`, n.not_static?.catchup && `now: ${n.not_static.catchup}`].filter(Boolean).join('; ');
    return none('unknown', `catchup is not static${why ? ` (${why})` : ''}, so whether it was turned on (a backfill of every interval since start_date) cannot be told`);
  }
  if (catchupChanged) return none('no-backfill', `catchup changed from ${catchupText(cO)} to ${catchupText(cN)}`);
  return undefined;
}

function newDag(n: DagFact, now: number, cap: number): Entry | undefined {
  const cN = catchupOf(n);
  if (cN === false) return undefined;
  const sN = scheduleOf(n);
  if (sN.ok && UNSCHEDULED.has(sN.value)) return undefined;
  if (cN !== true) {
    return none('unknown', `a new DAG with catchup ${catchupText(cN)}: whether Airflow runs every interval since its start_date depends on catchup_by_default (True on Airflow 2 unless configured); pass catchup explicitly`);
  }
  const dN = startOf(n);
  const unknown = [...(sN.ok ? [] : [sN.why]), ...(dN.ok ? [] : [dN.why])];
  if (unknown.length || !sN.ok || !dN.ok) return none('unknown', `a new DAG with catchup on, but ${unknown.join('; ')}`);
  const sched = makeSchedule(sN.value, dN.value);
  if (typeof sched === 'string') return none('unknown', sched);
  const c = count(sched, dN.value.ms, Infinity, now, cap);
  if (c.runs === 0 && !c.capped) return undefined;
  return withRuns('new-dag', c, sched, `new DAG with catchup on: Airflow runs every ${sched.label} interval from start_date ${fmtStart(dN.value)} up to now`);
}

function brokenPrevious(n: DagFact, files: string[]): Entry | undefined {
  if (catchupOf(n) === false) return undefined;
  return none('unknown', `the DAG is not in the previous release's files that could be parsed (${files.length} could not: ${files.slice(0, 3).join(', ')}), so whether it is new cannot be told`);
}

function withRuns(rule: DagBackfill['rule'], c: Counted, sched: Schedule, why: string): Entry {
  const entry: Entry = { rule, reason: why, from: c.first !== null ? iso(c.first) : null, to: c.end !== null ? iso(c.end) : null, runs: c.runs };
  if (c.capped) entry.runsCapped = true;
  if (sched.zone && sched.zone.name !== 'UTC') entry.timezone = sched.zone.name;
  return entry;
}

// ---------------------------------------------------------------- schedules

interface Schedule {
  label: string;
  /** Set for cron schedules (read in that zone); timedelta schedules are zone-free. */
  zone?: Zone;
  /** The first fire time at or after `ms`, or null. */
  first(ms: number): number | null;
  /** The fire time after `ms` (a fire time), or null. */
  next(ms: number): number | null;
  /** Whether `ms` is a fire time (for a timedelta schedule: one counted from its start_date). */
  has(ms: number): boolean;
}

const norm = (s: string) => {
  const t = s.trim().replace(/\s+/g, ' ');
  return PRESETS.get(t.toLowerCase()) ?? t;
};
const isCron = (s: string) => norm(s).split(' ').length === 5;

/** A schedule as dag_facts.py writes it, anchored at start_date; a string says why it cannot be used. */
function makeSchedule(value: string, start: Start): Schedule | string {
  const duration = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(value);
  if (duration && value !== 'P' && value !== 'PT') {
    const [, d = '0', h = '0', m = '0', s = '0'] = duration;
    const step = ((Number(d) * 24 + Number(h)) * 60 + Number(m)) * 60_000 + Math.round(Number(s) * 1000);
    if (!(step > 0)) return `schedule ${value} is not a positive duration`;
    const anchor = start.ms;
    const label = `timedelta ${value}`;
    return {
      label,
      first: (ms) => (ms <= anchor ? anchor : anchor + Math.ceil((ms - anchor) / step) * step),
      next: (ms) => ms + step,
      has: (ms) => ms >= anchor && (ms - anchor) % step === 0,
    };
  }
  if (value.startsWith('@') && !PRESETS.has(value.toLowerCase())) return `schedule "${value}" is not a preset ferry knows (@hourly, @daily, @weekly, @monthly, @quarterly, @yearly)`;
  const expr = norm(value);
  let cron: Cron;
  try {
    // Airflow reads 5-field cron (croniter): day-of-month and day-of-week are OR-ed, as croner does by default.
    cron = new Cron(expr, { utcOffset: 0, mode: '5-part' });
  } catch (e) {
    return `schedule "${value}" is not a 5-field cron expression ferry can read (${(e as Error).message})`;
  }
  // croner runs on wall-clock time in the DAG's zone (as UTC); Airflow reads cron on the wall clock too.
  const zone = start.zone;
  const after = (wall: number): number | null => cron.nextRun(new Date(wall))?.getTime() ?? null;
  return {
    label: value.startsWith('@') ? value : `"${value}"`,
    zone,
    first(ms) {
      const wall = zone.toWall(ms);
      let w = after(wall - 1000);
      while (w !== null && w < wall) w = after(w);
      return w === null ? null : zone.fromWall(w);
    },
    next(ms) {
      const w = after(zone.toWall(ms));
      return w === null ? null : zone.fromWall(w);
    },
    has: (ms) => cron.match(new Date(zone.toWall(ms))),
  };
}

interface Counted {
  runs: number;
  capped: boolean;
  first: number | null;
  end: number | null;
}

/**
 * Runs whose logical date is in [from, until) and whose interval has ended by
 * `now`, skipping logical dates `covered` says already have a run. Looks at
 * `cap` intervals at most; then `capped` is set and `end` is the range's bound.
 */
function count(s: Schedule, from: number, until: number, now: number, cap: number, covered?: (t: number) => boolean): Counted {
  const out: Counted = { runs: 0, capped: false, first: null, end: null };
  let t = s.first(from);
  let seen = 0;
  while (t !== null && t < until) {
    const end = s.next(t);
    if (end === null || end > now) break;
    if (seen++ >= cap) {
      out.capped = true;
      out.end = Math.min(until, now);
      break;
    }
    if (!covered?.(t)) {
      out.runs++;
      if (out.first === null) out.first = t;
      out.end = end;
    }
    t = end;
  }
  return out;
}

// ---------------------------------------------------------------- time zones and dates

interface Zone {
  name: string;
  toWall(ms: number): number;
  fromWall(wall: number): number;
}

const fixedZone = (name: string, minutes: number): Zone => ({ name, toWall: (ms) => ms + minutes * 60_000, fromWall: (w) => w - minutes * 60_000 });
const UTC = fixedZone('UTC', 0);
const zones = new Map<string, Zone | string>();

/** A named IANA zone through Intl; its offsets are cached per quarter hour (zones change offset on quarter hours). */
function namedZone(name: string): Zone | string {
  const known = zones.get(name);
  if (known) return known;
  let dtf: Intl.DateTimeFormat;
  try {
    dtf = new Intl.DateTimeFormat('en-US', { timeZone: name, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
  } catch {
    const why = `time zone "${name}" is not one this Node.js knows`;
    zones.set(name, why);
    return why;
  }
  const cache = new Map<number, number>();
  const offset = (ms: number): number => {
    const bucket = Math.floor(ms / 900_000);
    const known = cache.get(bucket);
    if (known !== undefined) return known;
    const p: Record<string, number> = {};
    for (const part of dtf.formatToParts(new Date(bucket * 900_000))) if (part.type !== 'literal') p[part.type] = Number(part.value);
    const found = utcMs(p.year!, p.month!, p.day!, p.hour!, p.minute!, p.second!) - bucket * 900_000;
    if (cache.size >= 10_000) cache.clear();
    cache.set(bucket, found);
    return found;
  };
  const zone: Zone = {
    name,
    toWall: (ms) => ms + offset(ms),
    fromWall(wall) {
      // Two passes settle the offset; a wall time in a DST gap moves forward, as pendulum does.
      const guess = wall - offset(wall);
      const o = offset(guess);
      return o === wall - guess ? guess : wall - o;
    },
  };
  zones.set(name, zone);
  return zone;
}

function utcMs(y: number, mo: number, d: number, h = 0, mi = 0, s = 0, msec = 0): number {
  const date = new Date(Date.UTC(2000, mo - 1, d, h, mi, s, msec));
  date.setUTCFullYear(y); // Date.UTC maps years 0–99 to 1900–1999
  return date.getTime();
}

const START_RE = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?(Z|[+-]\d\d:\d\d|\[([^\]]+)\])$/;

/** dag_facts.py's start_date_value as an instant and the zone its schedule is read in; a string says why not. */
export function parseStart(value: string): Omit<Start, 'naive'> | string {
  const m = START_RE.exec(value);
  if (!m) return 'not a date-time ferry can read';
  const [, y, mo, d, h, mi, s, frac = '', tz, named] = m;
  const wall = utcMs(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s), Math.floor(Number(frac.padEnd(6, '0')) / 1000));
  let zone: Zone;
  if (tz === 'Z') zone = UTC;
  else if (named !== undefined) {
    const z = namedZone(named);
    if (typeof z === 'string') return z;
    zone = z;
  } else {
    const sign = tz!.startsWith('-') ? -1 : 1;
    const minutes = sign * (Number(tz!.slice(1, 3)) * 60 + Number(tz!.slice(4, 6)));
    zone = fixedZone(tz!, minutes);
  }
  return { ms: zone.fromWall(wall), zone, text: value };
}

/** "2024-01-01 UTC", "2024-01-01 06:30 Europe/Amsterdam", "2024-03-01 -05:30" */
function fmtStart(s: Start): string {
  const m = START_RE.exec(s.text)!;
  const [, y, mo, d, h, mi, sec, frac, tz, named] = m;
  const time = h === '00' && mi === '00' && sec === '00' && !frac ? '' : ` ${h}:${mi}${sec !== '00' || frac ? `:${sec}${frac ? `.${frac}` : ''}` : ''}`;
  const zone = tz === 'Z' ? 'UTC' : (named ?? tz);
  return `${y}-${mo}-${d}${time} ${zone}${s.naive ? ' (naive, read as UTC: Airflow’s default_timezone)' : ''}`;
}

/** One line for a plan note or a terminal: what, how many runs over which range, and why. */
export function describeBackfill(b: DagBackfill): string {
  const dag = b.dagId !== null ? `DAG "${b.dagId}"` : `the DAG${b.line ? ` at line ${b.line}` : ''}`;
  return `${dag} in ${b.file}: ${backfillSize(b)}: ${b.reason}`;
}

/** "152 runs from … to …", "more than 100,000 runs …", "no backfill", "cannot be told statically". */
export function backfillSize(b: DagBackfill): string {
  if (b.rule === 'unknown') return 'backfill cannot be told statically';
  if (b.rule === 'no-backfill' || b.runs === null) return 'no backfill';
  const n = b.runs.toLocaleString('en-US');
  const runs = b.runsCapped ? `more than ${n} runs` : `${n} run${b.runs === 1 ? '' : 's'}`;
  return `${runs} to backfill${b.from && b.to ? ` from ${b.from} to ${b.to}` : ''}${b.timezone ? ` (schedule in ${b.timezone})` : ''}`;
}

/** ISO 8601 in UTC without milliseconds when they are zero. */
export function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}
