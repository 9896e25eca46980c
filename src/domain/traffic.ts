/** Traffic splitting between a stable and a canary origin, whatever does it: a load balancer or the edge router. */
import { z } from "zod";

/** The environment secret that signs its edge router's reports (stored encrypted like every other secret). */
export const EDGE_ROUTER_SECRET = "EDGE_ROUTER_SECRET";

/** The two ways Infra Chat splits a hostname (policies.canary.router). */
export const RouterKind = z.enum(["load-balancer", "edge"]);
export type RouterKind = z.infer<typeof RouterKind>;

/** A load balancer's split. `kind` is optional: bindings stored before the edge router existed have none. */
const LoadBalancerBinding = z.object({
  kind: z.literal("load-balancer").optional(),
  hostname: z.string(),
  zoneId: z.string(),
  accountId: z.string(),
  loadBalancerId: z.string(),
  stablePoolId: z.string(),
  canaryPoolId: z.string(),
  monitorId: z.string(),
});

const EdgeBinding = z.object({
  kind: z.literal("edge"),
  hostname: z.string(),
  zoneId: z.string(),
  accountId: z.string(),
  /** The router Worker in the account, and the zone route that puts it in front of the hostname. */
  scriptName: z.string(),
  routeId: z.string(),
  /** Railway origin hostnames the router forwards to. */
  stableOrigin: z.string(),
  canaryOrigin: z.string(),
  /** `<project>:<env>/<service>`: what the router's reports name, so the control plane knows whose counts they are. */
  route: z.string(),
  /** Where the router posts its reports (the control plane's /edge/v1/reports for this environment). */
  reportUrl: z.string(),
});

/** Provider ids of one split, persisted by the canary run so every later step and retry reuses them. */
export const TrafficBinding = z.union([EdgeBinding, LoadBalancerBinding]);
export type TrafficBinding = z.infer<typeof TrafficBinding>;
export type LoadBalancerTrafficBinding = z.infer<typeof LoadBalancerBinding>;
export type EdgeTrafficBinding = z.infer<typeof EdgeBinding>;

/** Which router made a binding. */
export function routerKindOf(binding: TrafficBinding): RouterKind {
  return binding.kind ?? "load-balancer";
}

export interface SplitRequest {
  /** Which router splits it (the load balancer when absent). */
  router?: RouterKind;
  /** The public hostname being split, e.g. api.invoiceperfect.com */
  hostname: string;
  /** Origin hostnames, e.g. api-production-1a2b.up.railway.app */
  stableOrigin: string;
  canaryOrigin: string;
  /** Health path probed by a load balancer's monitor on both origins. */
  healthPath: string;
  /** Prefix for resource names (pools "<prefix>-stable" / "<prefix>-canary", the router script), so ensure can find them. */
  namePrefix: string;
  /** `<project>:<env>/<service>`, what the edge router's reports name (the edge router needs it). */
  route?: string;
}

/** What one weight step tells the router besides the weight: the edge router assigns and expires by it. */
export interface WeightStep {
  /** Salts the sticky assignment (the step's id): a new step may reassign clients, a retry of the same may not. */
  salt: string;
  /** Unix ms after which the edge router sends everyone to stable by itself (Infra Chat went quiet). */
  deadline: number;
}

export interface TrafficRouter {
  /** Ensures everything the split needs exists (idempotent: finds by name before creating). New splits start at 0% canary. */
  ensureSplit(request: SplitRequest): Promise<TrafficBinding>;
  /**
   * Sends `percent` (0–100) of traffic to the canary; 0 takes the canary out of rotation. `step` carries the
   * edge router's assignment salt and deadline (a load balancer splits per request and has neither).
   */
  setCanaryWeight(binding: TrafficBinding, percent: number, step?: WeightStep): Promise<void>;
  /** The canary's current share (0–100) as the provider reports it. */
  canaryWeight(binding: TrafficBinding): Promise<number>;
  /**
   * The split is over: all traffic on stable, and the hostname handed back to what serves it without a
   * canary (its DNS record, when it has one). The edge router's route is deleted, so no request pays for a
   * Worker it does not need; a load balancer is disabled where a DNS record can take the hostname back, and
   * otherwise keeps serving, all on stable. The next ensureSplit takes the hostname over again.
   */
  release(binding: TrafficBinding): Promise<{ handedBack: boolean }>;
}

/** Both routers of one Cloudflare zone behind the one interface, and how to pick one. */
export interface TrafficRouters extends TrafficRouter {
  /** The router for a policy that names none: the load balancer where the account has the add-on, else the edge router. */
  defaultKind(): Promise<RouterKind>;
}
