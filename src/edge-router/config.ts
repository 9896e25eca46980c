/**
 * Reads the `ROUTER_CONFIG` binding. Checked by hand rather than with zod: the router must stay a few
 * kilobytes. Anything malformed in the canary part drops the canary (everyone to stable); without a valid
 * stable origin there is nowhere to send anyone, and the router answers 503.
 */
import type { RouterConfig } from "./protocol";

const HOST = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

let lastRaw: unknown;
let lastParsed: RouterConfig | null = null;

/** The config from the binding (an object, or JSON text), or null when it cannot route at all. */
export function readConfig(raw: unknown): RouterConfig | null {
  if (raw === lastRaw) return lastParsed;
  lastRaw = raw;
  lastParsed = parse(raw);
  return lastParsed;
}

function parse(raw: unknown): RouterConfig | null {
  let v: unknown = raw;
  if (typeof raw === "string") {
    try {
      v = JSON.parse(raw);
    } catch {
      return null;
    }
  }
  if (!isObject(v) || !isObject(v.stable) || typeof v.stable.origin !== "string" || !HOST.test(v.stable.origin))
    return null;
  const config: RouterConfig = {
    revision: Number.isSafeInteger(v.revision) ? (v.revision as number) : 0,
    route: typeof v.route === "string" ? v.route : "",
    stable: { origin: v.stable.origin },
  };
  const c = v.canary;
  if (
    isObject(c) &&
    typeof c.origin === "string" &&
    HOST.test(c.origin) &&
    typeof c.weight === "number" &&
    c.weight >= 0 &&
    c.weight <= 100 &&
    typeof c.deadline === "number" &&
    typeof c.salt === "string"
  )
    config.canary = { origin: c.origin, weight: c.weight, deadline: c.deadline, salt: c.salt };
  const r = v.report;
  // Reports carry traffic counts: https only, except to a control plane on this machine (local development).
  if (isObject(r) && typeof r.url === "string" && /^(https:\/\/|http:\/\/(localhost|127\.0\.0\.1)[:/])/.test(r.url))
    config.report = { url: r.url, flushMs: typeof r.flushMs === "number" && r.flushMs >= 100 ? r.flushMs : 1000 };
  if (typeof v.cookie === "string" && /^[A-Za-z0-9_]{1,64}$/.test(v.cookie)) config.cookie = v.cookie;
  return config;
}
