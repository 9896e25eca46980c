/**
 * Per-isolate outcome counts, reported to the control plane in near real time. Seconds are counted per
 * (second, track, revision, salt) and sealed into a signed report once the second is over. Memory is
 * bounded twice: open seconds beyond MAX_OPEN and sealed reports beyond MAX_OUTBOX drop the oldest, and the
 * requests they held are reported as `dropped`. A sealed report keeps its seq through retries, so the
 * control plane, which answers 2xx only after it has stored the counts, can drop a repeat.
 */
import { latencyBucket } from "../domain/latency-buckets";
import type { ReportedSecond, RouterConfig, RouterReport, Track } from "./protocol";
import { EDGE_ROUTER_VERSION, REPORT_SIGNATURE_HEADER } from "./protocol";

const MAX_OPEN = 600;
const MAX_OUTBOX = 30;
/** Seconds per report: after an outage the backlog goes out in pieces well under the control plane's 64 KiB cap. */
const MAX_SECONDS_PER_REPORT = 100;
const MAX_BACKOFF_MS = 30_000;
const REPORT_TIMEOUT_MS = 5_000;

type Fetch = (input: Request) => Promise<Response>;

/** Lowercase hex HMAC-SHA256 of `${t}.${body}`: the report's signature (Stripe's v1 scheme). */
export async function signReport(secret: string, body: string, t: number): Promise<string> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(`${t}.${body}`)));
  return [...mac].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export class Reporter {
  readonly isolate = crypto.randomUUID();
  #open = new Map<string, ReportedSecond>();
  #outbox: { seq: number; body: string; route: string; requests: number }[] = [];
  #seq = 0;
  #dropped = 0;
  #failures = 0;
  #nextAttempt = 0;
  #sending: Promise<void> | null = null;

  /** Counts one request's outcome. */
  record(now: number, track: Track, config: RouterConfig, status: number, ms: number): void {
    const at = Math.floor(now / 1000);
    const salt = config.canary?.salt ?? "";
    const key = `${at}|${track}|${config.revision}|${salt}`;
    let s = this.#open.get(key);
    if (!s) {
      if (this.#open.size >= MAX_OPEN) this.#dropOldestOpen();
      s = {
        at,
        track,
        revision: config.revision,
        salt,
        requests: 0,
        status: { "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0 },
        latency: {},
      };
      this.#open.set(key, s);
    }
    s.requests++;
    s.status[status >= 500 ? "5xx" : status >= 400 ? "4xx" : status >= 300 ? "3xx" : "2xx"]++;
    const b = latencyBucket(ms);
    s.latency[b] = (s.latency[b] ?? 0) + 1;
  }

  /** Whether anything waits to be sent (the router then keeps a flush scheduled). */
  get pending(): boolean {
    return this.#open.size > 0 || this.#outbox.length > 0;
  }

  /** What is held, for tests and the bound's proof: open seconds, sealed reports, requests dropped. */
  get held(): { open: number; outbox: number; dropped: number } {
    return { open: this.#open.size, outbox: this.#outbox.length, dropped: this.#dropped };
  }

  /** Seals finished seconds and sends what is sealed, unless a send is under way or backing off. */
  flush(now: number, config: RouterConfig, secret: string, fetch: Fetch): Promise<void> {
    if (this.#sending) return this.#sending;
    if (now < this.#nextAttempt) return Promise.resolve();
    this.#seal(Math.floor(now / 1000), config.route);
    if (this.#outbox.length === 0 || !config.report) return Promise.resolve();
    const url = config.report.url;
    this.#sending = this.#send(url, secret, fetch, config.report.flushMs ?? 1000, now).finally(() => {
      this.#sending = null;
    });
    return this.#sending;
  }

  #seal(currentSecond: number, route: string): void {
    const done: ReportedSecond[] = [];
    for (const [key, s] of this.#open)
      if (s.at < currentSecond) {
        done.push(s);
        this.#open.delete(key);
      }
    for (let i = 0; i < done.length; i += MAX_SECONDS_PER_REPORT) {
      const seconds = done.slice(i, i + MAX_SECONDS_PER_REPORT);
      const report: RouterReport = {
        v: 1,
        router: EDGE_ROUTER_VERSION,
        route,
        isolate: this.isolate,
        seq: ++this.#seq,
        dropped: this.#dropped,
        seconds,
      };
      const requests = seconds.reduce((n, s) => n + s.requests, 0);
      this.#outbox.push({ seq: report.seq, body: JSON.stringify(report), route, requests });
    }
    while (this.#outbox.length > MAX_OUTBOX) this.#dropped += this.#outbox.shift()?.requests ?? 0;
  }

  async #send(url: string, secret: string, fetch: Fetch, flushMs: number, now: number): Promise<void> {
    while (this.#outbox.length > 0) {
      const { body } = this.#outbox[0];
      const t = Math.floor(Date.now() / 1000);
      let ok = false;
      let refused = false;
      try {
        const response = await fetch(
          new Request(url, {
            method: "POST",
            headers: {
              "content-type": "application/json",
              [REPORT_SIGNATURE_HEADER]: `t=${t},v1=${await signReport(secret, body, t)}`,
            },
            body,
            signal: AbortSignal.timeout(REPORT_TIMEOUT_MS),
          }),
        );
        ok = response.ok;
        // Refused for what it is (bad signature, too large, malformed): sending it again cannot help.
        refused = response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429;
        await response.body?.cancel();
      } catch {
        ok = false;
      }
      if (refused) {
        this.#dropped += this.#outbox.shift()?.requests ?? 0;
        continue;
      }
      if (!ok) {
        // Keep the report (same seq) and wait longer each time, so a control plane that is down is not hammered.
        this.#failures++;
        this.#nextAttempt = now + Math.min(MAX_BACKOFF_MS, flushMs * 2 ** this.#failures);
        return;
      }
      this.#outbox.shift();
      this.#failures = 0;
      this.#nextAttempt = now + flushMs;
    }
  }

  #dropOldestOpen(): void {
    let oldest: string | null = null;
    let at = Number.POSITIVE_INFINITY;
    for (const [key, s] of this.#open)
      if (s.at < at) {
        at = s.at;
        oldest = key;
      }
    if (oldest === null) return;
    this.#dropped += this.#open.get(oldest)?.requests ?? 0;
    this.#open.delete(oldest);
  }
}
