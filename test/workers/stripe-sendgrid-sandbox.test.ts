/**
 * The sandbox's Stripe and SendGrid hosts, driven through the real adapters and raw wire requests: key
 * checks (401 in each provider's format), webhook endpoints with Idempotency-Key replay and per-mode
 * visibility, domain authentication that validates only once its CNAMEs exist in the sandbox zone.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { createCloudflareApi } from "../../src/providers/cloudflare/adapter";
import { createSendGridApi } from "../../src/providers/sendgrid/adapter";
import { createStripeApi } from "../../src/providers/stripe/adapter";
import { ProviderError } from "../../src/providers/types";
import { providerFetch, sandboxWorld } from "../../src/dev/wiring";

const ctx = () => ({ fetch: providerFetch(env), sleep: async () => {} });
const TEST_KEY = "sk_test_sandboxSetupKey0001";
const LIVE_KEY = "sk_live_sandboxSetupKey0001";
const SG_KEY = "SG.sandbox-key.secret-part";

async function stripe(
  method: string,
  path: string,
  key: string | null,
  body?: string,
  headers: Record<string, string> = {},
) {
  const res = await providerFetch(env)(`https://api.stripe.com${path}`, {
    method,
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(body ? { "content-type": "application/x-www-form-urlencoded" } : {}),
      ...headers,
    },
    body,
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

let zone: { accountId: string; zoneId: string; zoneName: string };
beforeAll(async () => {
  zone = (await sandboxWorld(env).seedInvoicePerfect()).cloudflare;
});

describe("sandbox Stripe", () => {
  it("refuses a missing or malformed key with 401 in Stripe's error format, and a publishable key too", async () => {
    for (const key of [null, "sk_nope", "whsec_abcdefgh", "pk_test_abcdefgh"]) {
      const res = await stripe("GET", "/v1/webhook_endpoints", key);
      expect(res.status, String(key)).toBe(401);
      expect(res.body.error.type).toBe("invalid_request_error");
      expect(res.body.error.message).not.toContain("abcdefgh");
    }
    const error = await createStripeApi(ctx(), { secretKey: "sk_test_doesnotmatter" })
      .verify()
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(error).toBeNull();
  });

  it("creates an endpoint whose whsec_ secret appears only on create, and replays an Idempotency-Key with the same object", async () => {
    const form =
      "url=https%3A%2F%2Fcp.example.com%2Fwebhooks%2Fstripe&enabled_events[]=invoice.paid&metadata[env]=staging";
    const first = await stripe("POST", "/v1/webhook_endpoints", TEST_KEY, form, { "idempotency-key": "k-1" });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      object: "webhook_endpoint",
      url: "https://cp.example.com/webhooks/stripe",
      enabled_events: ["invoice.paid"],
      livemode: false,
      status: "enabled",
      metadata: { env: "staging" },
    });
    expect(first.body.id).toMatch(/^we_/);
    expect(first.body.secret).toMatch(/^whsec_/);
    const replay = await stripe("POST", "/v1/webhook_endpoints", TEST_KEY, form, { "idempotency-key": "k-1" });
    expect(replay.body).toEqual(first.body);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    const reused = await stripe("POST", "/v1/webhook_endpoints", TEST_KEY, form.replace("staging", "prod"), {
      "idempotency-key": "k-1",
    });
    expect(reused.status).toBe(400);
    expect(reused.body.error.type).toBe("idempotency_error");
    const listed = await stripe("GET", "/v1/webhook_endpoints?limit=100", TEST_KEY);
    expect(listed.body).toMatchObject({ object: "list", has_more: false, url: "/v1/webhook_endpoints" });
    expect(
      listed.body.data.filter((e: { url: string }) => e.url === "https://cp.example.com/webhooks/stripe"),
    ).toHaveLength(1);
    expect(listed.body.data.every((e: { secret?: string }) => e.secret === undefined)).toBe(true);
    // Objects made with a test key do not exist for a live key.
    expect((await stripe("GET", "/v1/webhook_endpoints", LIVE_KEY)).body.data).toEqual([]);
    expect((await stripe("GET", `/v1/webhook_endpoints/${first.body.id}`, LIVE_KEY)).status).toBe(404);
  });

  it("answers the adapter's ensure: created once, found by url afterwards, paged with starting_after", async () => {
    const api = createStripeApi(ctx(), { secretKey: TEST_KEY });
    const input = {
      url: "https://cp.example.com/webhooks/stripe?env=a",
      enabledEvents: ["invoice.paid", "customer.subscription.deleted"],
      description: "a",
      idempotencySeed: "s1",
    };
    const created = await api.ensureWebhookEndpoint(input);
    expect(created.created).toBe(true);
    expect(created.secret).toMatch(/^whsec_/);
    const again = await api.ensureWebhookEndpoint(input);
    expect(again).toMatchObject({ id: created.id, created: false });
    expect(again.secret).toBeUndefined();
    const page = await stripe("GET", "/v1/webhook_endpoints?limit=1", TEST_KEY);
    expect(page.body.has_more).toBe(true);
    const next = await stripe("GET", `/v1/webhook_endpoints?limit=1&starting_after=${page.body.data[0].id}`, TEST_KEY);
    expect(next.body.data[0].id).not.toBe(page.body.data[0].id);
  });

  it("honours injected provider faults in Stripe's format (the adapter retries a 500)", async () => {
    await sandboxWorld(env).addFault({ kind: "provider", provider: "stripe", status: 500, count: 1 });
    const api = createStripeApi(ctx(), { secretKey: TEST_KEY });
    await expect(api.verify()).resolves.toEqual({ livemode: false });
    const requests = await sandboxWorld(env).requests({ provider: "stripe", limit: 2 });
    expect(requests.map((r) => r.status)).toEqual([200, 500]);
    expect(requests[0].headers.authorization).toBe("[redacted]");
  });
});

describe("sandbox SendGrid", () => {
  it("refuses a bad key with 401 in SendGrid's format; a good one lists its scopes", async () => {
    const bad = await createSendGridApi(ctx(), { apiKey: "not-a-sendgrid-key" })
      .verify()
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(bad).toBeInstanceOf(ProviderError);
    expect((bad as ProviderError).status).toBe(401);
    const raw = await providerFetch(env)("https://api.sendgrid.com/v3/scopes", {
      headers: { authorization: "Bearer nope" },
    });
    expect(await raw.json()).toEqual({ errors: [{ field: null, message: expect.stringMatching(/invalid|revoked/) }] });
    const { scopes } = await createSendGridApi(ctx(), { apiKey: SG_KEY }).verify();
    expect(scopes).toEqual(expect.arrayContaining(["mail.send", "whitelabel.create"]));
  });

  it("authenticates a domain: validation fails until the three CNAMEs exist in the sandbox Cloudflare zone, then passes", async () => {
    const sendgrid = createSendGridApi(ctx(), { apiKey: SG_KEY });
    const domain = await sendgrid.ensureSenderDomain(zone.zoneName, "em");
    expect(domain.created).toBe(true);
    expect(domain.dns.map((r) => [r.name, r.type])).toEqual([
      ["mail_cname", "CNAME"],
      ["dkim1", "CNAME"],
      ["dkim2", "CNAME"],
    ]);
    expect(domain.dns[0]).toMatchObject({
      host: `em.${zone.zoneName}`,
      data: expect.stringMatching(/^u\d+\.wl\.sendgrid\.net$/),
    });
    expect((await sendgrid.ensureSenderDomain(zone.zoneName, "em")).id).toBe(domain.id);

    const before = await sendgrid.validateDomain(domain.id);
    expect(before.valid).toBe(false);
    expect(before.checks.every((c) => !c.valid && /Expected CNAME/.test(c.reason ?? ""))).toBe(true);

    const cloudflare = createCloudflareApi(ctx(), { token: "sandbox-cloudflare-token" });
    const [first, ...rest] = domain.dns;
    await cloudflare.createDnsRecord(zone.zoneId, {
      type: "CNAME",
      name: first.host,
      content: first.data,
      proxied: false,
    });
    const partial = await sendgrid.validateDomain(domain.id);
    expect(partial.valid).toBe(false);
    expect(partial.checks.find((c) => c.name === "mail_cname")?.valid).toBe(true);

    for (const r of rest)
      await cloudflare.createDnsRecord(zone.zoneId, { type: "CNAME", name: r.host, content: r.data, proxied: false });
    expect((await sendgrid.validateDomain(domain.id)).valid).toBe(true);
    const state = await sandboxWorld(env).state();
    expect(state.sendgrid.domains.find((d) => d.id === domain.id)?.valid).toBe(true);
  });

  it("keeps a single sender unverified until its domain is authenticated", async () => {
    const post = (body: unknown) =>
      providerFetch(env)("https://api.sendgrid.com/v3/verified_senders", {
        method: "POST",
        headers: { authorization: `Bearer ${SG_KEY}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const unknownDomain = await post({
      nickname: "x",
      from_email: "billing@elsewhere.example",
      reply_to: "billing@elsewhere.example",
    });
    expect(unknownDomain.status).toBe(201);
    expect(((await unknownDomain.json()) as { verified: boolean }).verified).toBe(false);
    const invalid = await post({ nickname: "x", from_email: "not-an-email", reply_to: "a@b.co" });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { errors: { field: string }[] }).errors[0].field).toBe("from_email");
  });
});
