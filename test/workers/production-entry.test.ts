/**
 * The production entry (src/index.ts): no sandbox to switch on, and no serving without a public URL. The
 * sandbox-free bundle itself is checked in test/node/production-bundle.test.ts.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import production from "../../src/index";
import { publicUrlProblem } from "../../src/domain/public-url";
import { appServices } from "../../src/wiring";

const PUBLIC = "https://infra-chat.example.com";

async function call(vars: Partial<Env>, path: string) {
  const ctx = createExecutionContext();
  const res = await production.fetch(new Request(`${PUBLIC}${path}`), { ...env, ...vars } as Env, ctx);
  await waitOnExecutionContext(ctx);
  return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
}

describe("the production entry", () => {
  it("has no sandbox to switch on: SANDBOX=1 leaves /sandbox/* unknown and the providers real", async () => {
    const state = await call({ SANDBOX: "1", PUBLIC_URL: PUBLIC }, "/sandbox/state");
    expect(state.status).toBe(404);
    expect(state.body.error?.code).toBe("not_found");
    const seed = await call({ SANDBOX: "1", PUBLIC_URL: PUBLIC }, "/sandbox/seed");
    expect(seed.status).toBe(404);
    const services = appServices({ ...env, SANDBOX: "1", PUBLIC_URL: PUBLIC } as Env);
    expect(services.sandbox).toBe(false);
    expect(services.sandboxWorld).toBeUndefined();
    // No sandbox credentials to fall back on: without a Railway token there are no providers at all.
    expect(services.configured.railway).toBe(false);
    expect(() => services.providers()).toThrow(/RAILWAY_API_TOKEN is not configured/);
  });

  it("serves the API once PUBLIC_URL is a public https origin", async () => {
    const res = await call({ PUBLIC_URL: PUBLIC }, "/api/openapi.json");
    expect(res.status).toBe(200);
  });

  it("refuses to serve with PUBLIC_URL missing, local or plain http, and says how to fix it", async () => {
    for (const url of [undefined, "http://localhost:8787", "http://127.0.0.1:8787", "http://infra.example.com"]) {
      const res = await call({ PUBLIC_URL: url }, "/api/openapi.json");
      expect(res.status, String(url)).toBe(503);
      expect(res.body.error?.code).toBe("misconfigured");
      expect(res.body.error?.message).toMatch(/PUBLIC_URL/);
    }
    expect(publicUrlProblem(PUBLIC)).toBeNull();
  });

  it("reads the Railway token as RAILWAY_API_TOKEN, and the old RAILWAY_TOKEN name still", () => {
    const base = { ...env, RAILWAY_API_TOKEN: undefined, RAILWAY_TOKEN: undefined, PUBLIC_URL: PUBLIC } as Env;
    expect(appServices({ ...base, RAILWAY_API_TOKEN: "account-token" }).configured.railway).toBe(true);
    expect(appServices({ ...base, RAILWAY_TOKEN: "account-token" }).configured.railway).toBe(true);
    expect(appServices(base).configured.railway).toBe(false);
  });
});
