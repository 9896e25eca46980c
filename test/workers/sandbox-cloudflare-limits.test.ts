/**
 * The sandbox's Cloudflare holds the account's limits (issue 14 item 9): without the Load Balancing
 * add-on every load-balancing write is refused in Cloudflare's words while reads still answer, the
 * account's subscriptions say whether the add-on is there, the zone's SSL mode is a zone setting, and a
 * hostname proxied through a Flexible (or Off) zone loops on Railway's HTTP→HTTPS redirect — which a
 * client's fetch reports as "Too many redirects."
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MAX_REDIRECTS, sandboxFetch } from "../../src/sandbox/client";
import type { SandboxSeed } from "../../src/sandbox/types";

type Stub = ReturnType<typeof world>;
function world(name: string) {
  return env.SANDBOX_WORLD.getByName(`cf-limits-${name}`);
}

interface CfEnvelope {
  success: boolean;
  errors: { code: number; message: string }[];
  result: any;
}

async function cf(stub: Stub, method: string, path: string, body?: unknown) {
  const res = await stub.fetch(
    new Request(`https://api.cloudflare.com/client/v4${path}`, {
      method,
      headers: { authorization: "Bearer cf-token", "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  );
  return { status: res.status, body: (await res.json()) as CfEnvelope };
}

const DOMAINS = `query Domains($projectId: String!, $environmentId: String!, $serviceId: String!) {
  domains(projectId: $projectId, environmentId: $environmentId, serviceId: $serviceId) { serviceDomains { domain } }
}`;

const CUSTOM_DOMAIN_CREATE = `mutation CustomDomainCreate($input: CustomDomainCreateInput!) {
  customDomainCreate(input: $input) {
    id domain syncStatus
    status { verified verificationDnsHost verificationToken certificateStatus dnsRecords { recordType hostlabel fqdn requiredValue currentValue status purpose } }
  }
}`;
const CUSTOM_DOMAIN = `query CustomDomain($id: String!, $projectId: String!) {
  customDomain(id: $id, projectId: $projectId) { status { verified certificateStatus cdnProvider dnsRecords { status currentValue } } }
}`;
const AVAILABLE = `query CustomDomainAvailable($domain: String!) { customDomainAvailable(domain: $domain) { available message } }`;

async function railway(stub: Stub, query: string, variables: Record<string, unknown>): Promise<any> {
  const res = await stub.fetch(
    new Request("https://backboard.railway.com/graphql/v2", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer sandbox-railway-token" },
      body: JSON.stringify({ query, variables }),
    }),
  );
  const body = (await res.json()) as { data: unknown; errors?: { message: string }[] };
  if (body.errors) throw new Error(body.errors.map((e) => e.message).join("; "));
  return body.data;
}

/** The seeded staging api's Railway domain. */
async function stagingApiDomain(stub: Stub, seed: SandboxSeed): Promise<string> {
  const res = await stub.fetch(
    new Request("https://backboard.railway.com/graphql/v2", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer sandbox-railway-token" },
      body: JSON.stringify({
        query: DOMAINS,
        variables: {
          projectId: seed.railway.projectId,
          environmentId: seed.railway.environments.staging,
          serviceId: seed.railway.services.api,
        },
      }),
    }),
  );
  return ((await res.json()) as any).data.domains.serviceDomains[0].domain;
}

async function seeded(name: string) {
  const stub = world(name);
  const seed = await stub.seedInvoicePerfect();
  return { stub, seed, zone: seed.cloudflare.zoneId, account: seed.cloudflare.accountId };
}

/** Monitor → pool (one origin, Host override, as the canary recipe does) → proxied load balancer. */
async function loadBalancer(stub: Stub, seed: SandboxSeed, hostname: string) {
  const domain = await stagingApiDomain(stub, seed);
  const { accountId, zoneId } = seed.cloudflare;
  const monitor = await cf(stub, "POST", `/accounts/${accountId}/load_balancers/monitors`, {
    type: "https",
    path: "/health",
    expected_codes: "200",
  });
  const pool = await cf(stub, "POST", `/accounts/${accountId}/load_balancers/pools`, {
    name: "api-stable",
    monitor: monitor.body.result?.id,
    origins: [{ name: "api", address: domain, header: { Host: [domain] } }],
  });
  const lb = await cf(stub, "POST", `/zones/${zoneId}/load_balancers`, {
    name: hostname,
    default_pools: [pool.body.result?.id],
    fallback_pool: pool.body.result?.id,
    proxied: true,
  });
  return { monitor, pool, lb, domain };
}

