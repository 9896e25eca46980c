/**
 * TrafficRouter over Cloudflare Load Balancing (providers/cloudflare.md, "Canary recipe"): one monitor,
 * pools `<prefix>-stable` and `<prefix>-canary` with one origin each, and a load balancer named after the
 * hostname that splits between them with `steering_policy: "random"` and `random_steering.pool_weights`.
 */
import type { LoadBalancerTrafficBinding, SplitRequest, TrafficBinding, TrafficRouter } from "../../domain/traffic";
import { ProviderError } from "../types";
import type {
  CloudflareApi,
  CloudflareLoadBalancer,
  CloudflareLoadBalancerInput,
  CloudflareMonitor,
  CloudflareMonitorInput,
  CloudflareOrigin,
  CloudflarePool,
} from "./api";

export interface CloudflareTrafficOptions {
  /** Monitors and pools are account-level. */
  accountId: string;
  /** The load balancer is zone-level. */
  zoneId: string;
}

// Pool names allow letters, digits, `-` and `_` only (spec text on the pool `name` field).
const NAME_PREFIX = /^[A-Za-z0-9_-]{1,60}$/;

/** The load balancer's router: its splits are load-balancer bindings. */
export interface LoadBalancerRouter extends TrafficRouter {
  ensureSplit(request: SplitRequest): Promise<LoadBalancerTrafficBinding>;
}

/** Builds the canary traffic router for one Cloudflare account and zone. */
export function createCloudflareTrafficRouter(api: CloudflareApi, opts: CloudflareTrafficOptions): LoadBalancerRouter {
  const { accountId, zoneId } = opts;

  async function ensureMonitor(req: SplitRequest): Promise<string> {
    const wanted = monitorFor(req);
    const found = (await api.listMonitors(accountId)).find((m) => m.description === wanted.description);
    if (!found) return (await api.createMonitor(accountId, wanted)).id;
    if (!monitorMatches(found, wanted)) await api.patchMonitor(accountId, found.id, wanted);
    return found.id;
  }

  async function ensurePools(req: SplitRequest, monitorId: string): Promise<{ stable: string; canary: string }> {
    // One list for both pools; each is then created or repaired on its own.
    const existing = await api.listPools(accountId);
    const ensure = async (role: "stable" | "canary", address: string): Promise<string> => {
      const name = `${req.namePrefix}-${role}`;
      const origins = [originFor(name, address)];
      const found = existing.find((p) => p.name === name);
      if (!found) {
        return (
          await api.createPool(accountId, {
            name,
            origins,
            monitor: monitorId,
            enabled: true,
            description: describe(req),
          })
        ).id;
      }
      if (!poolMatches(found, origins[0], monitorId))
        await api.patchPool(accountId, found.id, { origins, monitor: monitorId, enabled: true });
      return found.id;
    };
    // Sequential on purpose: receipts stay in a stable order, and two creates never race the same 429 budget.
    const stable = await ensure("stable", req.stableOrigin);
    const canary = await ensure("canary", req.canaryOrigin);
    return { stable, canary };
  }

  async function ensureLoadBalancer(req: SplitRequest, stable: string, canary: string): Promise<string> {
    const hostname = req.hostname.toLowerCase();
    const found = (await api.listLoadBalancers(zoneId)).find((lb) => lb.name.toLowerCase() === hostname);
    if (!found) {
      // A new split starts with all traffic on stable (TrafficRouter contract).
      const created = await api.createLoadBalancer(zoneId, {
        name: hostname,
        description: describe(req),
        ...splitAt(stable, canary, 0),
      });
      return created.id;
    }
    // An existing split keeps its current canary share: re-running ensure mid-rollout must not move traffic.
    // One that was handed back (disabled) takes the hostname over again.
    const wanted = splitAt(stable, canary, canaryShare(found, canary));
    if (!loadBalancerMatches(found, wanted) || !found.enabled)
      await api.patchLoadBalancer(zoneId, found.id, { ...wanted, enabled: true });
    return found.id;
  }

  const router: LoadBalancerRouter = {
    async ensureSplit(req) {
      checkSplitRequest(req);
      const monitorId = await ensureMonitor(req);
      const pools = await ensurePools(req, monitorId);
      const loadBalancerId = await ensureLoadBalancer(req, pools.stable, pools.canary);
      return {
        hostname: req.hostname.toLowerCase(),
        zoneId,
        accountId,
        loadBalancerId,
        stablePoolId: pools.stable,
        canaryPoolId: pools.canary,
        monitorId,
      };
    },
    async setCanaryWeight(b, percent) {
      const binding = loadBalancerOf(b);
      if (!Number.isFinite(percent) || percent < 0 || percent > 100) {
        throw new ProviderError(`canary weight must be 0–100, got ${percent}`, "cloudflare", null, false);
      }
      const { default_pools, steering_policy, random_steering } = splitAt(
        binding.stablePoolId,
        binding.canaryPoolId,
        percent,
      );
      // One PATCH and no read-before-write: rolling back to 0% is the latency that matters most.
      await api.patchLoadBalancer(binding.zoneId, binding.loadBalancerId, {
        default_pools,
        steering_policy,
        random_steering,
      });
    },
    async canaryWeight(b) {
      const binding = loadBalancerOf(b);
      return canaryShare(await api.getLoadBalancer(binding.zoneId, binding.loadBalancerId), binding.canaryPoolId);
    },
    async release(b) {
      const binding = loadBalancerOf(b);
      // A load balancer wins over a DNS record of its name; disabled, it leaves the hostname to the record.
      // Without a record it keeps serving, all on stable: a hostname is never left with nothing behind it.
      const records = await api.listDnsRecords(binding.zoneId, { name: binding.hostname });
      const handedBack = records.some((r) => ["CNAME", "A", "AAAA"].includes(r.type));
      const { default_pools, steering_policy, random_steering } = splitAt(
        binding.stablePoolId,
        binding.canaryPoolId,
        0,
      );
      await api.patchLoadBalancer(binding.zoneId, binding.loadBalancerId, {
        default_pools,
        steering_policy,
        random_steering,
        enabled: !handedBack,
      });
      return { handedBack };
    },
  };
  return router;
}

