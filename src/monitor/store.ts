import { z } from "zod";
import type { ServiceSample } from "./anomalies";
import type { ErrorSample } from "./burn-rate";

/** How much error history burn-rate rules read: their longest window (3 days) and an hour's margin. */
const HISTORY_MS = 3 * 24 * 3600_000 + 3600_000;

/** Monitoring held back by Railway's request budget: since when, why, and when it asks again (ISO times). */
export const MonitorThrottle = z.object({
  since: z.string(),
  reason: z.string(),
  nextCheckAt: z.string(),
  /** Checks skipped since `since`. */
  skipped: z.number().int(),
});
export type MonitorThrottle = z.infer<typeof MonitorThrottle>;

/** The monitor's state in the EnvironmentDO's SQLite storage: when it last checked, and the error history. */
export class MonitorStore {
  constructor(private readonly sql: SqlStorage) {}

  /** Creates the tables; called once from the DO constructor under blockConcurrencyWhile. */
  migrate(): void {
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS monitor_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS monitor_samples (service TEXT NOT NULL, at INTEGER NOT NULL, requests INTEGER NOT NULL, errors INTEGER NOT NULL, PRIMARY KEY (service, at));
    `);
  }

  /** The environment this object monitors (known after its first check). */
  envId(): string | null {
    return this.#get("envId");
  }

  setEnvId(envId: string): void {
    this.#set("envId", envId);
  }

  /** When the last check ran (epoch ms; 0 before the first). */
  lastCheckAt(): number {
    return Number(this.#get("lastCheckAt") ?? "0");
  }

  markChecked(at: number): void {
    this.#set("lastCheckAt", String(at));
  }

  /** When provider state was last compared with the spec (epoch ms; 0 before the first). */
  lastDriftAt(): number {
    return Number(this.#get("lastDriftAt") ?? "0");
  }

  markDriftChecked(at: number): void {
    this.#set("lastDriftAt", String(at));
  }

  /** Why the last check did not run (Railway's request budget), or null when it did. */
  throttle(): MonitorThrottle | null {
    const raw = this.#get("throttle");
    if (!raw) return null;
    const parsed = MonitorThrottle.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  }

  setThrottle(throttle: MonitorThrottle | null): void {
    if (throttle === null) this.sql.exec("DELETE FROM monitor_state WHERE key = 'throttle'");
    else this.#set("throttle", JSON.stringify(throttle));
  }

  /** Adds this window's buckets to the error history and returns it per service (pruned to 3 days). */
  rememberErrors(samples: ServiceSample[], bucketAt: number, now: number): Record<string, ErrorSample[]> {
    for (const s of samples) {
      if (s.kind !== "service") continue;
      this.sql.exec(
        "INSERT INTO monitor_samples (service, at, requests, errors) VALUES (?, ?, ?, ?) ON CONFLICT (service, at) DO UPDATE SET requests = excluded.requests, errors = excluded.errors",
        s.service,
        bucketAt,
        s.requests,
        s.errors,
      );
    }
    this.sql.exec("DELETE FROM monitor_samples WHERE at < ?", now - HISTORY_MS);
    const history: Record<string, ErrorSample[]> = {};
    for (const r of this.sql.exec("SELECT service, at, requests, errors FROM monitor_samples ORDER BY at").toArray()) {
      (history[String(r.service)] ??= []).push({
        at: Number(r.at),
        requests: Number(r.requests),
        errors: Number(r.errors),
      });
    }
    return history;
  }

  #get(key: string): string | null {
    const row = this.sql.exec("SELECT value FROM monitor_state WHERE key = ?", key).toArray()[0];
    return row ? String(row.value) : null;
  }

  #set(key: string, value: string): void {
    this.sql.exec(
      "INSERT INTO monitor_state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      key,
      value,
    );
  }
}
