import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { computeStripeSignatureHeader } from "../../src/security/stripe-signature";
import { api, makeUser, seedWorld } from "./helpers";

const SECRET = "whsec_test_sandbox_signing_secret_0123456789";
let admin: Awaited<ReturnType<typeof makeUser>>;
beforeAll(async () => {
  await seedWorld();
  admin = await makeUser("admin");
  expect(
    (
      await api(admin.token, "PUT", "/api/envs/invoice-perfect:staging/secrets/STRIPE_WEBHOOK_SECRET", {
        value: SECRET,
      })
    ).status,
  ).toBe(204);
});

async function deliver(
  body: string,
  timestamp = Math.floor(Date.now() / 1000),
  secret = SECRET,
  tamper?: (b: string) => string,
) {
  const header = await computeStripeSignatureHeader(secret, body, timestamp);
  const res = await api(null, "POST", "/webhooks/stripe", tamper ? tamper(body) : body, {
    "content-type": "application/json",
    "stripe-signature": header,
  });
  return res;
}

const count = async () => (await env.DB.prepare("SELECT COUNT(*) AS n FROM stripe_events").first<{ n: number }>())!.n;
const event = (id: string) =>
  JSON.stringify({ id, object: "event", type: "invoice.paid", livemode: false, data: { object: { id: "in_1" } } });

describe("Stripe webhook", () => {
  it("accepts a validly signed event once; a redelivery writes nothing twice", async () => {
    const before = await count();
    const first = await deliver(event("evt_once"));
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ received: true });
    const again = await deliver(event("evt_once"));
    expect(again.status).toBe(200);
    expect(again.body.duplicate).toBe(true);
    expect(await count()).toBe(before + 1);
    const audit = (await api(admin.token, "GET", "/api/audit?env=invoice-perfect:staging")).body.events;
    expect(
      audit.filter(
        (e: { action: string; details?: { eventId?: string } }) =>
          e.action === "stripe.event" && e.details?.eventId === "evt_once",
      ),
    ).toHaveLength(1);
  });

  it("rejects a tampered body, a stale timestamp, a wrong secret and a missing header, writing nothing", async () => {
    const before = await count();
    expect(
      (await deliver(event("evt_tampered"), undefined, SECRET, (b) => b.replace("invoice.paid", "invoice.voided")))
        .status,
    ).toBe(400);
    expect((await deliver(event("evt_stale"), Math.floor(Date.now() / 1000) - 301)).status).toBe(400);
    expect((await deliver(event("evt_wrong"), undefined, "whsec_someone_else")).status).toBe(400);
    expect(
      (await api(null, "POST", "/webhooks/stripe", event("evt_unsigned"), { "content-type": "application/json" }))
        .status,
    ).toBe(400);
    expect(await count()).toBe(before);
    // A replay of an old but once-valid delivery is stale by then, and a replayed id is a no-op anyway.
    expect((await deliver(event("evt_once"), Math.floor(Date.now() / 1000) - 400)).status).toBe(400);
  });
});
