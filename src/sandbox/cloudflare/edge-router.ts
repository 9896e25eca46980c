/**
 * What an edge router Worker does in the sandbox's Cloudflare, from its bindings, written from the protocol
 * (docs/edge-router-protocol.md) and not from Infra Chat's router code: a fake sharing code with what it
 * checks would prove nothing. The uploaded script itself is kept, never run.
 *
 * A zone route sends a hostname's requests to a script; its ROUTER_CONFIG says where stable and canary are
 * and who goes where: a client's key (its `__ic_track` cookie, else its Authorization header) hashed with
 * the step's salt, in the canary below the weight, until the deadline. The sandbox's users are a fixed
 * crowd of clients per traffic group, each with a cookie jar (or, for API clients, a token), so a client
 * stays on one version for a whole step as a browser would.
 */
import { hashString, mix32 } from "../traffic/random";
import type { World } from "../world/store";
import type { WorkerScriptSettings } from "./model";
import { listResources, recordsNamed, type StoredResource, type ZoneRow } from "./store";

/** The router's configuration, as its protocol defines ROUTER_CONFIG. */
export interface RouterConfigView {
  revision: number;
  route: string;
  stable: { origin: string };
  canary?: { origin: string; weight: number; deadline: number; salt: string };
  report?: { url: string };
  cookie: string;
}

const HOST = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;
const CLIENT_ID = /^[A-Za-z0-9_-]{16,64}$/;
const DEFAULT_COOKIE = "__ic_track";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null;

/**
 * ROUTER_CONFIG and ROUTER_SECRET of a script, read as the protocol says a router reads them: without a valid
 * stable origin there is no config (the router answers 503); a canary part that is not valid is dropped.
 */
