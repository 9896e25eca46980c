/** The sandbox world's storage handle: typed SQL over the SandboxDO's SQLite, a clock and the time scale. */

/** One SQLite row as the storage API returns it. */
export type Row = Record<string, SqlStorageValue>;

/** Base length of one deployment phase (queued, building, pre-deploy, deploying) at time scale 1. */
export const BASE_PHASE_MS = 1500;

/** Parses `SANDBOX_TIME_SCALE` ("0" = every phase is instant; default "1"); nonsense falls back to 1. */
export function parseTimeScale(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === "") return 1;
  const scale = Number(raw);
  return Number.isFinite(scale) && scale >= 0 ? scale : 1;
}

/**
 * Everything the world's modules share. Deliberately small: entity logic lives in the modules
 * beside this file, which take a World, so no single class grows into a god object.
 */
export class World {
  constructor(
    readonly sql: SqlStorage,
    public timeScale: number,
    readonly clock: () => number = Date.now,
  ) {}

  /** Current time in ms (workerd freezes Date.now() between I/O, which keeps one request consistent). */
  now(): number {
    return this.clock();
  }

  /** Length of one deployment phase in ms at this world's time scale. */
  get phaseMs(): number {
    return BASE_PHASE_MS * this.timeScale;
  }

  /** All rows of a query. */
  rows<T extends Row>(query: string, ...bindings: SqlStorageValue[]): T[] {
    return this.sql.exec<T>(query, ...bindings).toArray();
  }

  /** The first row of a query, or null. */
  first<T extends Row>(query: string, ...bindings: SqlStorageValue[]): T | null {
    return this.rows<T>(query, ...bindings)[0] ?? null;
  }

  /** Runs a statement that returns nothing of interest. */
  run(query: string, ...bindings: SqlStorageValue[]): void {
    this.sql.exec(query, ...bindings);
  }

  /** A key/value read from the meta table (seed ids, counters). */
  getMeta(key: string): string | null {
    return this.first<{ value: string }>("SELECT value FROM meta WHERE key = ?", key)?.value ?? null;
  }

  /** A key/value write to the meta table. */
  setMeta(key: string, value: string): void {
    this.run(
      "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      key,
      value,
    );
  }

  /** Next value of a named monotonic counter (ordering ties between rows created in the same ms). */
  nextSeq(name: string): number {
    const next = Number(this.getMeta(`seq:${name}`) ?? "0") + 1;
    this.setMeta(`seq:${name}`, String(next));
    return next;
  }
}

/** A Railway-style id (UUID v4). */
export function newId(): string {
  return crypto.randomUUID();
}

/** Lowercase hex of `bytes` random bytes (commit shas, domain suffixes, passwords). */
export function randomHex(bytes: number): string {
  const buf = crypto.getRandomValues(new Uint8Array(bytes));
  return [...buf].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** ISO-8601 UTC of an epoch-ms time. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Parses a JSON column written by this module; a corrupt value is a bug, so it throws. */
export function parseJson<T>(text: string): T {
  return JSON.parse(text) as T;
}

/** An expected refusal of the simulated provider (unknown id, bad state); surfaces as the provider's error. */
export class WorldError extends Error {
  readonly code = "world_error";
  constructor(message: string) {
    super(message);
    this.name = "WorldError";
  }
}
