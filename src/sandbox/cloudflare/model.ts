/**
 * Cloudflare resources as the v4 API returns them (providers/cloudflare.md, cloudflare.openapi.json):
 * monitors and pools (account level), load balancers and DNS records (zone level). Each resource is
 * typed explicitly, without `unknown`, so `SandboxDO.state()` crosses RPC with usable types; the zod
 * inputs are tied to those types so a field cannot drift between the two.
 */
import { z } from "zod";
import type { JsonValue } from "../types";

/** Fields Cloudflare sets on every stored resource. */
export interface CfStamp {
  id: string;
  created_on: string;
  modified_on: string;
}

export type MonitorType = "http" | "https" | "tcp" | "udp_icmp" | "icmp_ping" | "smtp";

/** A monitor's editable fields (a health check attached to pools). */
export interface MonitorSettings {
  type: MonitorType;
  method: string;
  path: string;
  expected_codes: string;
  expected_body: string;
  header: Record<string, string[]>;
  port: number;
  interval: number;
  timeout: number;
  retries: number;
  consecutive_up: number;
  consecutive_down: number;
  follow_redirects: boolean;
  allow_insecure: boolean;
  probe_zone: string;
  description: string;
}
export type CfMonitor = CfStamp & MonitorSettings;

/** One origin of a pool; its share of the pool's traffic is weight / sum of enabled weights. */
export interface CfOrigin {
  name: string;
  address: string;
  enabled: boolean;
  weight: number;
  header?: { Host?: string[] };
  virtual_network_id?: string;
}

export type OriginSteeringPolicy = "random" | "hash" | "least_outstanding_requests" | "least_connections";

/** A pool's editable fields. */
export interface PoolSettings {
  name: string;
  description: string;
  enabled: boolean;
  minimum_origins: number;
  monitor?: string;
  origins: CfOrigin[];
  origin_steering: { policy: OriginSteeringPolicy };
  notification_email: string;
  check_regions: string[] | null;
  latitude?: number;
  longitude?: number;
}
export type CfPool = CfStamp & PoolSettings;

export type SteeringPolicy =
  | "off"
  | "geo"
  | "random"
  | "dynamic_latency"
  | "proximity"
  | "least_outstanding_requests"
  | "least_connections"
  | "";
export type SessionAffinity = "none" | "cookie" | "ip_cookie" | "header" | "";

/** A load balancer's editable fields (`name` is the hostname it serves). */
export interface LoadBalancerSettings {
  name: string;
  description: string;
  enabled: boolean;
  proxied: boolean;
  ttl: number;
  default_pools: string[];
  fallback_pool: string;
  steering_policy: SteeringPolicy;
  random_steering: { default_weight: number; pool_weights: Record<string, number> };
  session_affinity: SessionAffinity;
  session_affinity_ttl?: number;
  region_pools: Record<string, string[]>;
  country_pools: Record<string, string[]>;
  pop_pools: Record<string, string[]>;
  adaptive_routing: { failover_across_pools: boolean };
  location_strategy: { mode: "pop" | "resolver_ip"; prefer_ecs: "always" | "never" | "proximity" | "geo" };
}
export type CfLoadBalancer = CfStamp & LoadBalancerSettings & { zone_name: string };

/** A DNS record's editable fields. */
export interface DnsRecordSettings {
  type: string;
  name: string;
  content: string;
  proxied: boolean;
  ttl: number;
  comment: string | null;
  tags: string[];
  priority?: number;
}
export type CfDnsRecord = CfStamp &
  DnsRecordSettings & {
    zone_id: string;
    zone_name: string;
    proxiable: boolean;
    settings: Record<string, never>;
    meta: { auto_added: boolean; managed_by_apps: boolean; managed_by_argo_tunnel: boolean; source: string };
  };

/** A binding of a Worker script (the kinds the sandbox models: the edge router needs json and secret_text). */
export type WorkerBinding =
  | { type: "json"; name: string; json: JsonValue }
  | { type: "plain_text"; name: string; text: string }
  | { type: "secret_text"; name: string; text: string };

/** A module Worker as uploaded: its parts (the sandbox keeps the main module, never runs it) and bindings. */
export interface WorkerScriptSettings {
  name: string;
  mainModule: string;
  source: string;
  modules: { name: string; contentType: string; bytes: number }[];
  compatibilityDate: string;
  compatibilityFlags: string[];
  bindings: WorkerBinding[];
  etag: string;
}

/** A zone route: requests matching `pattern` ("host/path*") run `script` instead of going to the origin. */
export interface WorkerRouteSettings {
  pattern: string;
  script: string | null;
}

/** Defaults from the spec, applied on create and on PUT (PATCH keeps the stored values instead). */
export const MONITOR_DEFAULTS: MonitorSettings = {
  type: "http",
  method: "GET",
  path: "/",
  expected_codes: "200",
  expected_body: "",
  header: {},
  port: 0,
  interval: 60,
  timeout: 5,
  retries: 2,
  consecutive_up: 0,
  consecutive_down: 0,
  follow_redirects: false,
  allow_insecure: false,
  probe_zone: "",
  description: "",
};

export const POOL_DEFAULTS: Omit<PoolSettings, "name" | "origins"> = {
  description: "",
  enabled: true,
  minimum_origins: 1,
  origin_steering: { policy: "random" },
  notification_email: "",
  check_regions: null,
};

