import { describe, expect, it } from '@jest/globals';
import { dagBackfills, describeBackfill, parseStart } from './backfill.js';
import type { DagFact, FileFacts } from './dag-facts.js';

/** Every test counts up to this instant. */
const NOW = new Date('2024-07-01T00:00:00Z');

/** A DAG fact as dag_facts.py reports it: @daily from 2024-01-01 UTC, catchup=False, unless overridden. */
function dag(id: string | null, v: Partial<DagFact> = {}): DagFact {
  return {
    line: 5,
    column: 1,
    form: 'with',
    dag_id: id,
    owner: 'set',
    retries: 'set',
    catchup: 'set',
    schedule: 'set',
    start_date: 'set',
    tags: 'set',
    schedule_value: '@daily',
    start_date_value: '2024-01-01T00:00:00Z',
    catchup_value: false,
    ...v,
  };
}
const file = (name: string, ...dags: DagFact[]): FileFacts => ({ file: name, dags, top_level_calls: [] });

/** The one backfill for DAG "d" going from `before` to `after` (both in d.py). */
function one(before: Partial<DagFact>, after: Partial<DagFact>, opts?: { maxIntervals?: number }) {
  const out = dagBackfills([file('d.py', dag('d', before))], [file('d.py', dag('d', after))], NOW, opts);
  expect(out.length).toBeLessThanOrEqual(1);
  return out[0];
}
const pick = (b: ReturnType<typeof one>) => b && { rule: b.rule, runs: b.runs, from: b.from, to: b.to };

