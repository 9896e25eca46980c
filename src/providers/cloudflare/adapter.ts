/** The Cloudflare adapter: CloudflareApi over the REST API v4 and its envelope (providers/cloudflare.md). */
import { z } from "zod";
import { checkShape, parseJsonBody, providerRequest, resolveTransportOptions, type ProviderResponse } from "../http";
import { ProviderError, type ProviderContext } from "../types";
import type {
  CloudflareApi,
  CloudflareDnsRecord,
  CloudflareDnsRecordInput,
  CloudflareLoadBalancer,
  CloudflareLoadBalancerInput,
  CloudflareMonitor,
  CloudflareMonitorInput,
  CloudflareOrigin,
  CloudflarePool,
  CloudflarePoolInput,
  CloudflareSubscription,
  CloudflareTokenStatus,
  CloudflareZone,
} from "./api";

export const CLOUDFLARE_API_BASE = "https://api.cloudflare.com/client/v4";

/** Marks DNS records the control plane created, so "ensure" logic and humans can tell them apart. */
export const MANAGED_COMMENT = "managed by infra-chat";

export interface CloudflareApiOptions {
  /** API token (Bearer); the legacy global key is deliberately unsupported. */
  token: string;
  apiBase?: string;
}

/** null/absent → fallback, so the interface types stay free of `undefined | null` noise. */
function orElse<T, F>(schema: z.ZodType<T>, fallback: F) {
  return schema.nullish().transform((v): T | F => v ?? fallback);
}

const Envelope = z.object({
  success: z.boolean(),
  errors: z.array(z.object({ code: z.number().optional(), message: z.string() })).nullish(),
  result: z.unknown(),
});

const TokenStatus = z.object({ id: z.string(), status: z.string() }) satisfies z.ZodType<CloudflareTokenStatus>;
const Zone = z
  .object({ id: z.string(), name: z.string(), status: z.string(), account: z.object({ id: z.string() }).optional() })
  .transform(({ account, ...zone }): CloudflareZone => (account ? { ...zone, accountId: account.id } : zone));
const DnsRecord = z.object({
  id: z.string(),
  type: z.string(),
  name: z.string(),
  content: z.string(),
  proxied: orElse(z.boolean(), false),
  ttl: z.number(),
  comment: orElse(z.string(), null),
}) satisfies z.ZodType<CloudflareDnsRecord>;
const Deleted = z.object({ id: z.string() });
const Monitor = z.object({
  id: z.string(),
  type: z.string(),
  method: orElse(z.string(), null),
  path: orElse(z.string(), null),
  expected_codes: orElse(z.string(), null),
  header: orElse(z.record(z.string(), z.array(z.string())), {}),
  description: orElse(z.string(), ""),
}) satisfies z.ZodType<CloudflareMonitor>;
const Origin = z.object({
  name: orElse(z.string(), ""),
  address: z.string(),
  weight: orElse(z.number(), 1),
  enabled: orElse(z.boolean(), true),
  header: orElse(z.object({ Host: z.array(z.string()).optional() }), undefined),
}) satisfies z.ZodType<CloudflareOrigin>;
const Pool = z.object({
  id: z.string(),
  name: z.string(),
  enabled: orElse(z.boolean(), true),
  monitor: orElse(z.string(), null),
  description: orElse(z.string(), ""),
  origins: z.array(Origin),
}) satisfies z.ZodType<CloudflarePool>;
const LoadBalancer = z.object({
  id: z.string(),
  name: z.string(),
  default_pools: z.array(z.string()),
  fallback_pool: z.string(),
  proxied: orElse(z.boolean(), false),
  steering_policy: orElse(z.string(), ""),
  random_steering: orElse(
    z.object({ pool_weights: z.record(z.string(), z.number()).optional(), default_weight: z.number().optional() }),
    null,
  ),
  enabled: orElse(z.boolean(), true),
}) satisfies z.ZodType<CloudflareLoadBalancer>;

const Subscription = z
  .object({
    id: z.string(),
    product: z.object({ name: z.string().nullish() }).nullish(),
    rate_plan: z.object({ id: z.string().nullish(), public_name: z.string().nullish() }).nullish(),
    state: z.string().nullish(),
  })
  .transform(
    (s): CloudflareSubscription => ({
      id: s.id,
      product: s.product?.name ?? "",
      ratePlan: s.rate_plan?.id ?? s.rate_plan?.public_name ?? "",
      state: s.state ?? null,
    }),
  );
const ZoneSetting = z.object({ id: z.string(), value: z.string() });