export function routerBindings(script: WorkerScriptSettings): {
  config: RouterConfigView | null;
  secret: string | null;
} {
  const secret = script.bindings.find((b) => b.name === "ROUTER_SECRET" && b.type === "secret_text");
  const raw = script.bindings.find((b) => b.name === "ROUTER_CONFIG");
  let v: unknown = raw?.type === "json" ? raw.json : raw?.type === "plain_text" ? raw.text : undefined;
  if (typeof v === "string") {
    try {
      v = JSON.parse(v);
    } catch {
      v = undefined;
    }
  }
  const secretText = secret?.type === "secret_text" ? secret.text : null;
  if (!isObject(v) || !isObject(v.stable) || typeof v.stable.origin !== "string" || !HOST.test(v.stable.origin))
    return { config: null, secret: secretText };
  const config: RouterConfigView = {
    revision: Number.isSafeInteger(v.revision) ? Number(v.revision) : 0,
    route: typeof v.route === "string" ? v.route : "",
    stable: { origin: v.stable.origin },
    cookie: typeof v.cookie === "string" && /^[A-Za-z0-9_]{1,64}$/.test(v.cookie) ? v.cookie : DEFAULT_COOKIE,
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
  if (isObject(r) && typeof r.url === "string" && /^(https:\/\/|http:\/\/(localhost|127\.0\.0\.1)[:/])/.test(r.url))
    config.report = { url: r.url };
  return { config, secret: secretText };
}

/** The protocol's assignment hash: FNV-1a over UTF-16 code units, then murmur3's finalizer. */
export function assignmentHash(text: string): number {
  return mix32(hashString(text));
}

/** The canary's share (0–100) at `nowMs`: nothing without a canary or past its deadline. */
export function canaryWeightAt(config: RouterConfigView, nowMs: number): number {
  return config.canary && nowMs < config.canary.deadline ? config.canary.weight : 0;
}

/** Whether the client with this key goes to the canary at `nowMs`. */
export function inCanary(config: RouterConfigView, clientKey: string, nowMs: number): boolean {
  const weight = canaryWeightAt(config, nowMs);
  return config.canary !== undefined && assignmentHash(`${config.canary.salt}\n${clientKey}`) / 2 ** 32 < weight / 100;
}

/** Who a request's client is: its cookie id, else its Authorization header, else a new id to set as a cookie. */
export function clientOf(request: Request, cookie: string, newId: () => string): { key: string; setId?: string } {
  for (const part of (request.headers.get("cookie") ?? "").split(";")) {
    const at = part.indexOf("=");
    if (at > 0 && part.slice(0, at).trim() === cookie && CLIENT_ID.test(part.slice(at + 1).trim()))
      return { key: `c:${part.slice(at + 1).trim()}` };
  }
  const auth = request.headers.get("authorization");
  if (auth) return { key: `a:${auth}` };
  const id = newId();
  return { key: `c:${id}`, setId: id };
}

/** Clients in each traffic group; 1 in 8 is an API client that sends a token instead of keeping cookies. */
export const GROUP_CLIENTS = 400;

/** The key a group's simulated client presents: the cookie the router once set for it, or its API token. */
export function simulatedClientKey(groupRoot: number, client: number): string {
  const word = (i: number) =>
    mix32(groupRoot ^ mix32(client * 4 + i + 1))
      .toString(16)
      .padStart(8, "0");
  const id = `${word(0)}${word(1)}${word(2)}${word(3)}`;
  return client % 8 === 7 ? `a:Bearer ip_live_${id}` : `c:${id}`;
}

/** For each simulated client of a group, whether it is on the canary under this config (before its deadline). */
export function canaryClients(config: RouterConfigView, groupRoot: number): Uint8Array {
  const out = new Uint8Array(GROUP_CLIENTS);
  const canary = config.canary;
  if (!canary || canary.weight <= 0) return out;
  for (let c = 0; c < GROUP_CLIENTS; c++)
    out[c] =
      assignmentHash(`${canary.salt}\n${simulatedClientKey(groupRoot, c)}`) / 2 ** 32 < canary.weight / 100 ? 1 : 0;
  return out;
}

/** Whether Cloudflare proxies a hostname of the zone (a route runs only then): an orange-clouded record or a load balancer. */
function proxied(world: World, zone: ZoneRow, host: string): boolean {
  return (
    recordsNamed(world, host).some((r) => r.settings.proxied && ["A", "AAAA", "CNAME"].includes(r.settings.type)) ||
    listResources(world, "load_balancer", zone.id).some((lb) => lb.settings.name === host && lb.settings.enabled)
  );
}

/** The host and path prefix a route pattern matches ("api.example.com/*"; "*.example.com/*" for subdomains). */
function matches(pattern: string, host: string, path: string): boolean {
  const slash = pattern.indexOf("/");
  if (slash < 0) return false;
  const patternHost = pattern.slice(0, slash).toLowerCase();
  const patternPath = pattern.slice(slash);
  const hostOk = patternHost.startsWith("*") ? host.endsWith(patternHost.slice(1)) : host === patternHost;
  const pathOk = patternPath.endsWith("*") ? path.startsWith(patternPath.slice(0, -1)) : path === patternPath;
  return hostOk && pathOk;
}

/** The script a request to `host` + `path` runs, when a zone route sends it to one and Cloudflare proxies the host. */
export function routedScript(
  world: World,
  zone: ZoneRow,
  host: string,
  path = "/",
): StoredResource<"worker_script"> | null {
  if (!proxied(world, zone, host)) return null;
  const route = listResources(world, "worker_route", zone.id).find(
    (r) => r.settings.script !== null && matches(r.settings.pattern, host, path),
  );
  if (!route) return null;
  return (
    listResources(world, "worker_script", zone.account_id).find((s) => s.settings.name === route.settings.script) ??
    null
  );
}

/** Every script a served route puts in front of a hostname, with its zone and the host. */
export function routedScripts(
  world: World,
): { zone: ZoneRow; host: string; script: StoredResource<"worker_script"> }[] {
  const zones = new Map(
    world.rows<ZoneRow>("SELECT * FROM cf_zones ORDER BY created_at, rowid").map((z) => [z.id, z] as const),
  );
  const out: { zone: ZoneRow; host: string; script: StoredResource<"worker_script"> }[] = [];
  for (const route of listResources(world, "worker_route")) {
    const zone = zones.get(route.ownerId);
    const host = route.settings.pattern.split("/")[0].toLowerCase();
    if (!zone || host.startsWith("*")) continue;
    const script = routedScript(world, zone, host);
    if (script) out.push({ zone, host, script });
  }
  return out;
}