function loadBalancerOf(binding: TrafficBinding): LoadBalancerTrafficBinding {
  if (binding.kind === "edge")
    throw new ProviderError("an edge split is not the load balancer's", "cloudflare", null, false);
  return binding;
}

type SplitShape = Required<
  Pick<
    CloudflareLoadBalancerInput,
    "default_pools" | "fallback_pool" | "proxied" | "steering_policy" | "random_steering"
  >
>;

/**
 * The load-balancer fields for `percent` % canary. 0 takes the canary pool out of `default_pools` as well,
 * because a weight of exactly 0 is not confirmed to mean no traffic; 100 keeps stable listed (weight 0)
 * so it still serves as a failover pool.
 */
export function splitAt(stable: string, canary: string, percent: number): SplitShape {
  // Whole percents, clamped so 0 < p < 100 never rounds into a one-sided split.
  const canaryPercent = percent <= 0 ? 0 : percent >= 100 ? 100 : Math.min(99, Math.max(1, Math.round(percent)));
  const base = { fallback_pool: stable, proxied: true, steering_policy: "random" as const };
  if (canaryPercent === 0) {
    return { ...base, default_pools: [stable], random_steering: { pool_weights: { [stable]: 1, [canary]: 0 } } };
  }
  const weights = { [stable]: (100 - canaryPercent) / 100, [canary]: canaryPercent / 100 };
  return { ...base, default_pools: [stable, canary], random_steering: { pool_weights: weights } };
}

/** The canary pool's share (0–100) of the load balancer's traffic, as its settings say. */
export function canaryShare(lb: CloudflareLoadBalancer, canary: string): number {
  if (!lb.default_pools.includes(canary)) return 0;
  // Without random steering the first healthy pool in default_pools takes everything.
  if (lb.steering_policy !== "random") return lb.default_pools[0] === canary ? 100 : 0;
  const weightOf = (pool: string) =>
    lb.random_steering?.pool_weights?.[pool] ?? lb.random_steering?.default_weight ?? 1;
  const total = lb.default_pools.reduce((sum, pool) => sum + weightOf(pool), 0);
  if (total <= 0) return 0;
  return Math.round((weightOf(canary) / total) * 10_000) / 100;
}

function checkSplitRequest(req: SplitRequest): void {
  const problems = [
    !NAME_PREFIX.test(req.namePrefix) && `namePrefix "${req.namePrefix}" may only hold letters, digits, "-" and "_"`,
    !req.hostname && "hostname is required",
    (!req.stableOrigin || !req.canaryOrigin) && "both origins are required",
    req.stableOrigin === req.canaryOrigin && "stable and canary origins must differ",
    !req.healthPath.startsWith("/") && `healthPath "${req.healthPath}" must start with "/"`,
  ].filter((p): p is string => typeof p === "string");
  if (problems.length)
    throw new ProviderError(`invalid split request: ${problems.join("; ")}`, "cloudflare", null, false);
}

function describe(req: SplitRequest): string {
  return `infra-chat ${req.namePrefix}`;
}

function monitorFor(req: SplitRequest): CloudflareMonitorInput {
  // One monitor serves both pools. Its Host is only a default: Cloudflare documents that an origin's Host
  // override wins over the monitor's during health checks, so the canary is probed with its own hostname.
  return {
    type: "https",
    method: "GET",
    path: req.healthPath,
    expected_codes: "200",
    header: { Host: [req.stableOrigin] },
    description: describe(req),
  };
}

function originFor(name: string, address: string): CloudflareOrigin {
  // Railway routes by Host, so each origin carries its own hostname as the Host override.
  return { name, address, header: { Host: [address] }, weight: 1, enabled: true };
}

function monitorMatches(found: CloudflareMonitor, wanted: CloudflareMonitorInput): boolean {
  return (
    found.type === wanted.type &&
    (found.method ?? "GET") === wanted.method &&
    found.path === wanted.path &&
    found.expected_codes === wanted.expected_codes &&
    sameList(found.header.Host, wanted.header?.Host)
  );
}

function poolMatches(found: CloudflarePool, origin: CloudflareOrigin, monitorId: string): boolean {
  const [only] = found.origins;
  return (
    found.enabled &&
    found.monitor === monitorId &&
    found.origins.length === 1 &&
    only.address === origin.address &&
    only.weight === origin.weight &&
    only.enabled === origin.enabled &&
    sameList(only.header?.Host, origin.header?.Host)
  );
}

function loadBalancerMatches(found: CloudflareLoadBalancer, wanted: SplitShape): boolean {
  const weights = found.random_steering?.pool_weights ?? {};
  const wantedWeights = Object.entries(wanted.random_steering.pool_weights ?? {});
  return (
    found.proxied === wanted.proxied &&
    found.fallback_pool === wanted.fallback_pool &&
    found.steering_policy === wanted.steering_policy &&
    sameList(found.default_pools, wanted.default_pools) &&
    wantedWeights.every(([pool, weight]) => weights[pool] === weight)
  );
}

function sameList(a: string[] | undefined, b: string[] | undefined): boolean {
  return (a ?? []).length === (b ?? []).length && (a ?? []).every((v, i) => v === b?.[i]);
}
