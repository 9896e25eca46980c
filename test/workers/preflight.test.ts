/**
 * Plan-time preflight (issue 14, item 6): a production canary on an account without Cloudflare Load
 * Balancing, or behind a zone whose SSL/TLS mode is Flexible, is refused when it is planned, with the reason
 * and the fix, and nothing is written at any provider (the sandbox's request log is the proof). A project
 * token recorded at the last connection check refuses every Railway plan.
 */
import { env } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { verifyConnections } from "../../src/control/connections";
import { controlContext } from "../../src/control/context";
import { appServices, sandboxWorld } from "../../src/dev/wiring";
import { SANDBOX_RAILWAY_PROJECT_TOKEN } from "../../src/sandbox/railway/auth";
import { api, makeUser, seedWorld } from "./helpers";
import { changeSpec } from "./monitoring-support";

let admin: Awaited<ReturnType<typeof makeUser>>;
let ids: Awaited<ReturnType<typeof seedWorld>>;

beforeAll(async () => {
  ids = await seedWorld();
  admin = await makeUser("admin", "+15550006001");
});
afterEach(async () => {
  await sandboxWorld(env).account({ loadBalancing: true, sslMode: "full" });
});

/** Every provider request the sandbox received since `since` that could have changed something. */
async function writesSince(since: string) {
  const requests = await sandboxWorld(env).requests({ limit: 2000 });
  return requests.filter((r) => {
    if (r.at < since) return false;
    if (r.provider === "railway") return /^\s*mutation/.test(String((r.body as { query?: string } | null)?.query));
    return r.method !== "GET" && r.method !== "HEAD";
  });
}

async function planProductionCanary() {
  const since = new Date().toISOString();
  const chat = await api(admin.token, "POST", "/api/chat", { message: "deploy production with canary 10/50/100" });
  const rest = await api(admin.token, "POST", "/api/envs/invoice-perfect:production/plan", {
    type: "deploy",
    params: { canary: [10, 50, 100] },
  });
  return { reply: chat.body.replies[0], rest, writes: await writesSince(since) };
}

describe("preflight of a production canary", () => {
  it("refuses a load-balancer canary without Cloudflare Load Balancing, naming the add-on and the edge router, and writes nothing", async () => {
    await sandboxWorld(env).account({ loadBalancing: false });
    await changeSpec(ids.production, (spec) => {
      spec.policies.canary.router = "load-balancer";
    });
    const { reply, rest, writes } = await planProductionCanary();
    await changeSpec(ids.production, (spec) => {
      delete spec.policies.canary.router;
    });
    expect(reply.plan).toBeUndefined();
    expect(reply.text).toMatch(/no Load Balancing/);
    expect(reply.text).toMatch(/edge router/);
    expect(rest.status).toBe(409);
    expect(rest.body.error.message).toMatch(/^Refused at plan time: .*Load Balancing is a paid add-on/);
    expect(writes).toEqual([]);
    // Nothing was planned either: no plan row for production's canary.
    const plans = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM plans WHERE env_id = (SELECT id FROM environments WHERE name = 'production')",
    ).first<{ n: number }>();
    expect(plans?.n).toBe(0);
  });

  it("plans an unset router's canary on the edge router without Load Balancing, and says so", async () => {
    await sandboxWorld(env).account({ loadBalancing: false });
    const { rest } = await planProductionCanary();
    expect(rest.status, JSON.stringify(rest.body)).toBe(201);
    expect(rest.body.plan.risk.notes.join("\n")).toMatch(
      /no Load Balancing, so the canary splits .* with the edge router/,
    );
  });

  it("refuses it behind a Flexible zone, naming SSL and Full, and writes nothing", async () => {
    await sandboxWorld(env).account({ sslMode: "flexible" });
    const { reply, rest, writes } = await planProductionCanary();
    expect(reply.plan).toBeUndefined();
    expect(reply.text).toMatch(/SSL\/TLS mode of invoiceperfect\.com is Flexible/);
    expect(reply.text).toMatch(/set SSL\/TLS to Full/);
    expect(rest.status).toBe(409);
    expect(writes).toEqual([]);
  });

  it("plans it when the account has Load Balancing and the zone is Full", async () => {
    const { reply, rest } = await planProductionCanary();
    expect(reply.plan?.steps.map((s: { kind: string }) => s.kind)).toContain("canary-split");
    expect(rest.status, JSON.stringify(rest.body)).toBe(201);
  });

  it("lets a deploy without a split through on a Flexible zone, with the problem in its risk notes", async () => {
    await sandboxWorld(env).account({ sslMode: "flexible" });
    const res = await api(admin.token, "POST", "/api/envs/invoice-perfect:staging/plan", { type: "deploy" });
    expect(res.status).toBe(201);
    expect(res.body.plan.risk.notes).toContainEqual(
      expect.stringMatching(/^preflight: the SSL\/TLS mode .* is Flexible/),
    );
  });
});

describe("preflight of the Railway token", () => {
  it("refuses a Railway plan while the connection's last check found a project token", async () => {
    const as = (token: string) =>
      verifyConnections(
        controlContext(appServices({ ...env, RAILWAY_API_TOKEN: token } as Env), { ...admin, role: "admin" }),
        "invoice-perfect",
      );
    await as(SANDBOX_RAILWAY_PROJECT_TOKEN);
    const refused = await api(admin.token, "POST", "/api/envs/invoice-perfect:staging/plan", { type: "deploy" });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/project token.*account or workspace token as RAILWAY_API_TOKEN/);
    await as("sandbox-railway-token");
    expect((await api(admin.token, "POST", "/api/envs/invoice-perfect:staging/plan", { type: "deploy" })).status).toBe(
      201,
    );
  });
});
