import { Cron } from 'croner';
import { durationMs, fail, parseFreezeRrule, type FreezeInfo, type FreezeWindow } from '@ferry/core';

const DAY = 86_400_000;

/** Where a window sits in ferry.yml, for error messages (`environments[2].freeze[0]`). */
export interface FreezeSource {
  file?: string;
  /** Key path of the environment's freeze list, e.g. `environments.prod.freeze`. */
  key?: string;
}

/**
 * The freeze window `now` falls in, if any: a one-off window is active in
 * [from, to); a recurring one when its latest start ≤ now < start + duration.
 * With several active windows the one that ends last is reported (the deploy
 * is frozen until then). Invalid windows throw FERRY_CONFIG_INVALID naming the key.
 */
export function activeFreeze(windows: readonly FreezeWindow[], now: Date, source: FreezeSource = {}): FreezeInfo | undefined {
  let found: { window: string; start: number; end: number } | undefined;
  windows.forEach((w, i) => {
    const occ = occurrences(w, i, source, now.getTime());
    const hit = occ.latestStart !== undefined && occ.latestStart <= now.getTime() && now.getTime() < occ.latestStart + occ.length ? { window: w.name, start: occ.latestStart, end: occ.latestStart + occ.length } : undefined;
    if (hit && (!found || hit.end > found.end)) found = hit;
  });
  return found && info(found);
}

/** The next window to start after `now` (for the job summary and the plan). */
export function nextFreeze(windows: readonly FreezeWindow[], now: Date, source: FreezeSource = {}): FreezeInfo | undefined {
  let found: { window: string; start: number; end: number } | undefined;
  windows.forEach((w, i) => {
    const occ = occurrences(w, i, source, now.getTime());
    if (occ.nextStart !== undefined && (!found || occ.nextStart < found.start)) found = { window: w.name, start: occ.nextStart, end: occ.nextStart + occ.length };
  });
  return found && info(found);
}

/** Throws on the first window whose cron, rrule, timezone or dates cannot be read. */
export function validateFreezeWindows(windows: readonly FreezeWindow[], source: FreezeSource = {}): void {
  windows.forEach((w, i) => occurrences(w, i, source, Date.now()));
}

function info(f: { window: string; start: number; end: number }): FreezeInfo {
  return { window: f.window, startedAt: iso(f.start), endsAt: iso(f.end) };
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.000Z$/, 'Z');

interface Occurrences {
  /** The latest start at or before now. */
  latestStart?: number;
  /** The first start after now. */
  nextStart?: number;
  length: number;
}

function occurrences(w: FreezeWindow, i: number, source: FreezeSource, now: number): Occurrences {
  const key = (field: string) => `${source.key ?? 'freeze'}[${i}].${field}`;
  const bad = (field: string, message: string): never =>
    fail('FERRY_CONFIG_INVALID', `freeze window "${w.name}": ${message}`, { location: { ...(source.file ? { file: source.file } : {}), key: key(field) } });
  if ('from' in w) {
    const from = Date.parse(w.from);
    const to = Date.parse(w.to);
    if (!(to > from)) bad('to', `"to" (${w.to}) must be after "from" (${w.from})`);
    return { latestStart: from <= now ? from : undefined, nextStart: from > now ? from : undefined, length: to - from };
  }
  if (!isTimeZone(w.timezone)) bad('timezone', `"${w.timezone}" is not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)`);
  let length = 0;
  try {
    length = durationMs(w.duration);
  } catch {
    bad('duration', `"${w.duration}" is not a duration such as 2h or 3d`);
  }
  if (length <= 0) bad('duration', 'the duration must be longer than 0');
  if ('cron' in w) {
    let cron: Cron;
    try {
      cron = new Cron(w.cron, { timezone: w.timezone, paused: true });
    } catch (e) {
      return bad('cron', `"${w.cron}" is not a valid cron expression: ${(e as Error).message.replace(/^CronPattern: /, '')}`);
    }
    // croner's previousRuns(1, t) is strictly before t: ask for a start at `now` itself with now + 1 ms.
    const latest = cron.previousRuns(1, new Date(now + 1))[0]?.getTime();
    const next = cron.nextRun(new Date(now))?.getTime();
    return { latestStart: latest, nextStart: next, length };
  }
  // rrule.js's own `tzid` returns dates shifted into the *process's* local
  // time zone, so the result would depend on where ferry runs. Instead the rule
  // is expanded in floating wall-clock time (UTC fields = local time in
  // w.timezone) and each start converted to an instant here.
  let rule: ReturnType<typeof parseFreezeRrule>;
  try {
    rule = parseFreezeRrule(w.rrule);
  } catch (e) {
    return bad('rrule', `"${w.rrule}" is not a valid RFC 5545 RRULE (${(e as Error).message})`);
  }
  const wallNow = now + offsetAt(w.timezone, now);
  const toInstant = (d: Date) => zonedToInstant(d.getTime(), w.timezone);
  const around = rule.between(new Date(wallNow - length - 2 * DAY), new Date(wallNow + 2 * DAY), true).map(toInstant);
  let latest = around.filter((t) => t <= now).at(-1);
  if (latest === undefined) {
    const before = rule.before(new Date(wallNow), true);
    latest = before ? toInstant(before) : undefined;
  }
  let next = around.find((t) => t > now);
  if (next === undefined) {
    const after = rule.after(new Date(wallNow + 2 * DAY));
    next = after ? toInstant(after) : undefined;
  }
  return { latestStart: latest, nextStart: next, length };
}

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Milliseconds `tz` is ahead of UTC at instant `ms`. */
export function offsetAt(tz: string, ms: number): number {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(tz, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, Number(x.value)]));
  const asUtc = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  return asUtc - (ms - (((ms % 1000) + 1000) % 1000));
}

/**
 * The instant of a wall-clock time in `tz` (wall time given as UTC fields).
 * In a DST overlap the earlier instant; in a DST gap the time is moved
 * forward by the gap (02:30 on a spring-forward night → 03:30), as RFC 5545 says.
 */
export function zonedToInstant(wall: number, tz: string): number {
  const before = offsetAt(tz, wall - 14 * 3_600_000);
  const after = offsetAt(tz, wall + 14 * 3_600_000);
  const valid = [...new Set([before, after])].map((o) => wall - o).filter((t) => offsetAt(tz, t) === wall - t);
  if (valid.length) return Math.min(...valid);
  return wall - before;
}