describe("load balancing entitlement", () => {
  it("refuses every load-balancing write without the add-on, in Cloudflare's words; reads still answer", async () => {
    const { stub, seed, zone, account } = await seeded("no-lb");
    expect((await stub.account({ loadBalancing: false })).ok).toBe(true);
    const { monitor, pool, lb } = await loadBalancer(stub, seed, "api.invoiceperfect.com");
    expect([monitor.status, monitor.body]).toEqual([
      403,
      { success: false, errors: [{ code: 10000, message: "Authentication error" }], messages: [], result: null },
    ]);
    expect(pool.status).toBe(400);
    expect(pool.body.errors).toEqual([
      {
        code: 1002,
        message:
          "Internal error creating or modifying pool. Access Failed. Please reach out to Support.: validation failed",
      },
    ]);
    expect(lb.status).toBe(400);
    expect(lb.body.errors).toEqual([{ code: 1002, message: "load balancing not enabled for zone: validation failed" }]);
    // Listing works (and shows nothing): it cannot tell whether the add-on is there. Subscriptions can.
    expect((await cf(stub, "GET", `/accounts/${account}/load_balancers/pools`)).body.result).toEqual([]);
    expect((await cf(stub, "GET", `/zones/${zone}/load_balancers`)).body).toMatchObject({ success: true, result: [] });
    expect((await cf(stub, "GET", `/accounts/${account}/subscriptions`)).body).toMatchObject({
      success: true,
      result: [],
    });
    const state = await stub.state();
    expect([state.cloudflare.monitors, state.cloudflare.pools, state.cloudflare.loadBalancers]).toEqual([[], [], []]);

    expect((await stub.account({ loadBalancing: true })).ok).toBe(true);
    const subscriptions = (await cf(stub, "GET", `/accounts/${account}/subscriptions`)).body.result;
    expect(subscriptions).toEqual([
      expect.objectContaining({
        product: expect.objectContaining({ name: "prod_load_balancing" }),
        rate_plan: expect.objectContaining({ id: "LOAD_BALANCING_BASIC_PLUS" }),
        state: "Paid",
      }),
    ]);
    const again = await loadBalancer(stub, seed, "api.invoiceperfect.com");
    expect([again.monitor.status, again.pool.status, again.lb.status]).toEqual([200, 200, 200]);
  });
});

describe("zone SSL mode", () => {
  it("reads and patches /zones/{id}/settings/ssl; the account knob sets every zone", async () => {
    const { stub, zone } = await seeded("ssl");
    const path = `/zones/${zone}/settings/ssl`;
    expect((await cf(stub, "GET", path)).body.result).toEqual({
      id: "ssl",
      value: "full",
      editable: true,
      modified_on: null,
    });
    const patched = await cf(stub, "PATCH", path, { value: "strict" });
    expect(patched.body.result).toMatchObject({ id: "ssl", value: "strict", editable: true });
    expect(Date.parse(patched.body.result.modified_on)).not.toBeNaN();
    expect((await cf(stub, "PATCH", path, { value: "loose" })).body).toMatchObject({
      success: false,
      errors: [{ code: 1007, message: "Invalid value for zone setting ssl" }],
    });
    expect((await cf(stub, "GET", `/zones/${zone}/settings/bogus`)).body.errors[0].code).toBe(1006);
    await stub.account({ sslMode: "flexible" });
    expect((await cf(stub, "GET", path)).body.result.value).toBe("flexible");
    expect((await stub.state()).cloudflare.zones[0]).toMatchObject({ name: "invoiceperfect.com", ssl: "flexible" });
  });
});

