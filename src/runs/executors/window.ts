/** The earliest time ≥ `at` inside a daily local-time window (e.g. 01:00–05:00 Europe/London). */
export function nextWindowStart(at: number, window: { start: string; end: string; tz: string }): number {
  const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
  const [start, end] = [minutesOf(window.start), minutesOf(window.end)];
  const inside = (m: number) => (start <= end ? m >= start && m < end : m >= start || m < end);
  // Minute steps over at most a day: simple, exact across DST changes, and cheap enough per batch.
  for (let t = at, i = 0; i <= 24 * 60; i++, t = Math.floor(t / 60_000) * 60_000 + 60_000) {
    if (inside(localMinutes(t, window.tz))) return t;
  }
  return at;
}

function localMinutes(t: number, tz: string): number {
  const parts = new Intl.DateTimeFormat("en-GB", {
    timeZone: tz,
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(new Date(t));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return get("hour") * 60 + get("minute");
}