// Cloudflare ids are hex or UUIDs; refusing anything else keeps "..", "/" or "?" out of the URL path.
const ID = /^[A-Za-z0-9_-]{1,64}$/;

type Method = "GET" | "POST" | "PATCH" | "DELETE";

interface Call<T> {
  schema: z.ZodType<T>;
  query?: Record<string, string | undefined>;
  body?: unknown;
  /** Ids of the returned object, added to the receipt beside the ids the path names. */
  ids?: (value: T) => Record<string, string>;
}

/** Builds the Cloudflare adapter; every method is one REST call through providerRequest. */
export function createCloudflareApi(ctx: ProviderContext, opts: CloudflareApiOptions): CloudflareApi {
  if (!opts.token) throw new Error("Cloudflare token is required");
  resolveTransportOptions(ctx);
  const apiBase = (opts.apiBase ?? CLOUDFLARE_API_BASE).replace(/\/+$/, "");

  async function call<T>(method: Method, template: string, params: Record<string, string>, c: Call<T>): Promise<T> {
    const path = template.replace(/\{(\w+)\}/g, (_, name: string) => pathId(template, name, params[name]));
    const query = new URLSearchParams(
      Object.entries(c.query ?? {}).filter((e): e is [string, string] => e[1] !== undefined),
    );
    const pathIds = Object.fromEntries(Object.entries(params).map(([k, v]) => [camel(k), v]));
    return providerRequest(ctx, "cloudflare", {
      operation: `${method} ${template}`,
      // POST creates, and Cloudflare has no idempotency key: never re-send one after an ambiguous failure.
      kind: method === "POST" ? "write" : "idempotent",
      method,
      url: `${apiBase}${path}${query.size ? `?${query}` : ""}`,
      headers: {
        Authorization: `Bearer ${opts.token}`,
        ...(c.body === undefined ? {} : { "Content-Type": "application/json" }),
      },
      body: c.body === undefined ? undefined : JSON.stringify(c.body),
      read: (response) => readEnvelope(response, c.schema),
      responseIds: (value) => {
        const ids = { ...pathIds, ...c.ids?.(value) };
        return Object.keys(ids).length ? ids : undefined;
      },
    });
  }

  const monitors = "/accounts/{account_id}/load_balancers/monitors";
  const pools = "/accounts/{account_id}/load_balancers/pools";
  const lbs = "/zones/{zone_id}/load_balancers";
  const records = "/zones/{zone_id}/dns_records";

  return {
    verifyToken: () => call("GET", "/user/tokens/verify", {}, { schema: TokenStatus, ids: (t) => ({ tokenId: t.id }) }),
    listZones: (name) => call("GET", "/zones", {}, { schema: z.array(Zone), query: { name } }),
    listSubscriptions: (accountId) =>
      call("GET", "/accounts/{account_id}/subscriptions", { account_id: accountId }, { schema: z.array(Subscription) }),
    zoneSslMode: async (zoneId) =>
      (await call("GET", "/zones/{zone_id}/settings/ssl", { zone_id: zoneId }, { schema: ZoneSetting })).value,
    listDnsRecords: (zoneId, filter = {}) =>
      call(
        "GET",
        records,
        { zone_id: zoneId },
        { schema: z.array(DnsRecord), query: { type: filter.type, name: filter.name } },
      ),
    createDnsRecord: (zoneId, record) =>
      call(
        "POST",
        records,
        { zone_id: zoneId },
        {
          schema: DnsRecord,
          body: { ...dnsBody(record), comment: MANAGED_COMMENT },
          ids: (r) => ({ dnsRecordId: r.id }),
        },
      ),
    patchDnsRecord: (zoneId, recordId, record) =>
      call(
        "PATCH",
        `${records}/{dns_record_id}`,
        { zone_id: zoneId, dns_record_id: recordId },
        { schema: DnsRecord, body: dnsBody(record) },
      ),
    async deleteDnsRecord(zoneId, recordId) {
      await call(
        "DELETE",
        `${records}/{dns_record_id}`,
        { zone_id: zoneId, dns_record_id: recordId },
        { schema: Deleted },
      );
    },
    listMonitors: (accountId) => call("GET", monitors, { account_id: accountId }, { schema: z.array(Monitor) }),
    createMonitor: (accountId, monitor) =>
      call(
        "POST",
        monitors,
        { account_id: accountId },
        { schema: Monitor, body: monitorBody(monitor), ids: (m) => ({ monitorId: m.id }) },
      ),
    patchMonitor: (accountId, monitorId, monitor) =>
      call(
        "PATCH",
        `${monitors}/{monitor_id}`,
        { account_id: accountId, monitor_id: monitorId },
        { schema: Monitor, body: monitorBody(monitor) },
      ),
    listPools: (accountId) => call("GET", pools, { account_id: accountId }, { schema: z.array(Pool) }),
    createPool: (accountId, pool) =>
      call(
        "POST",
        pools,
        { account_id: accountId },
        { schema: Pool, body: poolBody(pool), ids: (p) => ({ poolId: p.id }) },
      ),
    getPool: (accountId, poolId) =>
      call("GET", `${pools}/{pool_id}`, { account_id: accountId, pool_id: poolId }, { schema: Pool }),
    patchPool: (accountId, poolId, patch) =>
      call(
        "PATCH",
        `${pools}/{pool_id}`,
        { account_id: accountId, pool_id: poolId },
        { schema: Pool, body: poolBody(patch) },
      ),
    listLoadBalancers: (zoneId) => call("GET", lbs, { zone_id: zoneId }, { schema: z.array(LoadBalancer) }),
    createLoadBalancer: (zoneId, lb) =>
      call(
        "POST",
        lbs,
        { zone_id: zoneId },
        { schema: LoadBalancer, body: loadBalancerBody(lb), ids: (l) => ({ loadBalancerId: l.id }) },
      ),
    getLoadBalancer: (zoneId, id) =>
      call("GET", `${lbs}/{load_balancer_id}`, { zone_id: zoneId, load_balancer_id: id }, { schema: LoadBalancer }),
    patchLoadBalancer: (zoneId, id, patch) =>
      call(
        "PATCH",
        `${lbs}/{load_balancer_id}`,
        { zone_id: zoneId, load_balancer_id: id },
        { schema: LoadBalancer, body: loadBalancerBody(patch) },
      ),
  };
}