describe("edge", () => {
  it("serves a proxied hostname through its load balancer under Full SSL", async () => {
    const { stub, seed } = await seeded("edge-full");
    await loadBalancer(stub, seed, "api.invoiceperfect.com");
    const res = await sandboxFetch(stub)("https://api.invoiceperfect.com/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok", release: "v1" });
    const [logged] = await stub.requests({ provider: "edge", limit: 1 });
    expect(logged).toMatchObject({ host: "api.invoiceperfect.com", path: "/health", status: 200 });
  });

  it("loops on Railway's HTTP→HTTPS redirect under Flexible SSL: fetch gives up after 20 hops", async () => {
    const { stub, seed, zone } = await seeded("edge-flexible");
    const domain = await stagingApiDomain(stub, seed);
    // A proxied record that names the hostname itself (the Host Railway receives is the public one).
    await cf(stub, "POST", `/zones/${zone}/dns_records`, {
      type: "CNAME",
      name: "status.invoiceperfect.com",
      content: domain,
      proxied: true,
      ttl: 1,
    });
    await stub.account({ sslMode: "flexible" });
    const hop = await stub.fetch(new Request("https://status.invoiceperfect.com/health", { redirect: "manual" }));
    expect([hop.status, hop.headers.get("location"), hop.headers.get("server")]).toEqual([
      301,
      "https://status.invoiceperfect.com/health",
      "cloudflare",
    ]);
    const before = (await stub.state()).requestCount;
    await expect(sandboxFetch(stub)("https://status.invoiceperfect.com/health")).rejects.toThrow(
      new TypeError("Too many redirects."),
    );
    expect((await stub.state()).requestCount - before).toBe(MAX_REDIRECTS + 1);

    // Off: the edge sends HTTPS to HTTP, where Railway sends it back — the same loop.
    await stub.account({ sslMode: "off" });
    const down = await stub.fetch(new Request("https://status.invoiceperfect.com/health", { redirect: "manual" }));
    expect(down.headers.get("location")).toBe("http://status.invoiceperfect.com/health");
    await expect(sandboxFetch(stub)("https://status.invoiceperfect.com/health")).rejects.toThrow(/Too many redirects/);

    // Full: HTTPS to the origin; without a Railway custom domain for the hostname Railway knows no app there.
    await stub.account({ sslMode: "full" });
    const full = await sandboxFetch(stub)("https://status.invoiceperfect.com/health");
    expect([full.status, await full.json()]).toEqual([
      404,
      { status: "error", code: 404, message: "Application not found" },
    ]);
  });

  it("serves a public hostname Railway knows as a custom domain, verified by records in the zone", async () => {
    const { stub, seed, zone } = await seeded("edge-custom-domain");
    const ids = {
      projectId: seed.railway.projectId,
      environmentId: seed.railway.environments.staging,
      serviceId: seed.railway.services.web,
    };
    const created = await railway(stub, CUSTOM_DOMAIN_CREATE, { input: { ...ids, domain: "app.invoiceperfect.com" } });
    const domain = created.customDomainCreate;
    expect(domain.status).toMatchObject({
      verified: false,
      certificateStatus: "CERTIFICATE_STATUS_TYPE_VALIDATING_OWNERSHIP",
      dnsRecords: [
        {
          recordType: "DNS_RECORD_TYPE_CNAME",
          fqdn: "app.invoiceperfect.com",
          status: "DNS_RECORD_STATUS_REQUIRES_UPDATE",
        },
      ],
    });
    const target = domain.status.dnsRecords[0].requiredValue as string;
    expect(target).toMatch(/\.up\.railway\.app$/);
    expect((await railway(stub, AVAILABLE, { domain: "app.invoiceperfect.com" })).customDomainAvailable.available).toBe(
      false,
    );

    await cf(stub, "POST", `/zones/${zone}/dns_records`, {
      type: "CNAME",
      name: "app.invoiceperfect.com",
      content: target,
      proxied: true,
      ttl: 1,
    });
    await cf(stub, "POST", `/zones/${zone}/dns_records`, {
      type: "TXT",
      name: domain.status.verificationDnsHost,
      content: domain.status.verificationToken,
      ttl: 1,
    });
    const checked = await railway(stub, CUSTOM_DOMAIN, { id: domain.id, projectId: ids.projectId });
    expect(checked.customDomain.status).toMatchObject({
      verified: true,
      certificateStatus: "CERTIFICATE_STATUS_TYPE_VALID",
      cdnProvider: "DETECTED_CDN_PROVIDER_CLOUDFLARE",
      dnsRecords: [{ status: "DNS_RECORD_STATUS_PROPAGATED", currentValue: target }],
    });
    const served = await sandboxFetch(stub)("https://app.invoiceperfect.com/");
    // web's health path is "/": the live release answers through the public hostname.
    expect([served.status, await served.json()]).toEqual([200, { status: "ok", release: "v1" }]);
    expect((await stub.state()).customDomains).toEqual([
      expect.objectContaining({
        domain: "app.invoiceperfect.com",
        service: "web",
        environment: "staging",
        verified: true,
      }),
    ]);
  });

  it("answers 523 for a record that points at no Railway origin; an unknown hostname fails closed", async () => {
    const { stub, zone } = await seeded("edge-unreachable");
    await cf(stub, "POST", `/zones/${zone}/dns_records`, {
      type: "A",
      name: "legacy.invoiceperfect.com",
      content: "192.0.2.10",
      proxied: true,
      ttl: 1,
    });
    expect((await stub.fetch(new Request("https://legacy.invoiceperfect.com/"))).status).toBe(523);
    expect((await stub.fetch(new Request("https://nothing.invoiceperfect.com/"))).status).toBe(502);
  });
});
