/**
 * The Cloudflare v4 operations the control plane uses (providers/cloudflare.md), as a small typed interface.
 * Field names keep Cloudflare's snake_case on purpose: the router compares what it reads back with what it
 * sends, and the names then match cloudflare.md and the OpenAPI file one to one.
 */

export interface CloudflareTokenStatus {
  id: string;
  /** `active` | `disabled` | `expired` */
  status: string;
}

export interface CloudflareZone {
  id: string;
  name: string;
  /** `initializing` | `pending` | `active` | `moved` */
  status: string;
  /** The owning account's id (needed for account-level resources such as load-balancer pools). */
  accountId?: string;
}

export type CloudflareDnsRecordType = "A" | "AAAA" | "CNAME" | "TXT";

export interface CloudflareDnsRecordInput {
  type: CloudflareDnsRecordType;
  name: string;
  content: string;
  /** Only meaningful for A/AAAA/CNAME. */
  proxied?: boolean;
  /** 1 = automatic, otherwise 60–86400. */
  ttl?: number;
  tags?: string[];
}

export interface CloudflareDnsRecord {
  id: string;
  type: string;
  name: string;
  content: string;
  proxied: boolean;
  ttl: number;
  comment: string | null;
}

export interface CloudflareMonitorInput {
  type: "http" | "https";
  method?: "GET" | "HEAD";
  path: string;
  /** e.g. "200" or "2xx"; the spec requires it on create and on every PATCH/PUT. */
  expected_codes: string;
  header?: Record<string, string[]>;
  /** The router finds its monitor again by this text. */
  description: string;
  interval?: number;
  timeout?: number;
  retries?: number;
  follow_redirects?: boolean;
}

export interface CloudflareMonitor {
  id: string;
  type: string;
  method: string | null;
  path: string | null;
  expected_codes: string | null;
  header: Record<string, string[]>;
  description: string;
}

export interface CloudflareOrigin {
  name: string;
  /** IP or publicly resolvable hostname (not itself proxied by Cloudflare). */
  address: string;
  /** 0–1, step 0.01; share = weight / sum of weights in the pool. */
  weight: number;
  enabled: boolean;
  /** One Host override per origin; it also wins over the monitor's Host during health checks. */
  header?: { Host?: string[] };
}

export interface CloudflarePoolInput {
  /** Letters, digits, `-` and `_` only. */
  name: string;
  origins: CloudflareOrigin[];
  monitor?: string;
  enabled?: boolean;
  description?: string;
  minimum_origins?: number;
}

export interface CloudflarePool {
  id: string;
  name: string;
  enabled: boolean;
  monitor: string | null;
  description: string;
  origins: CloudflareOrigin[];
}

export type CloudflareSteeringPolicy =
  | "off"
  | "geo"
  | "random"
  | "dynamic_latency"
  | "proximity"
  | "least_outstanding_requests"
  | "least_connections"
  | "";

export interface CloudflareRandomSteering {
  /** Pool id → relative weight. */
  pool_weights?: Record<string, number>;
  /** Weight of pools missing from pool_weights (0–1, step 0.1; Cloudflare's default is 1). */
  default_weight?: number;
}

export interface CloudflareLoadBalancerInput {
  /** The DNS hostname served, e.g. api.example.com. */
  name: string;
  /** Pool ids in failover order. */
  default_pools: string[];
  /** Pool used when every other pool is unhealthy. */
  fallback_pool: string;
  proxied?: boolean;
  steering_policy?: CloudflareSteeringPolicy;
  random_steering?: CloudflareRandomSteering;
  description?: string;
  /** A disabled load balancer leaves its hostname to the DNS record of the same name. */
  enabled?: boolean;
}

export interface CloudflareLoadBalancer {
  id: string;
  name: string;
  default_pools: string[];
  fallback_pool: string;
  proxied: boolean;
  steering_policy: string;
  random_steering: CloudflareRandomSteering | null;
  enabled: boolean;
}

/** One of the account's subscriptions; `product` is what clients match on (e.g. "prod_load_balancing"). */
export interface CloudflareSubscription {
  id: string;
  product: string;
  /** The rate plan's id (or public name), e.g. "LOAD_BALANCING_BASIC_PLUS". */
  ratePlan: string;
  state: string | null;
}

/** Whether a subscription is the Load Balancing add-on (by product, or failing that by rate plan). */
export function isLoadBalancingSubscription(s: CloudflareSubscription): boolean {
  return s.product === "prod_load_balancing" || /load[ _]?balancing/i.test(s.ratePlan);
}

/** Lists return the first page only: names are filtered server-side, and LB objects are few per account/zone. */
export interface CloudflareApi {
  /** `GET /user/tokens/verify`; a usable token has `status: "active"`. */
  verifyToken(): Promise<CloudflareTokenStatus>;
  /** `GET /accounts/{id}/subscriptions`: what the account pays for (the Load Balancing add-on among them). */
  listSubscriptions(accountId: string): Promise<CloudflareSubscription[]>;
  /** `GET /zones/{id}/settings/ssl`: the zone's SSL/TLS mode (`off` | `flexible` | `full` | `strict`). */
  zoneSslMode(zoneId: string): Promise<string>;
  /** Zones with exactly this name (0 or 1 in practice). */
  listZones(name: string): Promise<CloudflareZone[]>;
  listDnsRecords(
    zoneId: string,
    filter?: { type?: CloudflareDnsRecordType; name?: string },
  ): Promise<CloudflareDnsRecord[]>;
  /** Not idempotent (POST): look the record up first. Marks it `comment: "managed by infra-chat"`. */
  createDnsRecord(zoneId: string, record: CloudflareDnsRecordInput): Promise<CloudflareDnsRecord>;
  /** Takes the full record, not a fragment: the schema Cloudflare validates PATCH bodies against requires type, name and content. */
  patchDnsRecord(zoneId: string, recordId: string, record: CloudflareDnsRecordInput): Promise<CloudflareDnsRecord>;
  deleteDnsRecord(zoneId: string, recordId: string): Promise<void>;
  listMonitors(accountId: string): Promise<CloudflareMonitor[]>;
  createMonitor(accountId: string, monitor: CloudflareMonitorInput): Promise<CloudflareMonitor>;
  /** Takes the full monitor: the spec requires `expected_codes` on PATCH too. */
  patchMonitor(accountId: string, monitorId: string, monitor: CloudflareMonitorInput): Promise<CloudflareMonitor>;
  listPools(accountId: string): Promise<CloudflarePool[]>;
  createPool(accountId: string, pool: CloudflarePoolInput): Promise<CloudflarePool>;
  getPool(accountId: string, poolId: string): Promise<CloudflarePool>;
  /** Send `origins` whole: whether PATCH merges array items is not confirmed. */
  patchPool(accountId: string, poolId: string, patch: Partial<CloudflarePoolInput>): Promise<CloudflarePool>;
  listLoadBalancers(zoneId: string): Promise<CloudflareLoadBalancer[]>;
  createLoadBalancer(zoneId: string, lb: CloudflareLoadBalancerInput): Promise<CloudflareLoadBalancer>;
  getLoadBalancer(zoneId: string, loadBalancerId: string): Promise<CloudflareLoadBalancer>;
  patchLoadBalancer(
    zoneId: string,
    loadBalancerId: string,
    patch: Partial<CloudflareLoadBalancerInput>,
  ): Promise<CloudflareLoadBalancer>;
}