/** Cloudflare answers inside its envelope: `success: false` is a failure whatever the HTTP status said. */
export function readEnvelope<T>(response: ProviderResponse, schema: z.ZodType<T>): T {
  const envelope = parseJsonBody("cloudflare", response, Envelope);
  if (!envelope.success) {
    // Codes are kept in the message: ProviderError has no field for them, and they are what support asks for.
    const errors = envelope.errors
      ?.map((e) => (e.code === undefined ? e.message : `[${e.code}] ${e.message}`))
      .join("; ");
    throw new ProviderError(
      `Cloudflare refused the request: ${errors || "no error detail"}`,
      "cloudflare",
      response.status,
      false,
    );
  }
  return checkShape("cloudflare", response.status, envelope.result, schema);
}

export function pathId(template: string, name: string, value: string | undefined): string {
  if (value === undefined || !ID.test(value)) {
    throw new ProviderError(`${template}: invalid ${name} ${JSON.stringify(value ?? null)}`, "cloudflare", null, false);
  }
  return value;
}

function camel(name: string): string {
  return name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

// The *Body functions copy only the fields the interface names, whatever else the caller's object carries.

function dnsBody(r: CloudflareDnsRecordInput): CloudflareDnsRecordInput {
  return { type: r.type, name: r.name, content: r.content, proxied: r.proxied, ttl: r.ttl, tags: r.tags };
}

function monitorBody(m: CloudflareMonitorInput): CloudflareMonitorInput {
  const { type, method, path, expected_codes, header, description, interval, timeout, retries, follow_redirects } = m;
  return { type, method, path, expected_codes, header, description, interval, timeout, retries, follow_redirects };
}

function originBody(o: CloudflareOrigin): CloudflareOrigin {
  return {
    name: o.name,
    address: o.address,
    weight: o.weight,
    enabled: o.enabled,
    header: o.header && { Host: o.header.Host },
  };
}

function poolBody(p: Partial<CloudflarePoolInput>): Partial<CloudflarePoolInput> {
  const { name, monitor, enabled, description, minimum_origins } = p;
  return { name, origins: p.origins?.map(originBody), monitor, enabled, description, minimum_origins };
}

function loadBalancerBody(l: Partial<CloudflareLoadBalancerInput>): Partial<CloudflareLoadBalancerInput> {
  const { name, default_pools, fallback_pool, proxied, steering_policy, description, enabled } = l;
  const steering = l.random_steering && {
    pool_weights: l.random_steering.pool_weights,
    default_weight: l.random_steering.default_weight,
  };
  return {
    name,
    default_pools,
    fallback_pool,
    proxied,
    steering_policy,
    random_steering: steering,
    description,
    enabled,
  };
}