describe('dagBackfills: start_date moved earlier', () => {
  it('@daily: every day from the new start up to the old one', () => {
    const b = one({ start_date_value: '2024-06-01T00:00:00Z' }, {});
    expect(b).toEqual({
      dagId: 'd',
      file: 'd.py',
      line: 5,
      schedule: '@daily',
      asOf: '2024-07-01T00:00:00Z',
      rule: 'start-earlier',
      reason: 'start_date moved earlier, from 2024-06-01 UTC to 2024-01-01 UTC: the @daily intervals between them have no runs, and Airflow does not go back by itself (airflow dags backfill)',
      from: '2024-01-01T00:00:00Z',
      to: '2024-06-01T00:00:00Z',
      runs: 152,
    });
    expect(describeBackfill(b!)).toBe(`DAG "d" in d.py: 152 runs to backfill from 2024-01-01T00:00:00Z to 2024-06-01T00:00:00Z: ${b!.reason}`);
  });

  it('@hourly over two days', () => {
    expect(pick(one({ schedule_value: '@hourly', start_date_value: '2024-03-03T00:00:00Z' }, { schedule_value: '@hourly', start_date_value: '2024-03-01T00:00:00Z' }))).toEqual({
      rule: 'start-earlier',
      runs: 48,
      from: '2024-03-01T00:00:00Z',
      to: '2024-03-03T00:00:00Z',
    });
  });

  it('@weekly fires on Sundays: the last interval ends after the old start, where the old first run begins', () => {
    // 2024-01-01 is a Monday, 2024-03-01 a Friday: Sundays 2024-01-07 … 2024-02-25 have no run; the old first run is 2024-03-03.
    expect(pick(one({ schedule_value: '@weekly', start_date_value: '2024-03-01T00:00:00Z' }, { schedule_value: '@weekly' }))).toEqual({
      rule: 'start-earlier',
      runs: 8,
      from: '2024-01-07T00:00:00Z',
      to: '2024-03-03T00:00:00Z',
    });
  });

  it('a cron string: weekdays at 06:30, one week earlier', () => {
    expect(pick(one({ schedule_value: '30 6 * * 1-5', start_date_value: '2024-05-13T00:00:00Z' }, { schedule_value: '30 6 * * 1-5', start_date_value: '2024-05-06T00:00:00Z' }))).toEqual({
      rule: 'start-earlier',
      runs: 5,
      from: '2024-05-06T06:30:00Z',
      to: '2024-05-13T06:30:00Z',
    });
  });

  it('a timedelta schedule counts from start_date, not from midnight', () => {
    expect(pick(one({ schedule_value: 'PT6H', start_date_value: '2024-01-02T03:00:00Z' }, { schedule_value: 'PT6H', start_date_value: '2024-01-01T03:00:00Z' }))).toEqual({
      rule: 'start-earlier',
      runs: 4,
      from: '2024-01-01T03:00:00Z',
      to: '2024-01-02T03:00:00Z',
    });
    expect(one({ schedule_value: 'P1DT12H', start_date_value: '2024-01-10T00:00:00Z' }, { schedule_value: 'P1DT12H' })!.runs).toBe(6);
  });

  it('a named zone: cron runs on its wall clock, across the DST change (Amsterdam, 31 March 2024)', () => {
    const b = one({ start_date_value: '2024-04-05T00:00:00[Europe/Amsterdam]' }, { start_date_value: '2024-03-25T00:00:00[Europe/Amsterdam]' });
    expect(b).toMatchObject({ rule: 'start-earlier', runs: 11, from: '2024-03-24T23:00:00Z', to: '2024-04-04T22:00:00Z', timezone: 'Europe/Amsterdam' });
    expect(b!.reason).toContain('from 2024-04-05 Europe/Amsterdam to 2024-03-25 Europe/Amsterdam');
    expect(describeBackfill(b!)).toContain('11 runs to backfill from 2024-03-24T23:00:00Z to 2024-04-04T22:00:00Z (schedule in Europe/Amsterdam)');
  });

  it('a fixed offset, and a naive start_date (read as UTC, and said so)', () => {
    expect(pick(one({ start_date_value: '2024-01-03T00:00:00+05:30' }, { start_date_value: '2024-01-01T00:00:00+05:30' }))).toEqual({
      rule: 'start-earlier',
      runs: 2,
      from: '2023-12-31T18:30:00Z',
      to: '2024-01-02T18:30:00Z',
    });
    const naive = one({ start_date_value: '2024-01-03T00:00:00Z', start_date_naive: true }, { start_date_naive: true });
    expect(naive).toMatchObject({ rule: 'start-earlier', runs: 2 });
    expect(naive!.reason).toContain('to 2024-01-01 UTC (naive, read as UTC: Airflow’s default_timezone)');
  });

  it('a new start_date in the future, or one that leaves no whole interval before the old start: no backfill', () => {
    expect(one({ start_date_value: '2024-01-01T12:00:00Z' }, { start_date_value: '2024-01-01T06:00:00Z' })).toMatchObject({ rule: 'no-backfill', runs: null });
  });
});

