/**
 * Railway's `httpLogs` over simulated requests: the HttpLog object and the documented filter syntax
 * (railway.md §11): `@field:value`, numeric comparisons (`@httpStatus:>=500`, `@totalDuration:>600`),
 * ranges (`500..599`), negation (`-@method:GET`), implicit AND, `OR`, and free text.
 */
import { nanoTimestamp } from "../world/logs";
import type { SimRequest } from "./generator";
import type { TrafficPlan } from "./plan";
import { mix32, seededToken } from "./random";

const USER_AGENTS = [
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
  "InvoicePerfect-iOS/3.12.0 (iPhone; iOS 17.4)",
  "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
];
const EDGE_REGIONS = ["us-west2", "us-east4-eqdc4a", "europe-west4-drams3a", "asia-southeast1-eqsg3a"];

/** The HttpLog object exactly as the schema types it (every field non-null). */
export interface HttpLogView {
  timestamp: string;
  requestId: string;
  method: string;
  path: string;
  host: string;
  httpStatus: number;
  totalDuration: number;
  upstreamRqDuration: number;
  upstreamErrors: string;
  responseDetails: string;
  deploymentId: string;
  deploymentInstanceId: string;
  srcIp: string;
  clientUa: string;
  edgeRegion: string;
  rxBytes: number;
  txBytes: number;
  upstreamAddress: string;
  upstreamProto: string;
  downstreamProto: string;
}

/** Builds the HttpLog of one request; every string is derived from the request's seed. */
export function httpLogView(plan: TrafficPlan, r: SimRequest): HttpLogView {
  const h = mix32(r.seed ^ 0x5bd1e995);
  const instance = plan.instanceIds[r.index % Math.max(plan.instanceIds.length, 1)] ?? plan.deploymentId;
  const refused = plan.crashed;
  return {
    timestamp: nanoTimestamp(r.at),
    requestId: seededToken(r.seed, 22),
    method: r.method,
    path: r.path,
    host: plan.host,
    httpStatus: r.status,
    totalDuration: r.totalMs,
    upstreamRqDuration: r.upstreamMs,
    upstreamErrors: refused
      ? `[{"deploymentInstanceID":"${instance}","duration":${r.upstreamMs},"error":"connection refused"}]`
      : "",
    responseDetails: refused ? "failed to forward request to upstream: connection refused" : "",
    deploymentId: plan.deploymentId,
    deploymentInstanceId: instance,
    srcIp: `${(h % 200) + 23}.${(h >>> 8) % 256}.${(h >>> 16) % 256}.${((h >>> 24) % 254) + 1}`,
    clientUa: USER_AGENTS[h % USER_AGENTS.length],
    edgeRegion: EDGE_REGIONS[(h >>> 4) % EDGE_REGIONS.length],
    rxBytes: r.rxBytes,
    txBytes: r.txBytes,
    upstreamAddress: `http://[fd12:${(plan.requestRoot >>> 16).toString(16)}:${(plan.requestRoot & 0xffff).toString(16)}::${(r.index % 4) + 1}]:${plan.port}`,
    upstreamProto: "HTTP/1.1",
    downstreamProto: "HTTP/2.0",
  };
}

type Field = keyof HttpLogView;
const ALIASES: Record<string, Field> = {
  status: "httpStatus",
  duration: "totalDuration",
  instance: "deploymentInstanceId",
};
const FIELDS = new Set<string>([
  "timestamp",
  "requestId",
  "method",
  "path",
  "host",
  "httpStatus",
  "totalDuration",
  "upstreamRqDuration",
  "upstreamErrors",
  "responseDetails",
  "deploymentId",
  "deploymentInstanceId",
  "srcIp",
  "clientUa",
  "edgeRegion",
  "rxBytes",
  "txBytes",
  "upstreamAddress",
  "upstreamProto",
  "downstreamProto",
]);
// Fields a SimRequest carries directly: filtering on them never builds the (string-heavy) view.
const CHEAP: Partial<Record<Field, (r: SimRequest) => string | number>> = {
  method: (r) => r.method,
  path: (r) => r.path,
  httpStatus: (r) => r.status,
  totalDuration: (r) => r.totalMs,
  upstreamRqDuration: (r) => r.upstreamMs,
  rxBytes: (r) => r.rxBytes,
  txBytes: (r) => r.txBytes,
};

type Test = (r: SimRequest, view: () => HttpLogView) => boolean;

function valueTest(raw: string): (v: string | number) => boolean {
  const range = /^(-?\d+(?:\.\d+)?)\.\.(-?\d+(?:\.\d+)?)$/.exec(raw);
  if (range) return (v) => Number(v) >= Number(range[1]) && Number(v) <= Number(range[2]);
  const cmp = /^(>=|<=|>|<|=)(-?\d+(?:\.\d+)?)$/.exec(raw);
  if (cmp) {
    const n = Number(cmp[2]);
    const ops: Record<string, (v: number) => boolean> = {
      ">=": (v) => v >= n,
      "<=": (v) => v <= n,
      ">": (v) => v > n,
      "<": (v) => v < n,
      "=": (v) => v === n,
    };
    return (v) => ops[cmp[1]](Number(v));
  }
  const value = raw.replace(/^"(.*)"$/, "$1").toLowerCase();
  if (value.includes("*")) {
    const glob = new RegExp(
      `^${value
        .split("*")
        .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
        .join(".*")}$`,
    );
    return (v) => glob.test(String(v).toLowerCase());
  }
  return (v) => String(v).toLowerCase() === value;
}

function termTest(term: string): Test {
  const negated = term.startsWith("-");
  const body = negated ? term.slice(1) : term;
  const attr = /^@([A-Za-z]+):(.+)$/.exec(body);
  let test: Test;
  if (attr) {
    const field = (ALIASES[attr[1]] ?? attr[1]) as Field;
    const check = valueTest(attr[2]);
    const cheap = CHEAP[field];
    test = !FIELDS.has(field) ? () => false : cheap ? (r) => check(cheap(r)) : (_r, view) => check(view()[field]);
  } else {
    const text = body.toLowerCase();
    test = (r, view) =>
      r.path.toLowerCase().includes(text) || r.method.toLowerCase() === text || view().host.includes(text);
  }
  return negated ? (r, view) => !test(r, view) : test;
}

/** Compiles a filter to a predicate over requests; empty matches everything. */
export function compileHttpFilter(filter: string | null | undefined, plan: TrafficPlan): (r: SimRequest) => boolean {
  const alternatives = (filter ?? "")
    .trim()
    .split(/\s+OR\s+/)
    .map((alt) =>
      alt
        .split(/\s+/)
        .filter((t) => t !== "" && t !== "AND")
        .map(termTest),
    );
  if (alternatives.every((a) => a.length === 0)) return () => true;
  return (r) => {
    let cached: HttpLogView | null = null;
    const view = () => (cached ??= httpLogView(plan, r));
    return alternatives.some((terms) => terms.every((t) => t(r, view)));
  };
}
