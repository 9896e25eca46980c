/**
 * Issue 16 item 7, the small holes: bodies that are not UTF-8, Twilio signatures over a URL built from
 * the Host header, the sandbox's cross-site and internal-URL doors, unparseable token expiries, viewers
 * and phone numbers, and one phone per user.
 */
import { env, SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { buildDevApp } from "../../src/dev/app";
import { appUrlRefusal } from "../../src/security/app-url";
import { computeTwilioSignature } from "../../src/security/twilio-signature";
import { sandboxWorld } from "../../src/dev/wiring";
import { api, expectError, makeUser, seedWorld } from "./helpers";

let ids: Awaited<ReturnType<typeof seedWorld>>;
let admin: Awaited<ReturnType<typeof makeUser>>;
let viewer: Awaited<ReturnType<typeof makeUser>>;

beforeAll(async () => {
  ids = await seedWorld();
  admin = await makeUser("admin", "+15550005001");
  viewer = await makeUser("viewer");
});

describe("request bodies", () => {
  it("refuses bytes that are not UTF-8 with 400, and stores nothing", async () => {
    const body = new Uint8Array([
      ...new TextEncoder().encode('{"value":"ab'),
      0xff,
      0xfe,
      ...new TextEncoder().encode('"}'),
    ]);
    for (const [method, path] of [
      ["PUT", `/api/envs/${ids.staging}/secrets/UTF8_PROBE`],
      ["POST", "/api/chat"],
    ]) {
      const res = await SELF.fetch(`https://infra-chat.test${path}`, {
        method,
        headers: { authorization: `Bearer ${admin.token}`, "content-type": "application/json" },
        body,
      });
      expect(res.status, path).toBe(400);
      expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({
        code: "invalid_request",
        message: "the body is not valid UTF-8",
      });
    }
    const stored = await env.DB.prepare("SELECT COUNT(*) AS n FROM secrets WHERE name = 'UTF8_PROBE'").first<{
      n: number;
    }>();
    expect(stored?.n).toBe(0);
  });
});

describe("Twilio signatures", () => {
  async function post(signedUrl: string) {
    const pairs: [string, string][] = [
      ["MessageSid", `SM${crypto.randomUUID().replaceAll("-", "")}`],
      ["From", "+15550005001"],
      ["Body", "STATUS staging"],
    ];
    const signature = await computeTwilioSignature(env.TWILIO_AUTH_TOKEN ?? "", signedUrl, pairs);
    // The request arrives with a Host the sender picked; the signature must be over PUBLIC_URL's URL.
    return SELF.fetch("https://attacker-chosen.example/webhooks/twilio/sms", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature },
      body: new URLSearchParams(pairs).toString(),
    });
  }

  it("verifies over PUBLIC_URL and never over a URL built from the Host header", async () => {
    expect((await post("https://attacker-chosen.example/webhooks/twilio/sms")).status).toBe(403);
    expect((await post(`${env.PUBLIC_URL}/webhooks/twilio/sms`)).status).toBe(200);
  });
});

