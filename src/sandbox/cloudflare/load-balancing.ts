/** Account-level load balancing: monitors (health checks) and pools (origins and their weights). */
import { fail, required, validated, wholeList, type CfContext, type CfReply } from "./envelope";
import {
  MONITOR_DEFAULTS,
  monitorInput,
  POOL_DEFAULTS,
  poolInput,
  type MonitorSettings,
  type PoolSettings,
} from "./model";
import {
  deleteResource,
  getResource,
  insertResource,
  listResources,
  listZones,
  monitorView,
  poolView,
  updateResource,
  type StoredResource,
} from "./store";

// HTTP(S) monitors judge a response by its status, so the spec requires expected_codes for them.
function requireMonitorFields(settings: Partial<MonitorSettings>): void {
  const type = settings.type ?? MONITOR_DEFAULTS.type;
  if (type === "http" || type === "https") required(settings, ["expected_codes"]);
}

function findMonitor(cx: CfContext, id: string): StoredResource<"monitor"> {
  const monitor = getResource(cx.world, "monitor", cx.accountId, id);
  if (!monitor) throw fail(404, 1003, "monitor not found");
  return monitor;
}

/** GET/POST …/load_balancers/monitors */
export function monitorsCollection(cx: CfContext): CfReply {
  if (cx.method === "GET") return wholeList(listResources(cx.world, "monitor", cx.accountId).map(monitorView));
  const input = validated(monitorInput, cx.body());
  requireMonitorFields(input);
  return { result: monitorView(insertResource(cx.world, "monitor", cx.accountId, { ...MONITOR_DEFAULTS, ...input })) };
}

/** GET/PATCH/PUT/DELETE …/load_balancers/monitors/{id}; a monitor still attached to a pool cannot be deleted. */
export function monitorItem(cx: CfContext, id: string): CfReply {
  const monitor = findMonitor(cx, id);
  if (cx.method === "GET") return { result: monitorView(monitor) };
  if (cx.method === "DELETE") {
    const users = listResources(cx.world, "pool", cx.accountId).filter((p) => p.settings.monitor === id);
    if (users.length > 0)
      throw fail(
        400,
        1002,
        `monitor is referenced by pool(s) ${users.map((p) => p.settings.name).join(", ")}: validation failed`,
      );
    deleteResource(cx.world, id);
    return { result: { id } };
  }
  const input = validated(monitorInput, cx.body());
  if (cx.method === "PUT") requireMonitorFields(input);
  const base = cx.method === "PUT" ? MONITOR_DEFAULTS : monitor.settings;
  return { result: monitorView(updateResource(cx.world, monitor, { ...base, ...input })) };
}

function checkPool(cx: CfContext, settings: PoolSettings): PoolSettings {
  if (settings.monitor && !getResource(cx.world, "monitor", cx.accountId, settings.monitor)) {
    throw fail(400, 1002, `monitor ${settings.monitor} does not exist: validation failed`);
  }
  if (settings.minimum_origins > settings.origins.length) {
    throw fail(
      400,
      1002,
      `minimum_origins (${settings.minimum_origins}) exceeds the number of origins (${settings.origins.length}): validation failed`,
    );
  }
  const names = new Set(settings.origins.map((o) => o.name));
  if (names.size !== settings.origins.length)
    throw fail(400, 1002, "origin names must be unique within a pool: validation failed");
  return settings;
}

function findPool(cx: CfContext, id: string): StoredResource<"pool"> {
  const pool = getResource(cx.world, "pool", cx.accountId, id);
  if (!pool) throw fail(404, 1003, "pool not found");
  return pool;
}

/** GET/POST …/load_balancers/pools */
export function poolsCollection(cx: CfContext): CfReply {
  if (cx.method === "GET") {
    const monitor = cx.url.searchParams.get("monitor");
    const pools = listResources(cx.world, "pool", cx.accountId).filter(
      (p) => !monitor || p.settings.monitor === monitor,
    );
    return wholeList(pools.map(poolView));
  }
  const input = validated(poolInput, cx.body());
  required(input, ["name", "origins"]);
  const settings = checkPool(cx, { ...POOL_DEFAULTS, name: input.name ?? "", origins: input.origins ?? [], ...input });
  return { result: poolView(insertResource(cx.world, "pool", cx.accountId, settings)) };
}

// Every place a load balancer names a pool; deleting a pool still named anywhere would break steering.
function loadBalancersUsing(cx: CfContext, poolId: string): string[] {
  const zones = listZones(cx.world).filter((z) => z.account_id === cx.accountId);
  return zones
    .flatMap((z) => listResources(cx.world, "load_balancer", z.id))
    .filter((lb) => {
      const s = lb.settings;
      const mapped = [s.region_pools, s.country_pools, s.pop_pools].flatMap((m) => Object.values(m).flat());
      return [...s.default_pools, s.fallback_pool, ...mapped].includes(poolId);
    })
    .map((lb) => lb.settings.name);
}

/** GET/PATCH/PUT/DELETE …/load_balancers/pools/{id}; PATCH replaces `origins` whole, as the real API does. */
export function poolItem(cx: CfContext, id: string): CfReply {
  const pool = findPool(cx, id);
  if (cx.method === "GET") return { result: poolView(pool) };
  if (cx.method === "DELETE") {
    const users = loadBalancersUsing(cx, id);
    if (users.length > 0)
      throw fail(400, 1002, `pool is referenced by load balancer(s) ${users.join(", ")}: validation failed`);
    deleteResource(cx.world, id);
    return { result: { id } };
  }
  const input = validated(poolInput, cx.body());
  if (cx.method === "PUT") required(input, ["name", "origins"]);
  const base = cx.method === "PUT" ? { ...POOL_DEFAULTS, name: "", origins: [] } : pool.settings;
  return { result: poolView(updateResource(cx.world, pool, checkPool(cx, { ...base, ...input }))) };
}