export const LOAD_BALANCER_DEFAULTS: Omit<LoadBalancerSettings, "name" | "default_pools" | "fallback_pool"> = {
  description: "",
  enabled: true,
  proxied: false,
  ttl: 30,
  steering_policy: "",
  random_steering: { default_weight: 1, pool_weights: {} },
  session_affinity: "",
  region_pools: {},
  country_pools: {},
  pop_pools: {},
  adaptive_routing: { failover_across_pools: false },
  location_strategy: { mode: "pop", prefer_ecs: "proximity" },
};

const poolMap = z.record(z.string(), z.array(z.string()));
const fraction = z.number().min(0).max(1);

// Every field optional: which ones a call must carry differs between POST, PUT and PATCH (checked in the handlers).
/** Monitor request body (POST/PUT/PATCH). */
export const monitorInput: z.ZodType<Partial<MonitorSettings>> = z.object({
  type: z.enum(["http", "https", "tcp", "udp_icmp", "icmp_ping", "smtp"]).optional(),
  method: z.string().min(1).optional(),
  path: z.string().optional(),
  expected_codes: z
    .string()
    .regex(/^([1-5]xx|[1-5]\d\d)$/, "must be a status code or a class like 2xx")
    .optional(),
  expected_body: z.string().optional(),
  header: z.record(z.string(), z.array(z.string())).optional(),
  port: z.number().int().min(0).max(65535).optional(),
  interval: z.number().int().min(5).max(3600).optional(),
  timeout: z.number().int().min(1).max(10).optional(),
  retries: z.number().int().min(0).max(5).optional(),
  consecutive_up: z.number().int().min(0).optional(),
  consecutive_down: z.number().int().min(0).optional(),
  follow_redirects: z.boolean().optional(),
  allow_insecure: z.boolean().optional(),
  probe_zone: z.string().optional(),
  description: z.string().optional(),
});

const originInput: z.ZodType<CfOrigin> = z.object({
  name: z.string().min(1),
  address: z.string().min(1),
  enabled: z.boolean().default(true),
  weight: fraction.default(1),
  header: z.object({ Host: z.array(z.string()).max(1).optional() }).optional(),
  virtual_network_id: z.string().optional(),
});

/** Pool request body (POST/PUT/PATCH); `origins` always arrives whole. */
export const poolInput: z.ZodType<Partial<PoolSettings>> = z.object({
  name: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, "may only contain letters, digits, '-' and '_'")
    .optional(),
  description: z.string().optional(),
  enabled: z.boolean().optional(),
  minimum_origins: z.number().int().min(1).optional(),
  monitor: z.string().optional(),
  origins: z.array(originInput).min(1, "the origin list length must be in range [1, 0]").optional(),
  origin_steering: z
    .object({ policy: z.enum(["random", "hash", "least_outstanding_requests", "least_connections"]) })
    .optional(),
  notification_email: z.string().optional(),
  check_regions: z.array(z.string()).nullable().optional(),
  latitude: z.number().min(-90).max(90).optional(),
  longitude: z.number().min(-180).max(180).optional(),
});

/** Load balancer request body (POST/PUT/PATCH). */
export const loadBalancerInput: z.ZodType<Partial<LoadBalancerSettings>> = z.object({
  name: z.string().min(1).max(253).optional(),
  description: z.string().optional(),
  enabled: z.boolean().optional(),
  proxied: z.boolean().optional(),
  ttl: z.number().int().min(1).optional(),
  default_pools: z.array(z.string()).min(1).optional(),
  fallback_pool: z.string().min(1).optional(),
  steering_policy: z
    .enum([
      "off",
      "geo",
      "random",
      "dynamic_latency",
      "proximity",
      "least_outstanding_requests",
      "least_connections",
      "",
    ])
    .optional(),
  random_steering: z
    .object({ default_weight: fraction.default(1), pool_weights: z.record(z.string(), fraction).default({}) })
    .optional(),
  session_affinity: z.enum(["none", "cookie", "ip_cookie", "header", ""]).optional(),
  session_affinity_ttl: z.number().int().min(1800).max(604800).optional(),
  region_pools: poolMap.optional(),
  country_pools: poolMap.optional(),
  pop_pools: poolMap.optional(),
  adaptive_routing: z.object({ failover_across_pools: z.boolean() }).optional(),
  location_strategy: z
    .object({ mode: z.enum(["pop", "resolver_ip"]), prefer_ecs: z.enum(["always", "never", "proximity", "geo"]) })
    .optional(),
});

/** DNS record request body (POST/PUT/PATCH); content rules per type are checked in dns.ts. */
export const dnsRecordInput: z.ZodType<Partial<DnsRecordSettings>> = z.object({
  type: z.enum(["A", "AAAA", "CNAME", "TXT", "MX", "NS", "CAA", "SRV", "PTR", "HTTPS", "SVCB"]).optional(),
  name: z.string().min(1).max(255).optional(),
  content: z.string().optional(),
  proxied: z.boolean().optional(),
  ttl: z.number().int().optional(),
  comment: z.string().max(100).nullable().optional(),
  tags: z.array(z.string()).optional(),
  priority: z.number().int().min(0).max(65535).optional(),
});
