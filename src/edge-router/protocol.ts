/**
 * What the edge router and the control plane say to each other: the router's configuration (pushed into the
 * script's bindings by the Workers API, so it survives the control plane being down) and its reports of
 * per-second outcomes per track. Types and constants only, so the router bundles nothing from here.
 */

/** Semantic version of the router script; reports carry it, so the control plane knows what it talks to. */
export const EDGE_ROUTER_VERSION = "1.0.0";

/** Header carrying `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` on every report. */
export const REPORT_SIGNATURE_HEADER = "x-infra-chat-signature";
/** Cookie holding a client's random id, so a browser stays on one track for a step. */
export const DEFAULT_TRACK_COOKIE = "__ic_track";

export type Track = "stable" | "canary";

/** The `ROUTER_CONFIG` binding (JSON). */
export interface RouterConfig {
  /** Revision set by the control plane; every reported second names the revision it was routed under. */
  revision: number;
  /** The environment and service this hostname belongs to, e.g. "invoice-perfect:production/api". */
  route: string;
  /** Railway origin hostnames, e.g. "api-production-1a2b.up.railway.app". */
  stable: { origin: string };
  /** Absent when no canary runs. */
  canary?: {
    origin: string;
    /** Percent of clients (0–100). */
    weight: number;
    /** Unix ms after which the router sends everyone to stable by itself (the control plane went quiet). */
    deadline: number;
    /** Salts the assignment hash: the step's id, so a new step may reassign clients. */
    salt: string;
  };
  /** Where to send outcomes; no reports without it. */
  report?: {
    url: string;
    /** Least time between two reports of one isolate (default 1000). */
    flushMs?: number;
  };
  cookie?: string;
}

/** Status classes counted per second. */
export interface StatusCounts {
  "2xx": number;
  "3xx": number;
  "4xx": number;
  "5xx": number;
}

/** One second of one track under one config revision and assignment salt. */
export interface ReportedSecond {
  /** Unix seconds. */
  at: number;
  track: Track;
  revision: number;
  /** The canary salt (step id) in force, or "" without a canary. */
  salt: string;
  requests: number;
  status: StatusCounts;
  /** LATENCY_BUCKET index → requests (time to the origin's response headers). */
  latency: Record<string, number>;
}

/** One POST to the control plane. (isolate, seq) is unique: a retried report repeats both, so it counts once. */
export interface RouterReport {
  v: 1;
  router: string;
  route: string;
  isolate: string;
  seq: number;
  /** Requests this isolate could not keep for reporting (memory bound or a control plane down too long). */
  dropped: number;
  seconds: ReportedSecond[];
}