describe("the sandbox's doors", () => {
  it("takes POST bodies only as application/json: a form or text/plain post changes nothing", async () => {
    const before = (await sandboxWorld(env).state()) as { faults: unknown[] };
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""]) {
      const res = await SELF.fetch("https://infra-chat.test/sandbox/faults", {
        method: "POST",
        headers: type ? { "content-type": type } : {},
        body: '{"kind":"provider","provider":"railway","status":500}',
      });
      expect(res.status, type).toBe(415);
    }
    expect((await SELF.fetch("https://infra-chat.test/sandbox/seed", { method: "POST" })).status).toBe(415);
    expect(((await sandboxWorld(env).state()) as { faults: unknown[] }).faults).toEqual(before.faults);
  });

  it("refuses internal app URLs, and loopback unless the control plane itself is local", async () => {
    const attach = (url: string, app = { fetch: (r: Request) => SELF.fetch(r) }) =>
      app.fetch(
        new Request("https://infra-chat.test/sandbox/apps", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ env: "staging", service: "web", url }),
        }),
      );
    for (const url of [
      "http://169.254.169.254/latest/meta-data",
      "http://10.0.0.5:3000",
      "http://192.168.1.10",
      "http://172.20.0.1",
      "http://0.0.0.0:3000",
      "http://metadata.google.internal",
      "http://db.local",
      "http://[fe80::1]:3000",
      "http://[::ffff:169.254.169.254]",
    ]) {
      const res = await attach(url);
      expect(res.status, url).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/refusing app URL/);
    }
    // The tests' control plane is local (PUBLIC_URL http://localhost:8787): the fixture's loopback is allowed.
    expect((await attach("http://127.0.0.1:3999")).status).toBe(201);
    expect((await attach("https://app.example.com")).status).toBe(201);
    // Deployed (a public PUBLIC_URL), loopback is someone's internals too, however it is spelled.
    const deployed = buildDevApp();
    const publicEnv = { ...env, PUBLIC_URL: "https://infra-chat.example.com" };
    for (const url of ["http://127.0.0.1:3999", "http://0x7f.1:3999", "http://2130706433/", "http://localhost:3000"]) {
      const res = await attach(url, { fetch: (r: Request) => Promise.resolve(deployed.fetch(r, publicEnv)) });
      expect(res.status, url).toBe(400);
    }
    await attach("https://app.example.com").then(() =>
      SELF.fetch("https://infra-chat.test/sandbox/apps", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ env: "staging", service: "web", url: null }),
      }),
    );
    expect(appUrlRefusal("http://[::1]:3000", { controlPlaneIsLocal: true })).toBeNull();
    expect(appUrlRefusal("not a url", { controlPlaneIsLocal: true })).toBe("not a URL");
  });
});

describe("tokens", () => {
  it("deny when expires_at does not parse", async () => {
    const user = await makeUser("deployer");
    await env.DB.prepare("UPDATE api_tokens SET expires_at = 'not-a-date' WHERE user_id = ?").bind(user.id).run();
    expectError(await api(user.token, "GET", "/api/users"), 401, "unauthorized");
  });
});

describe("phones", () => {
  it("viewers see names and roles, not phone numbers; deployers and admins see them", async () => {
    const asViewer = (await api(viewer.token, "GET", "/api/users")).body.users;
    expect(asViewer.find((u: { id: string }) => u.id === admin.id)).toEqual(
      expect.objectContaining({ name: admin.name, role: "admin" }),
    );
    expect(JSON.stringify(asViewer)).not.toContain("+15550005001");
    const deployer = await makeUser("deployer");
    const asDeployer = (await api(deployer.token, "GET", "/api/users")).body.users;
    expect(asDeployer.find((u: { id: string }) => u.id === admin.id).phone).toBe("+15550005001");
    // Who gets paged is in the environment's policy: a viewer sees that someone is, not the number.
    const spec = (await api(viewer.token, "GET", "/api/envs/invoice-perfect:production")).body.environment.spec;
    expect(spec.policies.notify).toEqual(["+1••••••••01"]);
    expect(
      (await api(deployer.token, "GET", "/api/envs/invoice-perfect:production")).body.environment.spec.policies.notify,
    ).toEqual(["+15550000001"]);
  });

  it("belong to one user: a second user with the same phone is refused (409), even written straight to D1", async () => {
    const res = await api(admin.token, "POST", "/api/users", { name: "twin", role: "viewer", phone: "+15550005001" });
    expectError(res, 409, "conflict");
    await expect(
      env.DB.prepare(
        "INSERT INTO users (id, name, role, phone, created_at) VALUES ('usr_twin', 'twin', 'viewer', ?, ?)",
      )
        .bind("+15550005001", new Date().toISOString())
        .run(),
    ).rejects.toThrow(/UNIQUE/);
  });
});
