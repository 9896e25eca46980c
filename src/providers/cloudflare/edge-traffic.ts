/**
 * TrafficRouter over the edge router (docs/edge-router-protocol.md): Infra Chat's own small Worker, uploaded
 * to the customer's account and routed on the public hostname. It needs no Load Balancing add-on, keeps a
 * client on one version for a step, and reports what every request got. Its whole configuration is its
 * ROUTER_CONFIG binding (and ROUTER_SECRET, which signs its reports), so a weight change is one settings
 * PATCH, served from the next request on, and the router keeps working when Infra Chat does not.
 */
import type { EdgeTrafficBinding, SplitRequest, TrafficBinding, TrafficRouter, WeightStep } from "../../domain/traffic";
import type { RouterConfig } from "../../edge-router/protocol";
import { ProviderError } from "../types";
import type { CloudflareApi } from "./api";
import type { CloudflareWorkersApi, WorkerBinding } from "./workers-api";

/** The runtime the router is written against (its compatibility date). */
export const EDGE_ROUTER_COMPATIBILITY_DATE = "2026-11-01";
const MAIN_MODULE = "router.js";
const SCRIPT_NAME = /^[a-z0-9_][a-z0-9_-]{0,62}$/;

export interface EdgeTrafficOptions {
  accountId: string;
  zoneId: string;
  /** The router's source (src/edge-router/script.ts). */
  script: string;
  /** The environment's router secret (stored encrypted, like its other secrets); null when it has none yet. */
  routerSecret: () => Promise<string | null>;
  /** Where reports go: the control plane's /edge/v1/reports for this environment. */
  reportUrl: string;
  now: () => number;
}

/** The router Worker's name for a split, e.g. "invoice-perfect-production-api-router". */
export function routerScriptName(namePrefix: string): string {
  const name = `${namePrefix}-router`.toLowerCase().replace(/[^a-z0-9_-]/g, "-");
  if (!SCRIPT_NAME.test(name))
    throw new ProviderError(`"${name}" cannot name a Worker script`, "cloudflare", null, false);
  return name;
}

/** The zone route that puts the router in front of every path of the hostname. */
export function routePattern(hostname: string): string {
  return `${hostname.toLowerCase()}/*`;
}

/** ROUTER_CONFIG for a weight: no canary part at 0%, and no reports either (nothing is being judged). */
export function routerConfig(
  binding: EdgeTrafficBinding,
  revision: number,
  canary?: { weight: number } & WeightStep,
): RouterConfig {
  const config: RouterConfig = { revision, route: binding.route, stable: { origin: binding.stableOrigin } };
  if (canary && canary.weight > 0) {
    config.canary = {
      origin: binding.canaryOrigin,
      weight: canary.weight,
      deadline: canary.deadline,
      salt: canary.salt,
    };
    config.report = { url: binding.reportUrl };
  }
  return config;
}

