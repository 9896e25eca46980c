/**
 * The production bundle (`npm run build`: wrangler.toml's top level, src/index.ts) contains no sandbox code,
 * and the dev bundle (`[env.dev]`, src/dev/index.ts) does: the same symbols are looked for in both, so a
 * symbol that stopped naming sandbox code would fail here instead of passing vacuously.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const repo = fileURLToPath(new URL("../../", import.meta.url));

/** Names only the sandbox has: its Durable Object, router, GraphQL server, seed, fault and token constants. */
const SANDBOX_ONLY = [
  "SandboxDO = class",
  "SandboxRouter",
  "GraphQLSchema",
  "seedInvoicePerfect",
  "sandbox-railway-token",
  "sandbox-railway-project-token",
  "Rate limit exceeded. Please try again later.",
  "/sandbox/seed",
  "sandboxFetch",
];

const dirs: string[] = [];

function build(env: string | null): string {
  const out = mkdtempSync(join(tmpdir(), "infra-chat-bundle-"));
  dirs.push(out);
  execFileSync("npx", ["wrangler", "deploy", "--dry-run", "--outdir", out, ...(env ? ["--env", env] : [])], {
    cwd: repo,
    stdio: "ignore",
    env: { ...process.env, CI: "1" },
  });
  return readdirSync(out)
    .filter((f) => f.endsWith(".js"))
    .map((f) => readFileSync(join(out, f), "utf8"))
    .join("\n");
}

let production = "";
let dev = "";

beforeAll(() => {
  production = build(null);
  dev = build("dev");
}, 180_000);

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("the production bundle", () => {
  it("contains none of the sandbox's symbols, which the dev bundle does contain", () => {
    for (const symbol of SANDBOX_ONLY) {
      expect(dev, `the dev bundle should contain ${symbol}`).toContain(symbol);
      expect(production, `the production bundle contains ${symbol}`).not.toContain(symbol);
    }
  });

  it("is the control plane all the same: its Worker, its environments' object, the API", () => {
    expect(production).toContain("EnvironmentDO = class");
    expect(production).toContain("/api/openapi.json");
    expect(production.length).toBeLessThan(dev.length);
  });
});
