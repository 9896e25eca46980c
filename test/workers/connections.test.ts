import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { verifyConnections } from "../../src/control/connections";
import { controlContext } from "../../src/control/context";
import { appServices, sandboxWorld } from "../../src/dev/wiring";
import { SANDBOX_RAILWAY_PROJECT_TOKEN } from "../../src/sandbox/railway/auth";
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
    expect(by.railway.metadata.tokenKind).toBe("account");
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

describe("the Railway token at connection verify", () => {
  /** Verifies the project's connections as a deployment whose RAILWAY_API_TOKEN is `token`. */
  async function verifyWith(token: string) {
    const services = appServices({ ...env, RAILWAY_API_TOKEN: token } as Env);
    const rows = await verifyConnections(controlContext(services, { ...admin, role: "admin" }), "invoice-perfect");
    return rows.find((r) => r.provider === "railway") as { status: string; metadata: Record<string, unknown> };
  }

  it("refuses a project token with the reason, after asking Railway what it is (projectToken)", async () => {
    const railway = await verifyWith(SANDBOX_RAILWAY_PROJECT_TOKEN);
    expect(railway.status).toBe("configured");
    expect(railway.metadata.tokenKind).toBe("project");
    expect(String(railway.metadata.error)).toMatch(
      /project token .*cannot list or create projects.*account or workspace token/,
    );
    // Railway answers a project token sent as Bearer "Not Authorized"; it is asked again the way Railway's CLI sends one.
    const asked = (await sandboxWorld(env).requests({ provider: "railway", limit: 20 }))
      .filter((r) => (r.body as { operationName?: string } | null)?.operationName === "ProjectToken")
      .slice(0, 2)
      .map((r) => [r.headers["project-access-token"] !== undefined, r.status]);
    expect(asked).toEqual([
      [true, 200],
      [false, 200],
    ]);
  });

  it("passes an account token, which setup needs", async () => {
    const railway = await verifyWith("sandbox-railway-token");
    expect(railway.status).toBe("verified");
    expect(railway.metadata.tokenKind).toBe("account");
  });
});

describe("Railway connection settings", () => {
  it("record the plan and workspace (admins), kept across later verifies", async () => {
    const set = await api(admin.token, "PUT", "/api/projects/invoice-perfect/connections/railway", {
      plan: "free",
      workspaceId: "ws_123",
    });
    expect(set.status, set.text).toBe(200);
    expect(set.body.connection.metadata).toMatchObject({ plan: "free", workspaceId: "ws_123" });
    await api(admin.token, "POST", "/api/projects/invoice-perfect/connections/verify");
    const listed = await api(admin.token, "GET", "/api/projects/invoice-perfect/connections");
    const railway = listed.body.connections.find((c: { provider: string }) => c.provider === "railway");
    expect(railway.metadata).toMatchObject({ plan: "free", workspaceId: "ws_123", tokenKind: "account" });
    const bad = await api(admin.token, "PUT", "/api/projects/invoice-perfect/connections/railway", { plan: "team" });
    expect(bad.status).toBe(400);
    const deployer = await makeUser("deployer");
    expect(
      (await api(deployer.token, "PUT", "/api/projects/invoice-perfect/connections/railway", { plan: "pro" })).status,
    ).toBe(403);
  });
});
