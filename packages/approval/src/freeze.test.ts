import { describe, expect, it } from '@jest/globals';
import { FreezeWindowSchema, type FreezeWindow } from '@ferry/core';
import { activeFreeze, nextFreeze, validateFreezeWindows, zonedToInstant } from './freeze.js';

const w = (x: unknown): FreezeWindow => FreezeWindowSchema.parse(x);
const at = (s: string) => new Date(s);

describe('one-off windows', () => {
  const year = w({ name: 'year-end', from: '2026-12-20T00:00:00+01:00', to: '2027-01-04T00:00:00+01:00' });
  it('is active in [from, to) and names its end', () => {
    expect(activeFreeze([year], at('2026-12-19T22:59:59Z'))).toBeUndefined();
    expect(activeFreeze([year], at('2026-12-19T23:00:00Z'))).toEqual({ window: 'year-end', startedAt: '2026-12-19T23:00:00Z', endsAt: '2027-01-03T23:00:00Z' });
    expect(activeFreeze([year], at('2027-01-03T22:59:59Z'))?.window).toBe('year-end');
    expect(activeFreeze([year], at('2027-01-03T23:00:00Z'))).toBeUndefined();
  });
  it('is the next window before it starts, and not after it ended', () => {
    expect(nextFreeze([year], at('2026-11-27T00:00:00Z'))).toMatchObject({ window: 'year-end', startedAt: '2026-12-19T23:00:00Z' });
    expect(nextFreeze([year], at('2027-02-01T00:00:00Z'))).toBeUndefined();
  });
  it('refuses to > from with the key', () => {
    expect(() => validateFreezeWindows([w({ name: 'x', from: '2026-12-20T00:00:00Z', to: '2026-12-19T00:00:00Z' })], { file: 'ferry.yml', key: 'environments.prod.freeze' })).toThrow(
      expect.objectContaining({ code: 'FERRY_CONFIG_INVALID', problems: [expect.objectContaining({ location: { file: 'ferry.yml', key: 'environments.prod.freeze[0].to' } })] }),
    );
  });
});

describe('cron windows', () => {
  // Friday 16:00 Berlin time for 2 hours.
  const friday = w({ name: 'Friday afternoons', cron: '0 16 * * 5', duration: '2h', timezone: 'Europe/Berlin' });
  it('is active from the latest start for its duration (winter, UTC+1)', () => {
    expect(activeFreeze([friday], at('2026-11-27T14:59:59Z'))).toBeUndefined();
    expect(activeFreeze([friday], at('2026-11-27T15:00:00Z'))).toEqual({ window: 'Friday afternoons', startedAt: '2026-11-27T15:00:00Z', endsAt: '2026-11-27T17:00:00Z' });
    expect(activeFreeze([friday], at('2026-11-27T16:59:59Z'))?.endsAt).toBe('2026-11-27T17:00:00Z');
    expect(activeFreeze([friday], at('2026-11-27T17:00:00Z'))).toBeUndefined();
  });
  it('follows summer time (UTC+2)', () => {
    expect(activeFreeze([friday], at('2026-07-03T14:00:00Z'))?.startedAt).toBe('2026-07-03T14:00:00Z');
    expect(activeFreeze([friday], at('2026-07-03T16:30:00Z'))).toBeUndefined();
  });
  it('spans a weekend and midnight: Friday 18:00 for 62h in Berlin', () => {
    const weekend = w({ name: 'weekend', cron: '0 18 * * 5', duration: '62h', timezone: 'Europe/Berlin' });
    expect(activeFreeze([weekend], at('2026-11-28T23:30:00Z'))).toEqual({ window: 'weekend', startedAt: '2026-11-27T17:00:00Z', endsAt: '2026-11-30T07:00:00Z' });
    expect(activeFreeze([weekend], at('2026-11-30T06:59:59Z'))?.window).toBe('weekend');
    expect(activeFreeze([weekend], at('2026-11-30T07:00:00Z'))).toBeUndefined();
    expect(nextFreeze([weekend], at('2026-11-30T07:00:00Z'))?.startedAt).toBe('2026-12-04T17:00:00Z');
  });
  it('across the DST switch in Europe/Berlin (29 March 2026, 02:00 → 03:00): a nightly 01:30 window for 2h is 2h of real time', () => {
    const nightly = w({ name: 'nightly batch', cron: '30 1 * * *', duration: '2h', timezone: 'Europe/Berlin' });
    // 01:30 CET = 00:30Z; 2 h later is 02:30Z = 04:30 CEST.
    expect(activeFreeze([nightly], at('2026-03-29T02:29:59Z'))).toEqual({ window: 'nightly batch', startedAt: '2026-03-29T00:30:00Z', endsAt: '2026-03-29T02:30:00Z' });
    expect(activeFreeze([nightly], at('2026-03-29T02:30:00Z'))).toBeUndefined();
    // The next night starts at 01:30 CEST = 23:30Z.
    expect(nextFreeze([nightly], at('2026-03-29T12:00:00Z'))?.startedAt).toBe('2026-03-29T23:30:00Z');
  });
  it('across the DST switch in America/New_York (1 November 2026, 02:00 → 01:00)', () => {
    const morning = w({ name: 'market open', cron: '0 9 * * *', duration: '1h', timezone: 'America/New_York' });
    expect(activeFreeze([morning], at('2026-10-31T13:30:00Z'))?.startedAt).toBe('2026-10-31T13:00:00Z'); // EDT, UTC-4
    expect(activeFreeze([morning], at('2026-11-01T13:30:00Z'))).toBeUndefined();
    expect(activeFreeze([morning], at('2026-11-01T14:30:00Z'))?.startedAt).toBe('2026-11-01T14:00:00Z'); // EST, UTC-5
  });
  it('reports the window that ends last when several are active', () => {
    const long = w({ name: 'long', cron: '0 15 * * 5', duration: '5h', timezone: 'Europe/Berlin' });
    expect(activeFreeze([friday, long], at('2026-11-27T15:30:00Z'))?.window).toBe('long');
  });
  it('invalid cron and time zone → FERRY_CONFIG_INVALID with the key', () => {
    const bad = (x: unknown, key: string) =>
      expect(() => activeFreeze([x as FreezeWindow], at('2026-11-27T00:00:00Z'), { key: 'environments.prod.freeze' })).toThrow(
        expect.objectContaining({ code: 'FERRY_CONFIG_INVALID', problems: [expect.objectContaining({ location: { key } })] }),
      );
    bad({ name: 'x', cron: '0 99 * * *', duration: '1h', timezone: 'UTC' }, 'environments.prod.freeze[0].cron');
    bad({ name: 'x', cron: '0 9 * * *', duration: '1h', timezone: 'Mars/Olympus' }, 'environments.prod.freeze[0].timezone');
  });
});

