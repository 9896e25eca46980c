/**
 * Everything the traffic generator depends on, read from the world once per query: the deployment, its
 * slice of the group's traffic, and the app faults aimed at it. The generator itself is pure over this.
 */
import { appFaultsFor } from "../faults";
import { getEnvironment, getService, listServices } from "../world/entities";
import { currentDeployment, getDeployment, type DeploymentRow } from "../world/deployments";
import { listDomains } from "../world/domains";
import type { World } from "../world/store";
import { canaryClients, routedScripts, routerBindings, type RouterConfigView } from "../cloudflare/edge-router";
import { hashString } from "./random";
import { CANARY_SUFFIX, groupNameOf, groupRps, groupShares } from "./shares";

/** The 5xx probability of a healthy app. */
export const BACKGROUND_ERROR_RATE = 0.002;

/** What the generator needs to produce one deployment's requests. */
export interface TrafficPlan {
  deploymentId: string;
  instanceIds: string[];
  /** The Railway domain requests arrive on. */
  host: string;
  port: string;
  /** Requests per second the whole group receives; this plan gets the share [from, to) of them. */
  rps: number;
  /** Root of the routing draws, shared by the whole group so stable and canary split one stream. */
  routeRoot: number;
  /** Root of the per-request draws (path, status, latency), from the deployment id. */
  requestRoot: number;
  /** This service's interval [from, to) of the routing draw; its width is the service's share. */
  from: number;
  to: number;
  /**
   * Set when an edge router splits the group: the routing draw picks a client instead, and the router's
   * assignment of that client (until its deadline) decides whether this service gets the request.
   */
  edge?: { role: "stable" | "canary"; canaryClients: Uint8Array; deadline: number };
  /** A CRASHED live deployment: the edge answers 502 for it. */
  crashed: boolean;
  errorRate: number;
  latencyMs: number;
  logPatterns: string[];
  failHealth: boolean;
}

/**
 * The plan of a deployment, or null when it receives no traffic: it is not its service's live
 * deployment (the newest that went live) right now, or its service's share is zero.
 */
export function planForDeployment(world: World, d: DeploymentRow): TrafficPlan | null {
  const service = getService(world, d.serviceId);
  const env = getEnvironment(world, d.environmentId);
  if (!service || !env || currentDeployment(world, service.id, env.id)?.id !== d.id) return null;
  const group = groupNameOf(service.name);
  const routeRoot = hashString(`${env.id}/${group}`);
  const router = edgeRouterOf(world, env.id, service.project_id, group);
  let edge: TrafficPlan["edge"];
  let from = 0;
  let share = 1;
  if (router) {
    const role = service.name === group ? "stable" : "canary";
    const canary = router.canary;
    if (role === "canary" && !(canary && canary.weight > 0)) return null;
    edge = { role, canaryClients: canaryClients(router, routeRoot), deadline: canary?.deadline ?? 0 };
  } else {
    const shares = groupShares(world, service.project_id, env.id, group);
    for (const s of shares) {
      if (s.serviceId === service.id) break;
      from += s.share;
    }
    share = shares.find((s) => s.serviceId === service.id)?.share ?? 0;
    if (share <= 0) return null;
  }
  const faults = appFaultsFor(world, env.name, service.name);
  const rates = faults.map((f) => f.errorRate).filter((r): r is number => r !== undefined);
  return {
    deploymentId: d.id,
    instanceIds: d.instanceIds,
    host: listDomains(world, { serviceId: service.id, environmentId: env.id })[0]?.domain ?? "",
    port: d.variables.PORT ?? "3000",
    rps: groupRps(world, env.id, group),
    routeRoot,
    requestRoot: hashString(d.id),
    from,
    to: from + share,
    ...(edge ? { edge } : {}),
    crashed: d.phase === "CRASHED",
    // A fault's errorRate replaces the background rate; several faults: the worst one wins.
    errorRate: rates.length > 0 ? Math.max(...rates) : BACKGROUND_ERROR_RATE,
    latencyMs: faults.reduce((sum, f) => sum + (f.latencyMs ?? 0), 0),
    logPatterns: faults.map((f) => f.logPattern).filter((p): p is string => p !== undefined && p !== ""),
    // A counted failHealth fault is "the next N probes fail", not an outage of /health for a whole window.
    failHealth: faults.some((f) => f.failHealth === true && f.count === undefined),
  };
}

/** The plan of a deployment by id (null when unknown or not serving). */
export function planForDeploymentId(world: World, deploymentId: string): TrafficPlan | null {
  const d = getDeployment(world, deploymentId);
  return d ? planForDeployment(world, d) : null;
}

/** The plan of whatever deployment serves a service in an environment (metrics are per service). */
export function planForService(world: World, serviceId: string, environmentId: string): TrafficPlan | null {
  const live = currentDeployment(world, serviceId, environmentId);
  return live ? planForDeployment(world, live) : null;
}

/**
 * The edge router in front of a traffic group, if a served Worker route's ROUTER_CONFIG names the group's
 * stable service's Railway domain (and, for a canary, its twin's). A route runs before any load balancer.
 */
export function edgeRouterOf(
  world: World,
  environmentId: string,
  projectId: string,
  group: string,
): RouterConfigView | null {
  const domainOf = (name: string) => {
    const service = listServices(world, projectId).find((s) => s.name === name);
    return service ? listDomains(world, { serviceId: service.id, environmentId })[0]?.domain.toLowerCase() : undefined;
  };
  const stable = domainOf(group);
  if (!stable) return null;
  for (const { script } of routedScripts(world)) {
    const { config } = routerBindings(script.settings);
    if (config?.stable.origin !== stable) continue;
    const canary = domainOf(`${group}${CANARY_SUFFIX}`);
    // A canary part pointing somewhere else is not this group's canary: everyone stays on stable.
    if (config.canary && config.canary.origin !== canary) return { ...config, canary: undefined };
    return config;
  }
  return null;
}
