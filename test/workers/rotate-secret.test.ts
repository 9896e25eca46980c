import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { sandboxWorld } from "../../src/dev/wiring";
import { api, deploymentsOf, driveRun, makeUser, seedWorld } from "./helpers";

let ids: Awaited<ReturnType<typeof seedWorld>>;
beforeAll(async () => {
  ids = await seedWorld();
});

describe("rotate-secret", { timeout: 60_000 }, () => {
  it("stores the new value, reconciles variables, redeploys its users, destroys the old value, and audits without values", async () => {
    const admin = await makeUser("admin");
    const oldValue = (await sandboxWorld(env).variablesOf("staging", "api")).STRIPE_SECRET_KEY;
    const newValue = `sk_test_rotated_${crypto.randomUUID().replaceAll("-", "")}`;
    const apiDeploys = (await deploymentsOf("staging", "api")).length;
    const webDeploys = (await deploymentsOf("staging", "web")).length;

    const viewer = await makeUser("viewer");
    expect(
      (
        await api(viewer.token, "POST", "/api/envs/invoice-perfect:staging/secrets/STRIPE_SECRET_KEY/rotate", {
          value: newValue,
        })
      ).status,
    ).toBe(403);
    const res = await api(admin.token, "POST", "/api/envs/invoice-perfect:staging/secrets/STRIPE_SECRET_KEY/rotate", {
      value: newValue,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.plan.type).toBe("rotate-secret");
    expect(res.text).not.toContain(newValue);
    const run = await driveRun(admin.token, res.body.run.id, ids.staging);
    expect(run.status, JSON.stringify(run.steps)).toBe("succeeded");

    expect((await sandboxWorld(env).variablesOf("staging", "api")).STRIPE_SECRET_KEY).toBe(newValue);
    expect((await deploymentsOf("staging", "api")).length).toBe(apiDeploys + 1);
    // web does not use the secret: it is not touched.
    expect((await deploymentsOf("staging", "web")).length).toBe(webDeploys);
    const rows = (
      await env.DB.prepare("SELECT name FROM secrets WHERE env_id = ?").bind(ids.staging).all<{ name: string }>()
    ).results.map((r) => r.name);
    expect(rows.filter((n) => n.startsWith("STRIPE_SECRET_KEY"))).toEqual(["STRIPE_SECRET_KEY"]);
    const listed = (await api(admin.token, "GET", "/api/envs/invoice-perfect:staging/secrets")).body.secrets.map(
      (s: { name: string }) => s.name,
    );
    expect(listed.some((n: string) => n.includes("@"))).toBe(false);

    const audit = await api(admin.token, "GET", "/api/audit?env=invoice-perfect:staging&limit=1000");
    expect(audit.body.events.some((e: { action: string }) => e.action === "secret.rotation-staged")).toBe(true);
    for (const text of [audit.text, (await api(admin.token, "GET", `/api/runs/${run.id}`)).text]) {
      expect(text).not.toContain(newValue);
      expect(text).not.toContain(oldValue);
    }
  });

  it("refuses to rotate a secret that does not exist", async () => {
    const admin = await makeUser("admin");
    const res = await api(admin.token, "POST", "/api/envs/invoice-perfect:staging/secrets/NOPE_KEY/rotate", {
      value: "x-value-123",
    });
    expect(res.status).toBe(404);
  });
});