describe('RRULE windows', () => {
  const fridays = w({ name: 'Friday afternoons', rrule: 'FREQ=WEEKLY;BYDAY=FR;BYHOUR=16;BYMINUTE=0;BYSECOND=0', duration: '3h', timezone: 'Europe/Berlin' });
  it('is active in local time, winter and summer', () => {
    expect(activeFreeze([fridays], at('2026-11-27T15:00:00Z'))).toEqual({ window: 'Friday afternoons', startedAt: '2026-11-27T15:00:00Z', endsAt: '2026-11-27T18:00:00Z' });
    expect(activeFreeze([fridays], at('2026-11-27T14:59:59Z'))).toBeUndefined();
    expect(activeFreeze([fridays], at('2026-07-03T14:00:00Z'))?.endsAt).toBe('2026-07-03T17:00:00Z');
    expect(nextFreeze([fridays], at('2026-11-27T18:00:00Z'))?.startedAt).toBe('2026-12-04T15:00:00Z');
  });
  it('a start in the spring-forward gap moves forward by the gap (America/New_York, 8 March 2026)', () => {
    const early = w({ name: 'early', rrule: 'FREQ=DAILY;BYHOUR=2;BYMINUTE=30;BYSECOND=0', duration: '1h', timezone: 'America/New_York' });
    // 02:30 does not exist that night; 03:30 EDT = 07:30Z.
    expect(activeFreeze([early], at('2026-03-08T07:45:00Z'))?.startedAt).toBe('2026-03-08T07:30:00Z');
    // The day before: 02:30 EST = 07:30Z as well; the day after 02:30 EDT = 06:30Z.
    expect(activeFreeze([early], at('2026-03-09T06:45:00Z'))?.startedAt).toBe('2026-03-09T06:30:00Z');
  });
  it('a monthly quarter-close window spanning midnight', () => {
    const close = w({ name: 'quarter close', rrule: 'FREQ=MONTHLY;BYMONTH=3,6,9,12;BYMONTHDAY=-1;BYHOUR=0;BYMINUTE=0;BYSECOND=0', duration: '48h', timezone: 'UTC' });
    expect(activeFreeze([close], at('2026-12-31T12:00:00Z'))?.endsAt).toBe('2027-01-02T00:00:00Z');
    expect(activeFreeze([close], at('2027-01-01T23:59:59Z'))?.window).toBe('quarter close');
    expect(activeFreeze([close], at('2027-01-02T00:00:00Z'))).toBeUndefined();
    expect(activeFreeze([close], at('2026-11-27T00:00:00Z'))).toBeUndefined();
  });
  it('invalid rules → FERRY_CONFIG_INVALID with the key', () => {
    for (const rrule of ['FREQ=WEEKLY;BYDAY=XX', 'NOT A RULE', 'DTSTART:20260101T000000Z\nRRULE:FREQ=DAILY']) {
      expect(() => validateFreezeWindows([{ name: 'x', rrule, duration: '1h', timezone: 'UTC' }], { key: 'environments.prod.freeze' })).toThrow(
        expect.objectContaining({ code: 'FERRY_CONFIG_INVALID', problems: [expect.objectContaining({ location: { key: 'environments.prod.freeze[0].rrule' } })] }),
      );
    }
  });
});

describe('zonedToInstant', () => {
  it('takes the earlier instant in a fall-back overlap', () => {
    // 01:30 on 1 Nov 2026 in New York happens twice: EDT (05:30Z) first.
    expect(new Date(zonedToInstant(Date.UTC(2026, 10, 1, 1, 30), 'America/New_York')).toISOString()).toBe('2026-11-01T05:30:00.000Z');
    expect(new Date(zonedToInstant(Date.UTC(2026, 9, 25, 2, 30), 'Europe/Berlin')).toISOString()).toBe('2026-10-25T00:30:00.000Z');
  });
});
