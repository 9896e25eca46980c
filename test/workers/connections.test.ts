import { beforeAll, describe, expect, it } from "vitest";
import { api, makeUser, seedWorld } from "./helpers";

let admin: Awaited<ReturnType<typeof makeUser>>;
beforeAll(async () => {
  await seedWorld();
  admin = await makeUser("admin");
});

describe("connections", () => {
  it("are verified only by a real read call, each provider answered by the sandbox", async () => {
    const res = await api(admin.token, "POST", "/api/projects/invoice-perfect/connections/verify");
    expect(res.status).toBe(200);
    const by = Object.fromEntries(
      res.body.connections.map((c: { provider: string; status: string; metadata: Record<string, unknown> }) => [
        c.provider,
        c,
      ]),
    );
    expect(by.railway.status).toBe("verified");
    expect(by.railway.metadata.projectId).toBeTruthy();
    expect(by.cloudflare.status).toBe("verified");
    expect(by.cloudflare.metadata.zoneName).toBe("invoiceperfect.com");
    expect(by.twilio.status).toBe("configured");
    // The seed stores test keys for staging and production: each is checked against the sandbox Stripe.
    expect(by.stripe.status).toBe("verified");
    expect(by.stripe.metadata.modes).toEqual({ staging: "test", production: "test" });
    expect(by.sendgrid.status).toBe("verified");
    expect(by.sendgrid.metadata.scopes).toBeGreaterThan(0);
    const viewer = await makeUser("viewer");
    expect((await api(viewer.token, "POST", "/api/projects/invoice-perfect/connections/verify")).status).toBe(403);
  });

  it("refuses a live Stripe key outside production with a clear reason", async () => {
    const res = await api(admin.token, "PUT", "/api/envs/invoice-perfect:staging/secrets/STRIPE_SECRET_KEY", {
      value: `sk_live_${"a".repeat(24)}`,
    });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/live/i);
  });
});

describe("connection status machine", () => {
  it("stays configured, saying why, when the provider refuses the key", async () => {
    await api(admin.token, "PUT", "/api/envs/invoice-perfect:staging/secrets/SENDGRID_API_KEY", {
      value: "not-a-sendgrid-key",
    });
    const res = await api(admin.token, "POST", "/api/projects/invoice-perfect/connections/verify");
    const sendgrid = res.body.connections.find((c: { provider: string }) => c.provider === "sendgrid");
    expect(sendgrid.status).toBe("configured");
    expect(String(sendgrid.metadata.error)).toMatch(/401|invalid|revoked/i);
    expect(JSON.stringify(res.body)).not.toContain("not-a-sendgrid-key");
  });
});
