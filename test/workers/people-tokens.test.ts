import { env, SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { api, expectError, makeUser, seedWorld } from "./helpers";

/**
 * People and tokens through the API (issue 16 item 6, API.md "Users and tokens"): list, create and revoke
 * tokens; change a user's role and phone; remove a user; and a revoked token's live connections close.
 */

beforeAll(async () => {
  await seedWorld();
});

describe("tokens", () => {
  it("POST /api/users returns the first token's id; admins list every token, others their own", async () => {
    const admin = await makeUser("admin");
    const created = await api(admin.token, "POST", "/api/users", { name: "Dana", role: "deployer" });
    expect(created.status).toBe(201);
    expect(created.body.tokenId).toMatch(/^tok_/);
    const dana = created.body;
    const all = await api(admin.token, "GET", "/api/tokens");
    expect(all.body.tokens.map((t: { id: string }) => t.id)).toContain(dana.tokenId);
    const own = await api(dana.token, "GET", "/api/tokens");
    expect(own.body.tokens.map((t: { userId: string }) => t.userId)).toEqual([dana.user.id]);
    const shown = own.body.tokens[0];
    expect(Object.keys(shown).sort()).toEqual(["createdAt", "id", "lastUsedAt", "userId"]);
    // Neither the token nor its hash ever comes back.
    expect(JSON.stringify(all.body)).not.toContain(dana.token);
    expect(JSON.stringify(all.body)).not.toMatch(/hash/i);
  });

  it("creates a labelled, expiring token for oneself; only an admin creates one for someone else", async () => {
    const deployer = await makeUser("deployer");
    const other = await makeUser("viewer");
    const mine = await api(deployer.token, "POST", `/api/users/${deployer.id}/tokens`, {
      label: "laptop",
      expiresInDays: 30,
    });
    expect(mine.status).toBe(201);
    expect(mine.body).toMatchObject({ userId: deployer.id, label: "laptop" });
    expect(Date.parse(mine.body.expiresAt) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    expect((await api(mine.body.token, "GET", "/api/me")).body.user.id).toBe(deployer.id);
    expectError(await api(deployer.token, "POST", `/api/users/${other.id}/tokens`, {}), 403, "forbidden");
    expectError(
      await api(deployer.token, "POST", `/api/users/${deployer.id}/tokens`, { expiresInDays: 0 }),
      400,
      "invalid_request",
    );
    const admin = await makeUser("admin");
    expect((await api(admin.token, "POST", `/api/users/${other.id}/tokens`, { label: "ci" })).status).toBe(201);
  });

  it("revoking a token refuses it at once and leaves the user's other tokens working", async () => {
    const user = await makeUser("viewer");
    const second = await api(user.token, "POST", `/api/users/${user.id}/tokens`, { label: "second" });
    expect((await api(user.token, "DELETE", `/api/tokens/${second.body.tokenId}`)).status).toBe(204);
    expectError(await api(second.body.token, "GET", "/api/me"), 401, "unauthorized");
    expect((await api(user.token, "GET", "/api/me")).status).toBe(200);
    const listed = await api(user.token, "GET", "/api/tokens");
    expect(listed.body.tokens.map((t: { id: string }) => t.id)).not.toContain(second.body.tokenId);
  });

  it("closes a revoked token's open live WebSocket within a second", async () => {
    const user = await makeUser("viewer");
    const extra = await api(user.token, "POST", `/api/users/${user.id}/tokens`, { label: "browser" });
    const res = await SELF.fetch("https://infra-chat.test/api/envs/invoice-perfect:staging/live", {
      headers: { upgrade: "websocket", "sec-websocket-protocol": `infra-chat.v1, bearer.${extra.body.token}` },
    });
    expect(res.status).toBe(101);
    const ws = res.webSocket!;
    ws.accept();
    const closed = new Promise<{ code: number; at: number }>((resolve) =>
      ws.addEventListener("close", (e) => resolve({ code: e.code, at: Date.now() })),
    );
    // A socket of another token stays open.
    const other = await SELF.fetch("https://infra-chat.test/api/envs/invoice-perfect:staging/live", {
      headers: { upgrade: "websocket", "sec-websocket-protocol": `infra-chat.v1, bearer.${user.token}` },
    });
    const otherWs = other.webSocket!;
    otherWs.accept();
    let otherClosed = false;
    otherWs.addEventListener("close", () => {
      otherClosed = true;
    });
    const revokedAt = Date.now();
    expect((await api(user.token, "DELETE", `/api/tokens/${extra.body.tokenId}`)).status).toBe(204);
    const timeout = new Promise<null>((r) => setTimeout(() => r(null), 1000));
    const result = await Promise.race([closed, timeout]);
    expect(result, "the socket was still open a second after the revocation").not.toBeNull();
    expect(result!.code).toBe(4401);
    expect(result!.at - revokedAt).toBeLessThan(1000);
    expect(otherClosed).toBe(false);
    otherWs.close();
  });

  it("ends a revoked token's chat event stream within a second, saying why", async () => {
    const user = await makeUser("admin");
    const extra = await api(user.token, "POST", `/api/users/${user.id}/tokens`, { label: "stream" });
    const res = await SELF.fetch("https://infra-chat.test/api/chat", {
      method: "POST",
      headers: {
        authorization: `Bearer ${extra.body.token}`,
        "content-type": "application/json",
        accept: "text/event-stream",
      },
      body: JSON.stringify({ message: "deploy staging" }),
    });
    expect(res.status).toBe(200);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("event: replies-end")) text += (await reader.read()).value ?? "";
    // The run has not been driven (alarms run only when a test runs them): the stream is following it.
    const revokedAt = Date.now();
    expect((await api(user.token, "DELETE", `/api/tokens/${extra.body.tokenId}`)).status).toBe(204);
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    expect(Date.now() - revokedAt).toBeLessThan(1000);
    expect(text).toMatch(/event: error\ndata: \{"error":\{"code":"unauthorized"/);
  });
});

describe("people", () => {
  it("an admin changes a user's role and phone; phones stay unique", async () => {
    const admin = await makeUser("admin");
    const user = await makeUser("viewer");
    const changed = await api(admin.token, "PATCH", `/api/users/${user.id}`, {
      role: "deployer",
      phone: "+15550123401",
    });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.body.user).toMatchObject({ id: user.id, role: "deployer", phone: "+15550123401" });
    expect((await api(user.token, "GET", "/api/me")).body.user.role).toBe("deployer");
    const other = await makeUser("viewer");
    expectError(await api(admin.token, "PATCH", `/api/users/${other.id}`, { phone: "+15550123401" }), 409, "conflict");
    expectError(await api(admin.token, "PATCH", `/api/users/${other.id}`, { phone: "555" }), 400, "invalid_request");
    expectError(await api(user.token, "PATCH", `/api/users/${other.id}`, { role: "admin" }), 403, "forbidden");
    expectError(await api(admin.token, "PATCH", "/api/users/usr_nobody", { role: "admin" }), 404, "not_found");
    const audit = await env.DB.prepare("SELECT details FROM audit_events WHERE action = 'user.updated'").all();
    expect(audit.results.some((r) => String(r.details).includes(user.id))).toBe(true);
  });

  it("removing a user revokes every token; their name stays for history; the last admin stays", async () => {
    const admin = await makeUser("admin");
    const leaving = await makeUser("deployer", "+15550123402");
    expect((await api(admin.token, "DELETE", `/api/users/${leaving.id}`)).status).toBe(204);
    expectError(await api(leaving.token, "GET", "/api/me"), 401, "unauthorized");
    const users = (await api(admin.token, "GET", "/api/users")).body.users;
    const row = users.find((u: { id: string }) => u.id === leaving.id);
    expect(row).toMatchObject({ name: leaving.name, phone: null });
    expect(row.removedAt).toBeTruthy();
    expectError(await api(admin.token, "DELETE", `/api/users/${leaving.id}`), 404, "not_found");
    // Every other admin removed, the last one cannot be removed nor demoted.
    const admins = users.filter(
      (u: { role: string; removedAt?: string; id: string }) => u.role === "admin" && !u.removedAt && u.id !== admin.id,
    );
    for (const a of admins) expect((await api(admin.token, "DELETE", `/api/users/${a.id}`)).status).toBe(204);
    expectError(await api(admin.token, "DELETE", `/api/users/${admin.id}`), 409, "conflict");
    expectError(await api(admin.token, "PATCH", `/api/users/${admin.id}`, { role: "viewer" }), 409, "conflict");
  });
});
