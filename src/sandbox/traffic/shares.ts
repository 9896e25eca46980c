/**
 * Who receives an environment's traffic. Each traffic group — a service and its `-canary` sibling in one
 * environment — gets BASE_RPS in total, or the level `POST /sandbox/traffic` set for it. A sandbox Cloudflare load balancer whose pools point at the
 * group's Railway domains splits it by pool weight and origin weight; without one, the stable service
 * (the name without `-canary`) gets everything.
 */
import { getResource, getZone, listResources, type StoredResource } from "../cloudflare/store";
import { listServices, type ServiceRow } from "../world/entities";
import { listDomains } from "../world/domains";
import type { World } from "../world/store";

/** Requests per second each traffic group receives in total unless its level was set. */
export const BASE_RPS = 10;
export const CANARY_SUFFIX = "-canary";

const rpsKey = (environmentId: string, group: string) => `traffic:${environmentId}/${group}`;

/** Requests per second a traffic group receives in total. */
export function groupRps(world: World, environmentId: string, group: string): number {
  const set = world.getMeta(rpsKey(environmentId, group));
  return set === null ? BASE_RPS : Number(set);
}

/** Every traffic group whose level was set, with that level. */
export function listGroupLevels(world: World): { environmentId: string; group: string; rps: number }[] {
  return world
    .rows<{ key: string; value: string }>("SELECT key, value FROM meta WHERE key LIKE 'traffic:%' ORDER BY key")
    .map((row) => {
      const [environmentId, group] = row.key.slice("traffic:".length).split("/");
      return { environmentId, group, rps: Number(row.value) };
    });
}

/** Sets a traffic group's total requests per second (BASE_RPS again when `rps` is null). */
export function setGroupRps(world: World, environmentId: string, group: string, rps: number | null): void {
  if (rps === null) world.run("DELETE FROM meta WHERE key = ?", rpsKey(environmentId, group));
  else world.setMeta(rpsKey(environmentId, group), String(rps));
}

/** `api-canary` → `api`; the stable service's name is the group's name. */
export function groupNameOf(serviceName: string): string {
  return serviceName.endsWith(CANARY_SUFFIX) ? serviceName.slice(0, -CANARY_SUFFIX.length) : serviceName;
}

/** One service's fraction (0–1) of its group's requests. */
export interface ServiceShare {
  serviceId: string;
  name: string;
  share: number;
}

function hostOf(address: string): string {
  return address
    .toLowerCase()
    .replace(/^https?:\/\//, "")
    .replace(/[:/].*$/, "")
    .replace(/\.$/, "");
}

function poolOf(world: World, lb: StoredResource<"load_balancer">, id: string): StoredResource<"pool"> | null {
  const accountId = getZone(world, lb.ownerId)?.account_id ?? "";
  return getResource(world, "pool", accountId, id);
}

/**
 * Each pool's fraction of the load balancer's traffic. `random` steering divides by pool weight (pools
 * missing from pool_weights get default_weight); the least-* policies spread evenly; the others send
 * everything to the first enabled pool in failover order. Nothing steerable means the fallback pool.
 * Pool health is not modelled: a monitor never takes an origin out of rotation here.
 */
export function poolShares(world: World, lb: StoredResource<"load_balancer">): [StoredResource<"pool">, number][] {
  const s = lb.settings;
  const pools = s.default_pools
    .map((id) => poolOf(world, lb, id))
    .filter((p): p is StoredResource<"pool"> => p?.settings.enabled === true);
  let weighted: [StoredResource<"pool">, number][] = [];
  if (s.steering_policy === "random") {
    weighted = pools.map((p) => [p, s.random_steering.pool_weights[p.id] ?? s.random_steering.default_weight]);
  } else if (s.steering_policy === "least_outstanding_requests" || s.steering_policy === "least_connections") {
    weighted = pools.map((p) => [p, 1]);
  } else if (pools.length > 0) {
    weighted = [[pools[0], 1]];
  }
  const total = weighted.reduce((sum, [, w]) => sum + w, 0);
  if (total > 0) return weighted.filter(([, w]) => w > 0).map(([p, w]) => [p, w / total]);
  const fallback = poolOf(world, lb, s.fallback_pool);
  return fallback ? [[fallback, 1]] : [];
}

/** Origins of a pool with their fraction of the pool's traffic (weight / sum of enabled weights). */
function originShares(pool: StoredResource<"pool">): [string, number][] {
  const origins = pool.settings.origins.filter((o) => o.enabled && o.weight > 0);
  const total = origins.reduce((sum, o) => sum + o.weight, 0);
  return total > 0 ? origins.map((o) => [hostOf(o.address), o.weight / total]) : [];
}

// The oldest enabled load balancer with an origin on one of the group's domains steers the group.
function steeringLoadBalancer(world: World, domains: Map<string, string>): StoredResource<"load_balancer"> | null {
  for (const lb of listResources(world, "load_balancer")) {
    if (!lb.settings.enabled) continue;
    const ids = [...lb.settings.default_pools, lb.settings.fallback_pool];
    const pools = ids.map((id) => poolOf(world, lb, id)).filter((p): p is StoredResource<"pool"> => p !== null);
    if (pools.some((p) => p.settings.origins.some((o) => domains.has(hostOf(o.address))))) return lb;
  }
  return null;
}

/**
 * Shares of every member of the group `groupName` in one environment, ordered stable first. Members
 * without a Railway domain are unreachable and get 0; so does the whole group when nothing is public.
 */
export function groupShares(world: World, projectId: string, environmentId: string, groupName: string): ServiceShare[] {
  const members: ServiceRow[] = listServices(world, projectId)
    .filter((s) => s.name === groupName || s.name === `${groupName}${CANARY_SUFFIX}`)
    .sort((a, b) => a.name.localeCompare(b.name));
  const owner = new Map<string, string>();
  for (const m of members) {
    for (const d of listDomains(world, { serviceId: m.id, environmentId })) owner.set(d.domain.toLowerCase(), m.id);
  }
  const shares = new Map<string, number>();
  const lb = owner.size > 0 ? steeringLoadBalancer(world, owner) : null;
  if (lb) {
    for (const [pool, poolShare] of poolShares(world, lb)) {
      for (const [host, originShare] of originShares(pool)) {
        const id = owner.get(host);
        if (id) shares.set(id, (shares.get(id) ?? 0) + poolShare * originShare);
      }
    }
  } else {
    const stable = members.find((m) => m.name === groupName);
    if (stable && [...owner.values()].includes(stable.id)) shares.set(stable.id, 1);
  }
  return members.map((m) => ({ serviceId: m.id, name: m.name, share: shares.get(m.id) ?? 0 }));
}
