import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { database } from "../../src/db/client";
import { sandboxWorld } from "../../src/dev/wiring";
import { api, driveRun, expectError, makeUser, seedWorld } from "./helpers";

let ids: Awaited<ReturnType<typeof seedWorld>>;
let admin: Awaited<ReturnType<typeof makeUser>>;
beforeAll(async () => {
  ids = await seedWorld();
  admin = await makeUser("admin");
});

async function rowCounts() {
  const tables = ["plans", "runs", "run_steps", "audit_events", "secrets", "users", "conversations", "messages"];
  return Object.fromEntries(
    await Promise.all(
      tables.map(async (t) => [t, (await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${t}`).first<{ n: number }>())!.n]),
    ),
  );
}

describe("bad input gets the documented error body and writes nothing", { timeout: 30_000 }, () => {
  it("answers 400/404/401/413 with {error:{code,message}} and changes no row", async () => {
    const before = await rowCounts();
    expectError(
      await api(admin.token, "POST", "/api/envs/invoice-perfect:staging/plan", "{not json"),
      400,
      "invalid_request",
    );
    expectError(
      await api(admin.token, "POST", "/api/envs/invoice-perfect:staging/plan", {
        type: "deploy",
        params: { canary: "ten" },
      }),
      400,
      "invalid_request",
    );
    expectError(
      await api(admin.token, "POST", "/api/envs/invoice-perfect:staging/plan", { type: 42 }),
      400,
      "invalid_request",
    );
    expectError(
      await api(admin.token, "POST", "/api/envs/invoice-perfect:nowhere/plan", { type: "deploy" }),
      404,
      "not_found",
    );
    expectError(await api(admin.token, "POST", "/api/envs/env_unknown/plan", { type: "deploy" }), 404, "not_found");
    expectError(await api(admin.token, "GET", "/api/runs/run_unknown"), 404, "not_found");
    expectError(await api(admin.token, "POST", "/api/plans/plan_unknown/apply"), 404, "not_found");
    expectError(await api(admin.token, "POST", "/api/chat", { message: "x".repeat(70_000) }), 413, "payload_too_large");
    expectError(await api(admin.token, "POST", "/api/chat", { message: "" }), 400, "invalid_request");
    expectError(await api(admin.token, "POST", "/api/chat", { message: ["deploy"] }), 400, "invalid_request");
    expectError(await api(null, "GET", "/api/users"), 401, "unauthorized");
    expectError(await api("ic_not-a-real-token", "GET", "/api/users"), 401, "unauthorized");
    expectError(await api(admin.token, "POST", "/api/users", { name: "x", role: "root" }), 400, "invalid_request");
    expectError(
      await api(admin.token, "PUT", "/api/envs/invoice-perfect:staging/secrets/lower-case", { value: "v" }),
      400,
      "invalid_request",
    );
    expectError(await api(admin.token, "GET", "/api/nothing-here"), 404, "not_found");
    expect(await rowCounts()).toEqual(before);
  });

  it("answers chat nonsense helpfully instead of failing", async () => {
    const res = await api(admin.token, "POST", "/api/chat", { message: "make me a sandwich 🥪" });
    expect(res.status).toBe(200);
    expect(res.body.replies[0].text).toMatch(/deploy staging/i);
  });

  it("revoked tokens stop working", async () => {
    const created = await api(admin.token, "POST", "/api/users", { name: "temp", role: "viewer" });
    expect(created.status).toBe(201);
    const token = created.body.token as string;
    expect((await api(token, "GET", "/api/users")).status).toBe(200);
    const tokenRow = await env.DB.prepare("SELECT t.id, t.token_hash FROM api_tokens t WHERE t.user_id = ?")
      .bind(created.body.user.id)
      .first<{ id: string; token_hash: string }>();
    expect(tokenRow!.token_hash).not.toContain(token);
    expect((await api(admin.token, "DELETE", `/api/tokens/${tokenRow!.id}`)).status).toBe(204);
    expectError(await api(token, "GET", "/api/users"), 401, "unauthorized");
  });

  it("serves an OpenAPI document generated from the zod schemas", async () => {
    const res = await api(null, "GET", "/api/openapi.json");
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe("3.1.0");
    expect(
      res.body.paths["/api/envs/{id}/plan"].post.requestBody.content["application/json"].schema.properties.type.enum,
    ).toContain("deploy");
  });
});

describe("secrets", { timeout: 30_000 }, () => {
  it("sends a staging secret to Railway as a variable and shows its value nowhere else", async () => {
    const value = `sk_test_${crypto.randomUUID().replaceAll("-", "")}`;
    expect(
      (await api(admin.token, "PUT", "/api/envs/invoice-perfect:staging/secrets/STRIPE_SECRET_KEY", { value })).status,
    ).toBe(204);
    const seen: string[] = [];
    const record = (r: { text: string }) => seen.push(r.text);

    record(await api(admin.token, "GET", "/api/envs/invoice-perfect:staging/secrets"));
    const chat = await api(admin.token, "POST", "/api/chat", { message: "deploy staging" });
    record(chat);
    const run = await driveRun(admin.token, chat.body.replies[0].run.id, ids.staging);
    expect(run.status).toBe("succeeded");
    expect(await sandboxWorld(env).variablesOf("staging", "api")).toMatchObject({ STRIPE_SECRET_KEY: value });

    record(await api(admin.token, "GET", `/api/runs/${run.id}`));
    for (const name of run.artifacts) record(await api(admin.token, "GET", `/api/runs/${run.id}/artifacts/${name}`));
    record(await api(admin.token, "GET", "/api/audit?limit=1000"));
    record(await api(admin.token, "GET", "/api/envs/invoice-perfect:staging"));
    record(await api(admin.token, "POST", "/api/chat", { message: "status of staging" }));
    record(await api(null, "GET", "/sandbox/state"));
    record(await api(null, "GET", "/sandbox/requests?limit=2000"));
    const transcript = await database(env.DB).$client.prepare("SELECT text FROM messages").all<{ text: string }>();
    seen.push(...transcript.results.map((m) => m.text));
    const stored = await env.DB.prepare("SELECT * FROM secrets").all();
    seen.push(JSON.stringify(stored.results));
    const listed = await env.ARTIFACTS.list({ prefix: `runs/${run.id}/` });
    for (const o of listed.objects) seen.push(await (await env.ARTIFACTS.get(o.key))!.text());

    expect(seen.length).toBeGreaterThan(10);
    for (const text of seen) expect(text).not.toContain(value);
  });
});
