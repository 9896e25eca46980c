/** Zone-level load balancers: the hostname, its pools in failover order, and random steering weights. */
import { fail, required, validated, wholeList, type CfContext, type CfReply } from "./envelope";
import { LOAD_BALANCER_DEFAULTS, loadBalancerInput, type LoadBalancerSettings } from "./model";
import {
  deleteResource,
  getResource,
  getZone,
  insertResource,
  listResources,
  loadBalancerView,
  updateResource,
  type StoredResource,
} from "./store";

/** Cloudflare completes a bare label to a hostname of the zone, as it does for DNS record names. */
export function qualify(name: string, zoneName: string): string {
  const lower = name.toLowerCase().replace(/\.$/, "");
  if (lower === "@") return zoneName;
  return lower === zoneName || lower.endsWith(`.${zoneName}`) ? lower : `${lower}.${zoneName}`;
}

// Every pool id the load balancer names must be a pool of the zone's account.
function checkLoadBalancer(cx: CfContext, settings: LoadBalancerSettings, selfId: string | null): LoadBalancerSettings {
  const zone = getZone(cx.world, cx.zoneId);
  const accountId = zone?.account_id ?? "";
  const named: [string, string[]][] = [
    ["default_pools", settings.default_pools],
    ["fallback_pool", [settings.fallback_pool]],
    ["random_steering.pool_weights", Object.keys(settings.random_steering.pool_weights)],
    ...[settings.region_pools, settings.country_pools, settings.pop_pools].map((m): [string, string[]] => [
      "pools",
      Object.values(m).flat(),
    ]),
  ];
  const errors = named.flatMap(([field, ids]) =>
    ids
      .filter((id) => !getResource(cx.world, "pool", accountId, id))
      .map((id) => ({ code: 1002, message: `${field}: pool ${id} does not exist: validation failed` })),
  );
  if (errors.length > 0) throw fail(400, errors[0].code, errors.map((e) => e.message).join("; "));
  const name = qualify(settings.name, zone?.name ?? "");
  const clash = listResources(cx.world, "load_balancer", cx.zoneId).find(
    (lb) => lb.settings.name === name && lb.id !== selfId,
  );
  if (clash) throw fail(400, 1002, `a load balancer named ${name} already exists: validation failed`);
  return { ...settings, name };
}

function findLoadBalancer(cx: CfContext, id: string): StoredResource<"load_balancer"> {
  const lb = getResource(cx.world, "load_balancer", cx.zoneId, id);
  if (!lb) throw fail(404, 1003, "load balancer not found");
  return lb;
}

/** GET/POST /zones/{zone_id}/load_balancers */
export function loadBalancersCollection(cx: CfContext): CfReply {
  if (cx.method === "GET")
    return wholeList(listResources(cx.world, "load_balancer", cx.zoneId).map((lb) => loadBalancerView(cx.world, lb)));
  const input = validated(loadBalancerInput, cx.body());
  required(input, ["name", "default_pools", "fallback_pool"]);
  const settings = checkLoadBalancer(
    cx,
    { ...LOAD_BALANCER_DEFAULTS, name: "", default_pools: [], fallback_pool: "", ...input },
    null,
  );
  return { result: loadBalancerView(cx.world, insertResource(cx.world, "load_balancer", cx.zoneId, settings)) };
}

/** GET/PATCH/PUT/DELETE /zones/{zone_id}/load_balancers/{id}; PATCH replaces each given top-level field whole. */
export function loadBalancerItem(cx: CfContext, id: string): CfReply {
  const lb = findLoadBalancer(cx, id);
  if (cx.method === "GET") return { result: loadBalancerView(cx.world, lb) };
  if (cx.method === "DELETE") {
    deleteResource(cx.world, id);
    return { result: { id } };
  }
  const input = validated(loadBalancerInput, cx.body());
  if (cx.method === "PUT") required(input, ["name", "default_pools", "fallback_pool"]);
  const base =
    cx.method === "PUT" ? { ...LOAD_BALANCER_DEFAULTS, name: "", default_pools: [], fallback_pool: "" } : lb.settings;
  const settings = checkLoadBalancer(cx, { ...base, ...input }, lb.id);
  return { result: loadBalancerView(cx.world, updateResource(cx.world, lb, settings)) };
}