/** Builds the edge TrafficRouter for one account and zone. */
export function createEdgeTrafficRouter(
  workers: CloudflareWorkersApi,
  dns: CloudflareApi,
  opts: EdgeTrafficOptions,
): TrafficRouter {
  const { accountId, zoneId } = opts;

  async function secret(): Promise<string> {
    const value = await opts.routerSecret();
    if (!value) throw new ProviderError("the environment has no edge router secret yet", "cloudflare", null, false);
    return value;
  }

  async function bindings(config: RouterConfig): Promise<WorkerBinding[]> {
    return [
      { type: "json", name: "ROUTER_CONFIG", json: config },
      { type: "secret_text", name: "ROUTER_SECRET", text: await secret() },
    ];
  }

  /** A Worker route runs only for a hostname Cloudflare proxies: its DNS record must be orange-clouded. */
  async function ensureProxiedRecord(hostname: string, stableOrigin: string): Promise<void> {
    const records = await dns.listDnsRecords(zoneId, { name: hostname });
    const served = records.find((r) => ["A", "AAAA", "CNAME"].includes(r.type));
    if (!served) {
      await dns.createDnsRecord(zoneId, {
        type: "CNAME",
        name: hostname,
        content: stableOrigin,
        proxied: true,
        ttl: 1,
      });
      return;
    }
    if (!served.proxied) {
      const type = served.type as "A" | "AAAA" | "CNAME";
      await dns.patchDnsRecord(zoneId, served.id, { type, name: served.name, content: served.content, proxied: true });
    }
  }

  async function ensureRoute(hostname: string, script: string): Promise<string> {
    const pattern = routePattern(hostname);
    const found = (await workers.routes(zoneId)).find((r) => r.pattern === pattern);
    if (!found) return (await workers.createRoute(zoneId, { pattern, script })).id;
    if (found.script !== script) await workers.updateRoute(zoneId, found.id, { pattern, script });
    return found.id;
  }

  function edgeOf(binding: TrafficBinding): EdgeTrafficBinding {
    if (binding.kind !== "edge")
      throw new ProviderError("a load balancer's split is not the edge router's", "cloudflare", null, false);
    return binding;
  }

  return {
    async ensureSplit(req: SplitRequest) {
      const { route } = req;
      if (!req.hostname || !route || !req.stableOrigin || !req.canaryOrigin || req.stableOrigin === req.canaryOrigin)
        throw new ProviderError(
          "invalid split request: a hostname, its route and two different origins",
          "cloudflare",
          null,
          false,
        );
      const hostname = req.hostname.toLowerCase();
      const scriptName = routerScriptName(req.namePrefix);
      const binding: EdgeTrafficBinding = {
        kind: "edge",
        hostname,
        zoneId,
        accountId,
        scriptName,
        routeId: "",
        stableOrigin: req.stableOrigin,
        canaryOrigin: req.canaryOrigin,
        route,
        reportUrl: opts.reportUrl,
      };
      await ensureProxiedRecord(hostname, req.stableOrigin);
      // Uploaded every time: the account then runs the router this version of Infra Chat was tested with.
      // A new split starts with everyone on stable.
      await workers.uploadModule(accountId, scriptName, {
        mainModule: MAIN_MODULE,
        source: opts.script,
        compatibilityDate: EDGE_ROUTER_COMPATIBILITY_DATE,
        bindings: await bindings(routerConfig(binding, opts.now())),
      });
      binding.routeId = await ensureRoute(hostname, scriptName);
      return binding;
    },
    async setCanaryWeight(b, percent, step) {
      const binding = edgeOf(b);
      if (!Number.isFinite(percent) || percent < 0 || percent > 100)
        throw new ProviderError(`canary weight must be 0–100, got ${percent}`, "cloudflare", null, false);
      if (percent > 0 && !step)
        throw new ProviderError("an edge canary needs its step's salt and deadline", "cloudflare", null, false);
      // The revision only tags reports; milliseconds keep it increasing without a read before the write.
      const config = routerConfig(binding, opts.now(), step && { weight: percent, ...step });
      await workers.patchBindings(accountId, binding.scriptName, await bindings(config));
    },
    async canaryWeight(b) {
      const binding = edgeOf(b);
      const config = (await workers.settings(accountId, binding.scriptName)).find((x) => x.name === "ROUTER_CONFIG");
      const canary = (config?.json as Partial<RouterConfig> | undefined)?.canary;
      // The router's own rule: past its deadline the canary gets nothing.
      return canary && typeof canary.weight === "number" && canary.deadline > opts.now() ? canary.weight : 0;
    },
    async release(b) {
      const binding = edgeOf(b);
      const pattern = routePattern(binding.hostname);
      const route = (await workers.routes(zoneId)).find(
        (r) => r.pattern === pattern && r.script === binding.scriptName,
      );
      if (route) await workers.deleteRoute(zoneId, route.id);
      // Without its route the Worker sees nothing: the hostname's own (proxied) DNS record serves it again.
      return { handedBack: true };
    },
  };
}
