/**
 * The first admin of a real deployment (issue 14, item 2): `POST /api/bootstrap` with the deployment's
 * BOOTSTRAP_SECRET (vitest.config.ts sets one) creates the first admin once; a wrong secret is 403 and
 * audited, repeated wrong secrets from one address are 429, and once an admin exists everyone gets 409.
 * This file's D1 starts without any admin (storage is per test file).
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { BOOTSTRAP_MAX_REFUSALS } from "../../src/control/first-admin";
import { api, expectError } from "./helpers";

const SECRET = "test-bootstrap-secret-0123456789";
const from = (ip: string) => ({ "cf-connecting-ip": ip });

async function audit(action: string) {
  return (
    await env.DB.prepare("SELECT actor, details FROM audit_events WHERE action = ? ORDER BY seq")
      .bind(action)
      .all<{ actor: string; details: string }>()
  ).results;
}

describe("POST /api/bootstrap", () => {
  it("refuses a wrong secret with 403, audits it, and turns a guessing address away with 429", async () => {
    const wrong = await api(null, "POST", "/api/bootstrap", { secret: "guess", name: "Mallory" }, from("203.0.113.9"));
    expectError(wrong, 403, "forbidden");
    expect(wrong.body.error.message).toMatch(/wrong bootstrap secret/);
    expect(wrong.text).not.toContain(SECRET);
    const refused = await audit("bootstrap.refused");
    expect(refused.map((r) => r.actor)).toEqual(["ip:203.0.113.9"]);
    for (let i = 1; i < BOOTSTRAP_MAX_REFUSALS; i++)
      expectError(
        await api(null, "POST", "/api/bootstrap", { secret: `g${i}`, name: "M" }, from("203.0.113.9")),
        403,
        "forbidden",
      );
    // Past the limit even the right secret from that address is not compared.
    const limited = await api(null, "POST", "/api/bootstrap", { secret: SECRET, name: "M" }, from("203.0.113.9"));
    expectError(limited, 429, "rate_limited");
    expect(Number((await env.DB.prepare("SELECT COUNT(*) AS n FROM users").first<{ n: number }>())?.n)).toBe(0);
  });

  it("creates the first admin with the right secret (201, token shown once and working), audited", async () => {
    // Two at once with the right secret: exactly one wins, the other finds the admin it made.
    const [first, second] = await Promise.all(
      ["Ada", "Bea"].map((name) =>
        api(null, "POST", "/api/bootstrap", { secret: SECRET, name, phone: "+15550004001" }, from("198.51.100.7")),
      ),
    );
    const res = first.status === 201 ? first : second;
    expect([first.status, second.status].sort()).toEqual([201, 409]);
    expect(res.status, res.text).toBe(201);
    expect(res.body.user).toMatchObject({ role: "admin", phone: "+15550004001" });
    expect(res.body.token).toMatch(/^ic_/);
    expect(res.body.tokenId).toMatch(/^tok_/);
    const me = await api(res.body.token, "GET", "/api/me");
    expect(me.status).toBe(200);
    expect(me.body.user ?? me.body).toMatchObject({ role: "admin" });
    const stored = await env.DB.prepare("SELECT token_hash FROM api_tokens WHERE id = ?")
      .bind(res.body.tokenId)
      .first();
    expect(JSON.stringify(stored)).not.toContain(res.body.token);
    const created = await audit("user.bootstrapped");
    expect(created).toHaveLength(1);
    expect(created[0].actor).toBe(res.body.user.id);
  });

  it("answers 409 to everyone once an admin exists, the right secret included, and compares nothing", async () => {
    const again = await api(null, "POST", "/api/bootstrap", { secret: SECRET, name: "Eve" }, from("192.0.2.1"));
    expectError(again, 409, "conflict");
    const wrong = await api(null, "POST", "/api/bootstrap", { secret: "nope", name: "Eve" }, from("192.0.2.1"));
    expectError(wrong, 409, "conflict");
    expect((await audit("bootstrap.refused")).filter((r) => r.actor === "ip:192.0.2.1")).toEqual([]);
    const admins = await env.DB.prepare("SELECT COUNT(*) AS n FROM users WHERE role = 'admin'").first<{ n: number }>();
    expect(admins?.n).toBe(1);
  });

  it("validates its body like any route: 400 with the zod issues, nothing written", async () => {
    const res = await api(null, "POST", "/api/bootstrap", { secret: SECRET });
    expectError(res, 400, "invalid_request");
  });

  it("is in the OpenAPI document as a route that takes no token", async () => {
    const doc = (await api(null, "GET", "/api/openapi.json")).body;
    const op = doc.paths["/api/bootstrap"].post;
    expect(op.security).toEqual([]);
    expect(op.requestBody.content["application/json"].schema.required).toEqual(["secret", "name"]);
  });
});
