/**
 * Cloudflare's edge in front of a zone's hostnames: what a client (a health probe, a person's browser)
 * meets when it calls `https://api.<zone>/…` instead of a Railway domain. A load balancer named after
 * the hostname steers to a pool and an origin (by weight); otherwise the hostname's A/AAAA/CNAME record
 * says where to go. Proxied traffic reaches the origin the way the zone's SSL/TLS mode says:
 *
 * - Full / Strict: HTTPS to the origin, which answers as the app (Railway routes by the Host header).
 * - Flexible: plain HTTP to the origin, and Railway answers every HTTP request with a 301 to HTTPS on the
 *   Host it was sent. The edge passes the 301 on, so a client following it comes back to the same URL:
 *   the redirect loop browsers report as ERR_TOO_MANY_REDIRECTS (with a Host override, it escapes to
 *   the Railway domain instead, bypassing the edge).
 * - Off: the edge itself sends HTTPS visitors to HTTP, where Flexible's loop takes over.
 *
 * A DNS-only (grey-cloud) record sends the client straight to its target with the original Host.
 */
import { zoneSslMode } from "../account";
import { isAppHost } from "../app";
import { json } from "../http";
import { hashString, mix32 } from "../traffic/random";
import { poolShares } from "../traffic/shares";
import type { World } from "../world/store";
import { clientOf, inCanary, routedScript, routerBindings } from "./edge-router";
import { listResources, listZones, type StoredResource, type ZoneRow } from "./store";

/**
 * What the edge does with a request: answer it itself, or pass it (without its body) to an origin, with a
 * cookie for the client when an edge router assigned it for the first time.
 */
export type EdgeOutcome =
  | { kind: "answer"; response: Response }
  | { kind: "origin"; request: Request; setCookie?: string };

/** The sandbox zone a hostname belongs to (the longest matching zone name), or null. */
export function zoneOfHost(world: World, hostname: string): ZoneRow | null {
  const host = hostname.toLowerCase();
  const zones = listZones(world).filter((z) => host === z.name || host.endsWith(`.${z.name}`));
  return zones.sort((a, b) => b.name.length - a.name.length)[0] ?? null;
}

function edgeHeaders(world: World): Record<string, string> {
  const ray = mix32(hashString(String(world.nextSeq("cf-ray"))))
    .toString(16)
    .padStart(8, "0");
  return { server: "cloudflare", "cf-ray": `${ray}${ray.slice(0, 8)}-SJC` };
}

function redirect(world: World, location: string): Response {
  return new Response(null, { status: 301, headers: { location, ...edgeHeaders(world) } });
}

// Cloudflare's own error pages are HTML; the JSON here carries the same code and title for a client to read.
function edgeError(world: World, status: number, title: string): Response {
  return json(status, { error: `${status}: ${title}`, source: "cloudflare" }, edgeHeaders(world));
}

/** The origin a load balancer picks for one request: pool by weight, then origin by weight. */
function pickOrigin(
  world: World,
  lb: StoredResource<"load_balancer">,
): { address: string; host: string | null } | null {
  const draw = () => mix32(hashString(`edge:${world.nextSeq("edge")}`)) / 0x1_0000_0000;
  const pools = poolShares(world, lb);
  let point = draw();
  const pool = pools.find(([, share]) => (point -= share) < 0)?.[0] ?? pools.at(-1)?.[0];
  const origins = pool?.settings.origins.filter((o) => o.enabled && o.weight > 0) ?? [];
  const total = origins.reduce((sum, o) => sum + o.weight, 0);
  let at = draw() * total;
  const origin = origins.find((o) => (at -= o.weight) < 0) ?? origins.at(-1);
  return origin ? { address: origin.address, host: origin.header?.Host?.[0] ?? null } : null;
}

