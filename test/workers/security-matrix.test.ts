import { env, SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { buildDevApp } from "../../src/dev/app";
import { API_ROUTES } from "../../src/http/openapi";
import type { RouteContract } from "../../src/http/openapi";
import { api, makeUser, seedWorld } from "./helpers";
import type { Role } from "./helpers";

/**
 * The role × endpoint matrix (issue #8): every route the app registers has a contract row, and every row
 * answers 401 without a token, 403 below its least role, and neither at or above it.
 */

const RANK: Record<Role | "none", number> = { none: -1, viewer: 0, deployer: 1, admin: 2 };
const ROLES: Role[] = ["viewer", "deployer", "admin"];

/** Routes outside the bearer-token API, each with how it is protected instead. */
const OUTSIDE_API: Record<string, string> = {
  "GET /": "static web chat; signs in with a token client-side",
  ...Object.fromEntries(
    ["/runs/{id}", "/envs/{id}", "/incidents/{id}", "/approvals", "/history", "/settings"].map((p) => [
      `GET ${p}`,
      "the console's page shell (the same static HTML as /); its data comes from the API with a token",
    ]),
  ),
  "GET /ui/app.js": "the web chat's static client script",
  "GET /ui/app.css": "the web chat's static stylesheet",
  "GET /api/openapi.json": "public contract document",
  "POST /webhooks/twilio/sms": "Twilio signature",
  "POST /webhooks/twilio/status": "Twilio signature",
  "POST /webhooks/stripe": "Stripe signature",
  "POST /edge/v1/reports": "edge router signature (the environment's router secret)",
};

/** Hono's registered routes, with `:name{a|b}` expanded and `:name` written as `{name}` like the table. */
function registeredRoutes(): string[] {
  const seen = new Set<string>();
  for (const r of buildDevApp().routes) {
    if (r.method === "ALL") continue; // middleware
    const alternatives = r.path.match(/:(\w+)\{(\w+(?:\|\w+)+)\}/);
    const paths = alternatives ? alternatives[2].split("|").map((a) => r.path.replace(alternatives[0], a)) : [r.path];
    for (const p of paths) seen.add(`${r.method} ${p.replace(/:(\w+)(\{[^}]*\})?/g, "{$1}")}`);
  }
  return [...seen];
}

const key = (r: RouteContract) => `${r.method.toUpperCase()} ${r.path}`;

describe("every registered route has a contract row", () => {
  it("matches the app's routes to API_ROUTES exactly (add a row when you add a route)", () => {
    const registered = registeredRoutes().filter(
      (r) =>
        !r.startsWith("GET /sandbox") &&
        !r.startsWith("POST /sandbox") &&
        !r.startsWith("DELETE /sandbox") &&
        !r.startsWith("PUT /sandbox"),
    );
    const documented = [...API_ROUTES.map(key), ...Object.keys(OUTSIDE_API)];
    expect(
      registered.filter((r) => !documented.includes(r)),
      "registered but without a row",
    ).toEqual([]);
    expect(
      documented.filter((r) => !registered.includes(r)),
      "a row for a route that does not exist",
    ).toEqual([]);
  });

  it("mounts no sandbox route when the sandbox is off", async () => {
    const app = buildDevApp();
    const sandboxRoutes = registeredRoutes().filter((r) => r.includes(" /sandbox/"));
    expect(sandboxRoutes.length).toBeGreaterThan(3);
    for (const route of sandboxRoutes) {
      const [method, path] = route.split(" ");
      const res = await app.fetch(new Request(`https://infra-chat.test${path.replace(/\{\w+\}/g, "x")}`, { method }), {
        ...env,
        SANDBOX: "0",
      });
      expect(res.status, route).toBe(404);
    }
  });
});

describe("role × endpoint matrix", { timeout: 120_000 }, () => {
  const fixtures: Record<string, string> = {};

  beforeAll(async () => {
    const ids = await seedWorld();
    const admin = await makeUser("admin");
    const plan = await api(admin.token, "POST", `/api/envs/${ids.staging}/plan`, { type: "deploy" });
    expect(plan.status, plan.text).toBe(201);
    const applied = await api(admin.token, "POST", `/api/envs/${ids.staging}/plan`, { type: "deploy" });
    const run = await api(admin.token, "POST", `/api/plans/${applied.body.plan.id}/apply`);
    expect(run.status, run.text).toBe(202);
    const revisions = await api(admin.token, "GET", `/api/envs/${ids.staging}/revisions`);
    Object.assign(fixtures, {
      env: ids.staging,
      project: "invoice-perfect",
      plan: plan.body.plan.id,
      run: run.body.run.id,
      rev: String(revisions.body.revisions.at(-1)?.rev ?? revisions.body.revisions.at(-1)?.revision ?? 1),
    });
  });

  /** A concrete path for a row: ids from the seeded world, so the role check is what decides. */
  function concrete(route: RouteContract, tokenId: string, userId = "usr_x"): string {
    return route.path
      .replace("/api/tokens/{id}", `/api/tokens/${tokenId}`)
      .replace("/api/users/{id}", `/api/users/${userId}`)
      .replace(/\/api\/(projects)\/\{id\}/, `/api/$1/${fixtures.project}`)
      .replace(/\/api\/(envs)\/\{id\}/, `/api/$1/${fixtures.env}`)
      .replace(/\/api\/(plans)\/\{id\}/, `/api/$1/${fixtures.plan}`)
      .replace(/\/api\/(runs)\/\{id\}/, `/api/$1/${fixtures.run}`)
      .replace("{rev}", fixtures.rev)
      .replace("{name}", route.path.includes("/artifacts/") ? "plan.json" : "MATRIX_SECRET");
  }

  /** A valid body per row with a schema, so a 400 never hides a missing 403. */
  function sampleBody(route: RouteContract): unknown {
    const samples: Record<string, unknown> = {
      "POST /api/users": { name: `matrix ${crypto.randomUUID().slice(0, 8)}`, role: "viewer" },
      "POST /api/projects": { name: `matrix-${crypto.randomUUID().slice(0, 8)}` },
      "POST /api/projects/{id}/envs": { name: `m${crypto.randomUUID().slice(0, 6)}` },
      "PUT /api/envs/{id}/secrets/{name}": { value: "matrix-value-1" },
      "POST /api/envs/{id}/secrets/{name}/rotate": { value: "matrix-value-2" },
      "POST /api/envs/{id}/plan": { type: "deploy" },
      "POST /api/chat": { message: "status of staging" },
      "POST /api/chat/interpret": { message: "deploy staging" },
      // Admins exist here, so the bootstrap answers 409 to everyone: it takes no token and no role.
      "POST /api/bootstrap": { secret: "not-the-secret", name: "matrix" },
    };
    if (!route.body)
      return key(route) in samples
        ? samples[key(route)]
        : route.method === "post" || route.method === "put"
          ? {}
          : undefined;
    expect(
      key(route) in samples || route.body.safeParse({}).success,
      `add a sample body for ${key(route)} to the matrix`,
    ).toBe(true);
    return samples[key(route)] ?? {};
  }

  const tokenIdOf = async (userId: string) =>
    (await env.DB.prepare("SELECT id FROM api_tokens WHERE user_id = ?").bind(userId).first<{ id: string }>())!.id;

  it("lets only an admin revoke someone else's token", async () => {
    for (const role of ROLES) {
      const [caller, other] = [await makeUser(role), await makeUser("viewer")];
      const res = await api(caller.token, "DELETE", `/api/tokens/${await tokenIdOf(other.id)}`);
      expect(res.status, role).toBe(role === "admin" ? 204 : 403);
      expect((await api(other.token, "GET", "/api/users")).status).toBe(role === "admin" ? 401 : 200);
    }
  });

  it("answers 401 without a token on every row", async () => {
    for (const route of API_ROUTES.filter((r) => r.minRole !== "none")) {
      const res = await api(null, route.method.toUpperCase(), concrete(route, "tok_x"), sampleBody(route));
      expect(res.status, `${key(route)} without a token`).toBe(401);
    }
  });

  it("answers 403 below the least role and lets every role at or above through", async () => {
    const failures: string[] = [];
    for (const route of API_ROUTES) {
      for (const role of ROLES) {
        const caller = await makeUser(role);
        // Token rows are about one's own token; someone else's is checked above. Changing or removing a
        // user acts on someone else (a fresh viewer), creating a token on oneself.
        const subject = route.path.endsWith("/tokens") ? caller.id : (await makeUser("viewer")).id;
        const res = await api(
          caller.token,
          route.method.toUpperCase(),
          concrete(route, await tokenIdOf(caller.id), subject),
          sampleBody(route),
        );
        const allowed = RANK[role] >= RANK[route.minRole];
        const ok = allowed
          ? res.status !== 401 && res.status !== 403 && res.status < 500
          : res.status === 403 && res.body?.error?.code === "forbidden";
        if (!ok)
          failures.push(
            `${key(route)} as ${role}: expected ${allowed ? "allowed" : "403"}, got ${res.status} ${res.text.slice(0, 160)}`,
          );
      }
    }
    expect(failures).toEqual([]);
  });
});

describe("tokens", () => {
  it("are stored only as hashes, and an expired token is refused like a revoked one", async () => {
    const user = await makeUser("deployer");
    const rows = (await env.DB.prepare("SELECT * FROM api_tokens").all()).results;
    expect(JSON.stringify(rows).includes(user.token)).toBe(false);
    expect((await api(user.token, "GET", "/api/users")).status).toBe(200);
    await env.DB.prepare("UPDATE api_tokens SET expires_at = ? WHERE user_id = ?")
      .bind(new Date(Date.now() - 1000).toISOString(), user.id)
      .run();
    const res = await api(user.token, "GET", "/api/users");
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe("unauthorized");
    // A token still in the future works.
    await env.DB.prepare("UPDATE api_tokens SET expires_at = ? WHERE user_id = ?")
      .bind(new Date(Date.now() + 60_000).toISOString(), user.id)
      .run();
    expect((await api(user.token, "GET", "/api/users")).status).toBe(200);
  });
});

describe("browser boundaries", () => {
  it("grants no cross-origin access: no CORS headers on API answers or preflights", async () => {
    const admin = await makeUser("admin");
    const preflight = await api(null, "OPTIONS", "/api/chat", undefined, {
      origin: "https://evil.example",
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization,content-type",
    });
    expect(preflight.status).not.toBe(204);
    expect(preflight.text).not.toMatch(/access-control/i);
    const res = await SELF.fetch("https://infra-chat.test/api/users", {
      headers: { authorization: `Bearer ${admin.token}`, origin: "https://evil.example" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
  });

  it("serves the web chat with security headers", async () => {
    const res = await SELF.fetch("https://infra-chat.test/");
    expect(res.headers.get("content-security-policy")).toMatch(/default-src 'self'|script-src 'self'/);
    expect(res.headers.get("content-security-policy")).toMatch(/frame-ancestors 'none'/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("referrer-policy")).toMatch(/no-referrer/);
  });
});
