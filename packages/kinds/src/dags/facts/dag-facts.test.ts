import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from '@jest/globals';
import { collectFacts } from './dag-facts.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'ferry-dag-facts-'));
afterAll(() => fs.rmSync(TMP, { recursive: true, force: true }));

describe('dag_facts.py: static values of schedule, start_date and catchup', () => {
  it('reads literals, module constants (one level), time zones, and says why a value is not static', async () => {
    const file = path.join(HERE, 'fixtures/values.py');
    const { facts } = await collectFacts('python3', [file], { tmpDir: TMP, cwd: TMP });
    const rows = Object.fromEntries(
      facts[0]!.dags.map((d) => [d.dag_id ?? `line ${d.line}`, [d.schedule_value, d.start_date_value, d.catchup_value, d.start_date_naive ?? false, d.not_static ?? {}]]),
    );
    expect(rows).toEqual({
      pendulum_utc: ['@daily', '2024-01-01T00:00:00Z', false, false, {}],
      pendulum_default_utc: ['0 6 * * 1-5', '2024-01-01T06:30:00Z', true, false, {}],
      naive: ['None', '2024-01-01T00:00:00Z', null, true, {}],
      aware_stdlib: ['P1DT12H', '2024-01-01T00:00:00.5Z', true, false, {}],
      constants: ['PT6H', '2023-06-01T00:00:00[Europe/Amsterdam]', false, false, {}],
      zoneinfo: ['@hourly', '2024-03-01T00:00:00[Europe/Paris]', null, false, {}],
      fixed_offset: ['@weekly', '2024-03-01T12:00:00-05:30', null, false, {}],
      pytz_tzinfo: ['@weekly', null, null, false, { start_date: "a pytz zone passed as tzinfo= takes the zone's local mean time offset (pytz needs localize()); use pendulum or zoneinfo" }],
      pendulum_zone_constant: ['@monthly', '2024-03-01T00:00:00[America/New_York]', null, false, {}],
      invalid_date: ['*/5 * * * *', null, null, false, { start_date: 'not a valid date: day is out of range for month' }],
      airflow_timezone_datetime: ['@daily', '2024-05-01T00:00:00Z', null, true, {}],
      days_ago: ['@daily', null, null, false, { start_date: 'computed from the current time by days_ago()', catchup: "imported name 'dt' (from datetime)" }],
      datasets: [null, '2024-01-01T00:00:00Z', false, true, { schedule: 'data-aware schedule (a list of datasets or assets)' }],
      timetable: [null, '2024-01-01T00:00:00Z', null, true, { schedule: 'a timetable object (CronTriggerTimetable(...))' }],
      default_args_start: ['@daily', '2022-12-31T23:00:00Z', null, true, {}],
      odd_timedelta: ['PT1H30M1.5S', null, null, false, { start_date: "imported name 'SHARED_START' (from shared.SHARED_START)" }],
      weeks: ['P7D', '2024-01-01T00:00:00Z', false, false, {}],
      relativedelta: [null, '2024-01-01T00:00:00Z', null, false, { schedule: 'result of calling relativedelta()' }],
      spread: [null, null, null, false, {}],
      decorated: ['@daily', '2024-01-01T00:00:00[Asia/Kolkata]', true, false, {}],
      'line 75': [null, null, false, false, { schedule: "parameter 'schedule' of make()", start_date: "parameter 'start' of make()" }],
    });
    const spread = facts[0]!.dags.find((d) => d.dag_id === 'spread')!;
    expect([spread.schedule, spread.start_date, spread.catchup]).toEqual(['unknown', 'unknown', 'unknown']);
  });
});
