/**
 * The edge router: a Worker Infra Chat uploads to the customer's Cloudflare account and routes on the api
 * hostname, in place of a load balancer. Every request goes to the stable or the canary Railway origin —
 * fetched at its *.up.railway.app hostname, so TLS SNI and Host are the ones Railway routes on, with the
 * public host kept in X-Forwarded-Host — and the router counts what each track answered.
 *
 * Its configuration lives in its own bindings (ROUTER_CONFIG, ROUTER_SECRET), which the control plane
 * rewrites through the Workers API at each weight change: a new version serves the next request, and no
 * request ever waits on the control plane. If Infra Chat is unreachable the router keeps the weights it
 * has, and once the canary's deadline passes it sends everyone to stable by itself.
 */
import { clientOf, inCanary } from "./assign";
import { readConfig } from "./config";
import { DEFAULT_TRACK_COOKIE, type RouterConfig, type Track } from "./protocol";
import { Reporter } from "./reports";

export interface RouterEnv {
  ROUTER_CONFIG: unknown;
  ROUTER_SECRET?: string;
}

interface Deps {
  fetch: (request: Request) => Promise<Response>;
  now: () => number;
  /** Waits before the delayed flush (tests pass one that does not wait). */
  sleep: (ms: number) => Promise<void>;
  reporter: Reporter;
}

const COOKIE_MAX_AGE = 86_400;

/** The canary's share now: 0 without a canary, with weight 0, or past its deadline. */
export function canaryWeight(config: RouterConfig, now: number): number {
  const c = config.canary;
  return c && now < c.deadline ? c.weight : 0;
}

/** The router's fetch handler around injected effects (tests pass their own fetch, clock and reporter). */
export function createRouter(deps: Deps) {
  let flushScheduled = false;
  /**
   * Sends what is due now, and keeps one delayed flush per isolate while counts wait, so the last second
   * before traffic stops is reported too (waitUntil keeps the isolate for it).
   */
  async function flushSoon(config: RouterConfig, secret: string): Promise<void> {
    await deps.reporter.flush(deps.now(), config, secret, deps.fetch);
    if (flushScheduled || !deps.reporter.pending) return;
    flushScheduled = true;
    try {
      await deps.sleep(config.report?.flushMs ?? 1000);
      await deps.reporter.flush(deps.now(), config, secret, deps.fetch);
    } finally {
      flushScheduled = false;
    }
  }

  return async function route(request: Request, env: RouterEnv, ctx: ExecutionContext): Promise<Response> {
    const config = readConfig(env.ROUTER_CONFIG);
    if (!config) return new Response("edge router: no valid configuration", { status: 503 });
    const now = deps.now();
    const cookie = config.cookie ?? DEFAULT_TRACK_COOKIE;
    const client = clientOf(request, cookie);
    const weight = canaryWeight(config, now);
    const track: Track = config.canary && inCanary(client.key, config.canary.salt, weight) ? "canary" : "stable";
    const origin = track === "canary" && config.canary ? config.canary.origin : config.stable.origin;
    const url = new URL(request.url);
    const headers = new Headers(request.headers);
    // The origin's Host is its own hostname (from the URL): Railway's edge routes on it and on SNI.
    headers.delete("host");
    headers.set("x-forwarded-host", url.host);
    headers.set("x-forwarded-proto", url.protocol.slice(0, -1));
    headers.set("x-infra-chat-track", track);
    const upstream = new Request(`https://${origin}${url.pathname}${url.search}`, {
      method: request.method,
      headers,
      body: request.method === "GET" || request.method === "HEAD" ? null : request.body,
      redirect: "manual",
    });
    let response: Response;
    try {
      response = await deps.fetch(upstream);
    } catch {
      // An origin that cannot be reached is a 5xx of its track: the judge must see it as one.
      response = new Response("edge router: origin unreachable", { status: 502 });
    }
    const elapsed = Math.max(0, deps.now() - now);
    if (config.report && env.ROUTER_SECRET) {
      deps.reporter.record(now, track, config, response.status, elapsed);
      ctx.waitUntil(flushSoon(config, env.ROUTER_SECRET));
    }
    // A 101 (WebSocket) response cannot be rewrapped; the cookie waits for the client's next request.
    if (!client.newId || !config.canary || response.status === 101) return response;
    const out = new Response(response.body, response);
    out.headers.append(
      "set-cookie",
      `${cookie}=${client.newId}; Path=/; Max-Age=${COOKIE_MAX_AGE}; HttpOnly; Secure; SameSite=Lax`,
    );
    return out;
  };
}

const route = createRouter({
  fetch: (r) => fetch(r),
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  reporter: new Reporter(),
});

export default {
  fetch: route,
} satisfies ExportedHandler<RouterEnv>;