/** Where the hostname leads: an origin (with the Host it is sent), whether the edge proxies it, or nowhere. */
function target(
  world: World,
  zone: ZoneRow,
  host: string,
): { origin: string; hostHeader: string; proxied: boolean } | "unreachable" | null {
  const lb = listResources(world, "load_balancer", zone.id).find((r) => r.settings.name === host && r.settings.enabled);
  if (lb) {
    const origin = pickOrigin(world, lb);
    if (!origin) return "unreachable";
    return { origin: origin.address, hostHeader: origin.host ?? host, proxied: lb.settings.proxied };
  }
  const record = listResources(world, "dns_record", zone.id).find(
    (r) => r.settings.name === host && ["A", "AAAA", "CNAME"].includes(r.settings.type),
  );
  if (!record) return null;
  // An address record points at a machine the sandbox does not have.
  if (record.settings.type !== "CNAME") return "unreachable";

  return { origin: record.settings.content.replace(/\.$/, ""), hostHeader: host, proxied: record.settings.proxied };
}

/**
 * Routes a request for a hostname of a sandbox zone; null when no load balancer or record serves it
 * (the caller then fails closed, as DNS would).
 */
export function routeThroughEdge(world: World, request: Request): EdgeOutcome | null {
  const url = new URL(request.url);
  const host = url.hostname.toLowerCase();
  const zone = zoneOfHost(world, host);
  if (!zone) return null;
  const script = routedScript(world, zone, host, url.pathname);
  if (script) return throughRouter(world, request, script.settings);
  const to = target(world, zone, host);
  if (to === null) return null;
  // Only Railway's domains have anything behind them in the sandbox.
  if (to === "unreachable" || !isAppHost(to.origin.toLowerCase()))
    return { kind: "answer", response: edgeError(world, 523, "Origin is unreachable") };
  const path = `${url.pathname}${url.search}`;
  if (to.proxied) {
    const ssl = zoneSslMode(world, zone.id).value;
    if (ssl === "off" && url.protocol === "https:")
      return { kind: "answer", response: redirect(world, `http://${host}${path}`) };
    // HTTP to a Railway origin: Railway's edge upgrades every plain request on the Host it received.
    if (ssl === "off" || ssl === "flexible")
      return { kind: "answer", response: redirect(world, `https://${to.hostHeader}${path}`) };
  }
  // Railway routes by Host, so the origin request is addressed to the Host the origin receives. The body
  // was read by the router, which hands it on beside this request.
  return {
    kind: "origin",
    request: new Request(`https://${to.hostHeader}${path}`, { method: request.method, headers: request.headers }),
  };
}

/**
 * A hostname a Worker route sends to an edge router: the router picks stable or canary for the client and
 * fetches that Railway origin by its own hostname (Host and SNI are Railway's; the public host travels in
 * X-Forwarded-Host), setting the assignment cookie on a client's first visit.
 */
function throughRouter(world: World, request: Request, script: Parameters<typeof routerBindings>[0]): EdgeOutcome {
  const { config } = routerBindings(script);
  if (!config)
    return { kind: "answer", response: new Response("edge router: no valid configuration", { status: 503 }) };
  const url = new URL(request.url);
  const newId = () =>
    [0, 1, 2, 3]
      .map((i) =>
        mix32(hashString(`client:${world.nextSeq("edge-client")}:${i}`))
          .toString(16)
          .padStart(8, "0"),
      )
      .join("");
  const client = clientOf(request, config.cookie, newId);
  const canary = config.canary && inCanary(config, client.key, world.now());
  const origin = canary && config.canary ? config.canary.origin : config.stable.origin;
  if (!isAppHost(origin)) return { kind: "answer", response: edgeError(world, 502, "edge router: origin unreachable") };
  const headers = new Headers(request.headers);
  headers.delete("host");
  headers.set("x-forwarded-host", url.host);
  headers.set("x-forwarded-proto", url.protocol.slice(0, -1));
  headers.set("x-infra-chat-track", canary ? "canary" : "stable");
  return {
    kind: "origin",
    request: new Request(`https://${origin}${url.pathname}${url.search}`, { method: request.method, headers }),
    ...(client.setId && config.canary
      ? { setCookie: `${config.cookie}=${client.setId}; Path=/; Max-Age=86400; HttpOnly; Secure; SameSite=Lax` }
      : {}),
  };
}
