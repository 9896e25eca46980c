/**
 * Both traffic routers of one Cloudflare zone as one TrafficRouter: a binding says which one made it, so
 * every later call (a weight, a drain, a drift check) goes to the same router without the caller knowing.
 */
import { type RouterKind, routerKindOf, type TrafficRouter, type TrafficRouters } from "../../domain/traffic";
import type { CloudflareWorkersApi } from "./workers-api";

/** The product name Cloudflare lists on an account with the Load Balancing add-on. */
export const LOAD_BALANCING_PRODUCT = "prod_load_balancing";

export function createTrafficRouters(
  routers: Record<RouterKind, TrafficRouter>,
  workers: CloudflareWorkersApi,
  accountId: string,
): TrafficRouters {
  return {
    ensureSplit: (req) => routers[req.router ?? "load-balancer"].ensureSplit(req),
    setCanaryWeight: (binding, percent, step) => routers[routerKindOf(binding)].setCanaryWeight(binding, percent, step),
    canaryWeight: (binding) => routers[routerKindOf(binding)].canaryWeight(binding),
    release: (binding) => routers[routerKindOf(binding)].release(binding),
    async defaultKind() {
      return (await workers.subscriptions(accountId)).includes(LOAD_BALANCING_PRODUCT) ? "load-balancer" : "edge";
    },
  };
}
