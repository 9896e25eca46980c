/** The request log: what the adapters sent the sandbox, with credentials and variable values masked. */
import type { JsonValue, RecordedProvider, RecordedRequest, RequestsQuery, RpcJson } from "./types";
import { iso, parseJson, type World } from "./world/store";

/** How many requests are kept; older ones are dropped on insert. */
export const REQUEST_LOG_SIZE = 2000;
export const REDACTED = "[redacted]";
export const MASK = "••••";

const SECRET_HEADERS = new Set(["authorization", "project-access-token", "cookie", "x-api-key"]);

type RequestRow = {
  seq: number;
  provider: string;
  method: string;
  host: string;
  path: string;
  headers: string;
  body: string | null;
  status: number;
  at: number;
};

/** Headers as a plain object with credentials replaced by "[redacted]". */
export function redactHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    out[name.toLowerCase()] = SECRET_HEADERS.has(name.toLowerCase()) ? REDACTED : value;
  });
  return out;
}

/**
 * Masks the values of Railway variables inside GraphQL variables (`input.variables` maps and the
 * `value` of a single variable upsert): the log is shown to people, the values may be secrets.
 */
export function maskVariableValues(value: JsonValue | undefined): JsonValue {
  if (value === undefined) return null;
  if (Array.isArray(value)) return value.map((v) => maskVariableValues(v));
  if (typeof value === "object" && value !== null) {
    const out: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === "variables" && typeof v === "object" && v !== null && !Array.isArray(v)) {
        out[k] = Object.fromEntries(Object.keys(v).map((name) => [name, MASK]));
      } else if (k === "value" && typeof v === "string") {
        out[k] = MASK;
      } else {
        out[k] = maskVariableValues(v);
      }
    }
    return out;
  }
  return value;
}

/** Appends one request and trims the log to its last REQUEST_LOG_SIZE entries. */
export function recordRequest(
  world: World,
  entry: Omit<RecordedRequest, "at" | "body"> & { body: JsonValue; at?: number },
): void {
  const at = entry.at ?? world.now();
  world.run(
    "INSERT INTO requests (provider, method, host, path, headers, body, status, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    entry.provider,
    entry.method,
    entry.host,
    entry.path,
    JSON.stringify(entry.headers),
    entry.body === null ? null : JSON.stringify(entry.body),
    entry.status,
    at,
  );
  world.run("DELETE FROM requests WHERE seq <= (SELECT MAX(seq) FROM requests) - ?", REQUEST_LOG_SIZE);
}

/** Recorded requests, newest first, optionally for one provider. */
export function listRequests(world: World, query: RequestsQuery = {}): RecordedRequest[] {
  return world
    .rows<RequestRow>(
      "SELECT * FROM requests WHERE (?1 IS NULL OR provider = ?1) ORDER BY seq DESC LIMIT ?2",
      query.provider ?? null,
      query.limit ?? 100,
    )
    .map((r) => ({
      provider: r.provider as RecordedProvider,
      method: r.method,
      host: r.host,
      path: r.path,
      headers: parseJson<Record<string, string>>(r.headers),
      body: r.body === null ? null : parseJson<RpcJson>(r.body),
      status: r.status,
      at: iso(r.at),
    }));
}
