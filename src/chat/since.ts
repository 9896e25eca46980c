/**
 * Relative times as people type them in chat ("since yesterday", "in the last 24h", "since monday",
 * "2 days ago") → the instant they mean. Pure: the caller passes the clock. Calendar words are UTC days.
 */
import { isoAt as iso } from "../domain/time";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const UNITS: Record<string, number> = {
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: HOUR,
  hr: HOUR,
  hrs: HOUR,
  hour: HOUR,
  hours: HOUR,
  d: DAY,
  day: DAY,
  days: DAY,
  w: 7 * DAY,
  week: 7 * DAY,
  weeks: 7 * DAY,
  month: 30 * DAY,
  months: 30 * DAY,
};
const WEEKDAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];

/**
 * The ISO instant a window start means, or undefined when it can't be read — callers must say so
 * rather than silently widen the window to "everything".
 */
export function sinceInstant(since: string, now: number): string | undefined {
  const text = since
    .trim()
    .toLowerCase()
    .replace(/\s+ago$/, "")
    .replace(/\s+/g, " ");
  const today = Math.floor(now / DAY) * DAY;
  if (text === "today" || text === "this morning") return iso(today);
  if (text === "yesterday" || text === "last night") return iso(today - DAY);
  const amount = /^(?:(?:last|past) )?(\d{1,4}) ?([a-z]+)$/.exec(text);
  if (amount && Object.hasOwn(UNITS, amount[2])) return iso(now - Number(amount[1]) * UNITS[amount[2]]);
  const period = /^(?:(?:last|past|an?|the last|the past) )?(hour|day|week|month)$/.exec(text);
  if (period) return iso(now - UNITS[period[1]]);
  const weekday = /^(last )?([a-z]+)$/.exec(text);
  if (weekday && WEEKDAYS.includes(weekday[2])) {
    const back = (new Date(today).getUTCDay() - WEEKDAYS.indexOf(weekday[2]) + 7) % 7;
    return iso(today - (back === 0 && weekday[1] ? 7 : back) * DAY);
  }
  if (/^\d{4}-\d{2}-\d{2}(?:t[\d:.]+(?:z|[+-]\d{2}:?\d{2})?)?$/.test(text)) {
    const t = Date.parse(since.trim().toUpperCase());
    return Number.isNaN(t) ? undefined : iso(t);
  }
  return undefined;
}
