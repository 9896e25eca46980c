import { beforeAll, describe, expect, it } from "vitest";
import { api, makeUser, seedWorld } from "./helpers";

let admin: Awaited<ReturnType<typeof makeUser>>;
beforeAll(async () => {
  await seedWorld();
  admin = await makeUser("admin");
});

describe("connections", () => {
  it("are verified only by a real read call: Railway and Cloudflare answer in the sandbox, Stripe and SendGrid do not", async () => {
    const res = await api(admin.token, "POST", "/api/projects/invoice-perfect/connections/verify");
    expect(res.status).toBe(200);
    const by = Object.fromEntries(res.body.connections.map((c: { provider: string; status: string; metadata: Record<string, unknown> }) => [c.provider, c]));
    expect(by.railway.status).toBe("verified");
    expect(by.railway.metadata.projectId).toBeTruthy();
    expect(by.cloudflare.status).toBe("verified");
    expect(by.cloudflare.metadata.zoneName).toBe("invoiceperfect.com");
    expect(by.twilio.status).toBe("configured");
    // Keys are stored, so these are configured; the sandbox has no Stripe/SendGrid host, so not verified — and it says why.
    expect(by.stripe.status).toBe("configured");
    expect(String(by.stripe.metadata.error)).toMatch(/sandbox|502|host/i);
    expect(by.sendgrid.status).toBe("configured");
    const viewer = await makeUser("viewer");
    expect((await api(viewer.token, "POST", "/api/projects/invoice-perfect/connections/verify")).status).toBe(403);
  });

  it("refuses a live Stripe key outside production with a clear reason", async () => {
    const res = await api(admin.token, "PUT", "/api/envs/invoice-perfect:staging/secrets/STRIPE_SECRET_KEY", { value: `sk_live_${"a".repeat(24)}` });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/live/i);
  });
});
