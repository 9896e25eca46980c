/** Traffic splitting between a stable and a canary origin, whatever provider does it. */
import { z } from "zod";

/** Provider ids of one split, persisted by the canary run so every later step and retry reuses them. */
export const TrafficBinding = z.object({
  hostname: z.string(),
  zoneId: z.string(),
  accountId: z.string(),
  loadBalancerId: z.string(),
  stablePoolId: z.string(),
  canaryPoolId: z.string(),
  monitorId: z.string(),
});
export type TrafficBinding = z.infer<typeof TrafficBinding>;

export interface SplitRequest {
  /** The public hostname the load balancer serves, e.g. api.invoiceperfect.com */
  hostname: string;
  /** Origin hostnames, e.g. api-production-1a2b.up.railway.app */
  stableOrigin: string;
  canaryOrigin: string;
  /** Health path probed by the provider's monitor on both origins. */
  healthPath: string;
  /** Prefix for resource names (pools "<prefix>-stable" / "<prefix>-canary"), so ensure can find them. */
  namePrefix: string;
}

export interface TrafficRouter {
  /** Ensures monitor, both pools and the load balancer exist (idempotent: finds by name before creating). New splits start at 0% canary. */
  ensureSplit(request: SplitRequest): Promise<TrafficBinding>;
  /** Sends `percent` (0–100) of traffic to the canary pool; 0 also takes the canary pool out of rotation. */
  setCanaryWeight(binding: TrafficBinding, percent: number): Promise<void>;
  /** The canary's current share (0–100) as the provider reports it. */
  canaryWeight(binding: TrafficBinding): Promise<number>;
  /**
   * The split is over: all traffic on stable, and the hostname handed back to what serves it without a
   * canary (its DNS record, when it has one). The next ensureSplit takes it over again.
   */
  release(binding: TrafficBinding): Promise<{ handedBack: boolean }>;
}