describe('dagBackfills: catchup, schedule changes, no-backfill cases', () => {
  it('catchup turned on: every interval from start_date to now', () => {
    const b = one({}, { catchup_value: true });
    expect(pick(b)).toEqual({ rule: 'catchup-on', runs: 182, from: '2024-01-01T00:00:00Z', to: '2024-07-01T00:00:00Z' });
    expect(b!.reason).toBe('catchup turned on: Airflow schedules every @daily interval since start_date 2024-01-01 UTC that has no run yet (at most these)');
  });

  it('schedule changed with catchup on: the new intervals whose logical dates the old schedule never had', () => {
    const june = { start_date_value: '2024-06-01T00:00:00Z', catchup_value: true };
    // 720 hours in June, 30 of them at midnight, which the @daily schedule already ran.
    const b = one(june, { ...june, schedule_value: '@hourly' });
    expect(pick(b)).toEqual({ rule: 'schedule-changed', runs: 690, from: '2024-06-01T01:00:00Z', to: '2024-07-01T00:00:00Z' });
    expect(b!.reason).toMatch(/^schedule changed from @daily to @hourly, with catchup on: /);
    // Every @daily logical date was an @hourly one: nothing to backfill.
    expect(one({ ...june, schedule_value: '@hourly' }, june)).toMatchObject({ rule: 'no-backfill', reason: expect.stringMatching(/every logical date of the new schedule up to now was one of the old schedule's/) });
    // A cron string against a preset, and a timedelta against a cron: 06:00 daily vs midnight daily share no logical date.
    expect(one(june, { ...june, schedule_value: '0 6 * * *' })).toMatchObject({ rule: 'schedule-changed', runs: 29, from: '2024-06-01T06:00:00Z', to: '2024-06-30T06:00:00Z' });
    expect(one(june, { ...june, schedule_value: 'PT12H' })).toMatchObject({ rule: 'schedule-changed', runs: 30, from: '2024-06-01T12:00:00Z' });
  });

  it('the same schedule spelled differently is no change; a new time zone is', () => {
    expect(one({}, { schedule_value: '0 0 * * *' })).toBeUndefined();
    expect(one({ catchup_value: true, start_date_value: '2024-06-01T00:00:00Z' }, { catchup_value: true, start_date_value: '2024-06-01T00:00:00Z', schedule_value: ' 0  0 * * * ' })).toBeUndefined();
    // The same instant, now in Amsterdam: @daily fires at local midnight, 22:00 or 23:00 UTC, none of which the UTC schedule had.
    const b = one({ catchup_value: true, start_date_value: '2024-06-01T00:00:00Z' }, { catchup_value: true, start_date_value: '2024-06-01T02:00:00[Europe/Amsterdam]' });
    expect(b).toMatchObject({ rule: 'schedule-changed', runs: 29, from: '2024-06-01T22:00:00Z', to: '2024-06-30T22:00:00Z', timezone: 'Europe/Amsterdam' });
    expect(b!.reason).toMatch(/^schedule changed from @daily to @daily \(time zone UTC → Europe\/Amsterdam\), with catchup on/);
  });

  it('schedule changed with catchup off: no backfill, the new schedule starts with its next interval', () => {
    expect(one({}, { schedule_value: '@hourly' })).toMatchObject({
      rule: 'no-backfill',
      runs: null,
      reason: 'schedule changed from @daily to @hourly; catchup is off, so the new schedule starts with its next interval',
    });
  });

  it('schedule changed with catchup off and start_date earlier: the start-earlier range on the new schedule', () => {
    const b = one({ start_date_value: '2024-06-01T00:00:00Z' }, { schedule_value: '@weekly', start_date_value: '2024-05-01T00:00:00Z' });
    expect(pick(b)).toEqual({ rule: 'start-earlier', runs: 4, from: '2024-05-05T00:00:00Z', to: '2024-06-02T00:00:00Z' });
    expect(b!.reason).toContain('(and the schedule changed to @weekly; catchup is False)');
  });

  it('schedule None, @once or @continuous now: no backfill, said so', () => {
    expect(one({}, { schedule_value: 'None', catchup_value: true })).toMatchObject({ rule: 'no-backfill', reason: 'schedule is None: the DAG runs only when triggered' });
    expect(one({}, { schedule_value: '@once' })).toMatchObject({ rule: 'no-backfill', reason: 'schedule is @once: the DAG runs a single time' });
    expect(one({}, { schedule_value: '@continuous' })).toMatchObject({ rule: 'no-backfill' });
    // Unchanged None: nothing to say.
    expect(one({ schedule_value: 'None' }, { schedule_value: 'None' })).toBeUndefined();
  });

  it('start_date moved later: no backfill, the runs before it stay', () => {
    expect(one({}, { start_date_value: '2024-03-01T00:00:00Z' })).toMatchObject({
      rule: 'no-backfill',
      reason: 'start_date moved later, from 2024-01-01 UTC to 2024-03-01 UTC; the runs before it stay in the history',
    });
  });

  it('catchup turned off: no backfill; nothing changed: no entry', () => {
    expect(one({ catchup_value: true }, {})).toMatchObject({ rule: 'no-backfill', reason: 'catchup changed from True to False' });
    expect(one({}, {})).toBeUndefined();
  });
});

describe('dagBackfills: what cannot be told statically', () => {
  it('a start_date from the clock, a computed schedule, a timetable: unknown, with the reason, never a guess', () => {
    const clock = one({ start_date_value: null, not_static: { start_date: 'computed from the current time by days_ago()' } }, { start_date_value: null, not_static: { start_date: 'computed from the current time by days_ago()' } });
    expect(clock).toMatchObject({ rule: 'unknown', runs: null, from: null, to: null, reason: 'start_date is not static (computed from the current time by days_ago())' });
    expect(describeBackfill(clock!)).toBe('DAG "d" in d.py: backfill cannot be told statically: start_date is not static (computed from the current time by days_ago())');
    expect(one({}, { schedule_value: null, not_static: { schedule: "result of calling Variable.get()" } })).toMatchObject({ rule: 'unknown', reason: 'schedule is not static (result of calling Variable.get())' });
    expect(one({}, { schedule_value: null, not_static: { schedule: 'a timetable object (CronTriggerTimetable(...))' } })).toMatchObject({ rule: 'unknown', reason: 'schedule is not static (a timetable object (CronTriggerTimetable(...)))' });
    expect(one({}, { schedule: 'missing', schedule_value: null })).toMatchObject({ rule: 'unknown', reason: expect.stringMatching(/^schedule is not passed \(the default differs/) });
  });

  it('catchup: not passed before and True now, or not static: unknown', () => {
    expect(one({ catchup: 'missing', catchup_value: null }, { catchup_value: true })).toMatchObject({ rule: 'unknown', reason: expect.stringMatching(/^catchup is now True and was not passed before/) });
    expect(one({ catchup_value: null, not_static: { catchup: "variable 'C' is assigned more than once" } }, { catchup_value: null, not_static: { catchup: "variable 'C' is assigned more than once" } })).toMatchObject({
      rule: 'unknown',
      reason: "catchup is not static (before: variable 'C' is assigned more than once; now: variable 'C' is assigned more than once), so whether it was turned on (a backfill of every interval since start_date) cannot be told",
    });
    // catchup not passed, schedule changed: depends on catchup_by_default.
    expect(one({ catchup: 'missing', catchup_value: null }, { catchup: 'missing', catchup_value: null, schedule_value: '@hourly' })).toMatchObject({ rule: 'unknown' });
  });

  it('a schedule croner cannot read the way Airflow does, and an unknown time zone: unknown', () => {
    expect(one({}, { schedule_value: '0 0 0 * * *' })).toMatchObject({ rule: 'unknown', reason: expect.stringMatching(/is not a 5-field cron expression/) });
    expect(one({}, { schedule_value: '@fortnightly' })).toMatchObject({ rule: 'unknown', reason: expect.stringMatching(/is not a preset ferry knows/) });
    expect(one({}, { start_date_value: '2024-01-01T00:00:00[Mars/Olympus_Mons]' })).toMatchObject({ rule: 'unknown', reason: expect.stringMatching(/time zone "Mars\/Olympus_Mons" is not one this Node.js knows/) });
  });

  it('a dag_id that is not static cannot be matched; a file that does not parse cannot be read', () => {
    const out = dagBackfills(
      [file('a.py', dag('x'))],
      [file('a.py', dag(null, { dynamic: 'f-string' })), { file: 'b.py', dags: [], top_level_calls: [], syntax_error: { line: 3, column: 1, message: 'invalid syntax', kind: 'SyntaxError' } }],
      NOW,
    );
    expect(out.map((b) => [b.dagId, b.file, b.rule, b.reason])).toEqual([
      [null, 'a.py', 'unknown', 'the dag_id is not static (f-string), so the DAG cannot be matched with the previous release'],
      [null, 'b.py', 'unknown', 'the file cannot be parsed (SyntaxError: invalid syntax (line 3))'],
    ]);
  });
});

describe('dagBackfills: matching and new DAGs', () => {
  it('matches DAGs by dag_id across files (a DAG moved to another file), and skips @dag functions never called', () => {
    const out = dagBackfills([file('old.py', dag('moved', { start_date_value: '2024-02-01T00:00:00Z' }))], [file('new.py', dag('moved'), dag('uncalled', { form: 'decorator', called: 'never', catchup_value: true }))], NOW);
    expect(out.map((b) => [b.dagId, b.file, b.rule, b.runs])).toEqual([['moved', 'new.py', 'start-earlier', 31]]);
  });

  it('a new DAG with catchup=True backfills every interval since start_date; catchup=False none; catchup not passed: unknown', () => {
    const out = dagBackfills(
      [file('old.py', dag('old'))],
      [file('new.py', dag('eager', { catchup_value: true, schedule_value: '@weekly' }), dag('lazy'), dag('implicit', { catchup: 'missing', catchup_value: null }), dag('manual', { schedule_value: 'None', catchup_value: true }))],
      NOW,
    );
    expect(out.map((b) => [b.dagId, b.rule, b.runs, b.from, b.to])).toEqual([
      ['eager', 'new-dag', 25, '2024-01-07T00:00:00Z', '2024-06-30T00:00:00Z'],
      ['implicit', 'unknown', null, null, null],
    ]);
  });

  it('when a previous file could not be parsed, whether a DAG is new cannot be told', () => {
    const out = dagBackfills([{ file: 'old.py', dags: [], top_level_calls: [], read_error: 'PermissionError: denied' }], [file('old.py', dag('d', { catchup_value: true }))], NOW);
    expect(out).toMatchObject([{ dagId: 'd', rule: 'unknown', reason: expect.stringMatching(/whether it is new cannot be told/) }]);
  });
});

describe('dagBackfills: the cap', () => {
  it('stops counting after maxIntervals intervals and says "more than N"', () => {
    const b = one({}, { schedule_value: '*/5 * * * *', catchup_value: true }, { maxIntervals: 1000 });
    expect(b).toMatchObject({ rule: 'catchup-on', runs: 1000, runsCapped: true, from: '2024-01-01T00:00:00Z', to: '2024-07-01T00:00:00Z' });
    expect(describeBackfill(b!)).toMatch(/^DAG "d" in d.py: more than 1,000 runs to backfill from 2024-01-01T00:00:00Z to 2024-07-01T00:00:00Z: /);
  });

  it('the default cap is 100,000 intervals: every minute for half a year stops there, within a few seconds', () => {
    const t0 = Date.now();
    const b = one({}, { schedule_value: '* * * * *', catchup_value: true });
    expect(b).toMatchObject({ runs: 100_000, runsCapped: true });
    expect(Date.now() - t0).toBeLessThan(10_000);
    // Below the cap the count is exact: every 10 minutes of June is 4,320 runs.
    expect(one({ start_date_value: '2024-06-01T00:00:00Z' }, { schedule_value: '*/10 * * * *', catchup_value: true, start_date_value: '2024-06-01T00:00:00Z' })).toMatchObject({ rule: 'catchup-on', runs: 4_320 });
  });
});

describe('parseStart', () => {
  it('reads UTC, fixed offsets and named zones; rejects what it cannot read', () => {
    expect(parseStart('2024-01-01T00:00:00Z')).toMatchObject({ ms: Date.UTC(2024, 0, 1) });
    expect(parseStart('2024-01-01T00:00:00.5Z')).toMatchObject({ ms: Date.UTC(2024, 0, 1, 0, 0, 0, 500) });
    expect(parseStart('2024-01-01T00:00:00-05:30')).toMatchObject({ ms: Date.UTC(2024, 0, 1, 5, 30) });
    expect(parseStart('2024-07-01T00:00:00[Europe/Amsterdam]')).toMatchObject({ ms: Date.UTC(2024, 5, 30, 22) });
    expect(parseStart('2024-01-01T00:00:00[America/New_York]')).toMatchObject({ ms: Date.UTC(2024, 0, 1, 5) });
    expect(parseStart('0099-01-01T00:00:00Z')).toMatchObject({ ms: new Date('0099-01-01T00:00:00Z').getTime() });
    expect(parseStart('yesterday')).toBe('not a date-time ferry can read');
  });
});
