/**
 * `npm run deploy` (src/cli/deploy.mjs) against a fake `wrangler` on PATH (fake-wrangler.mjs: wrangler's
 * subcommands and output formats, with state kept between runs). The first run creates D1 and R2, writes
 * the database id, applies the migrations, deploys with PUBLIC_URL and the secrets, and prints the next
 * command; a second run changes nothing; a missing PUBLIC_URL stops it before wrangler is called.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const fake = fileURLToPath(new URL("./fake-wrangler.mjs", import.meta.url));
let project: string;
let statePath: string;
let bin: string;

interface FakeState {
  calls: string[][];
  databases: { uuid: string; name: string }[];
  buckets: string[];
  applied: string[];
  secrets: string[];
  versions: { id: string; annotations: Record<string, string>; vars: string[] }[];
  deployments: unknown[];
}

const state = (): FakeState => JSON.parse(readFileSync(statePath, "utf8"));

function deploy(env: Record<string, string | undefined>, args: string[] = []) {
  const result = spawnSync("node", [join(repo, "src/cli/deploy.mjs"), ...args], {
    cwd: project,
    encoding: "utf8",
    env: {
      PATH: `${bin}:${process.env.PATH}`,
      FAKE_WRANGLER_STATE: statePath,
      CI: "1",
      ...env,
    },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Each call as its subcommand words ("d1 migrations apply", "deploy"), for order and presence checks. */
const kinds = (calls: string[][]) =>
  calls.map((c) => {
    const words = c.filter((a) => /^[a-z][a-z0-9-]*$/.test(a)).slice(0, 3);
    if (words[0] === "deploy") return c.includes("--dry-run") ? "deploy --dry-run" : "deploy";
    if (words[0] === "secret" && words[1] === "put") return `secret put ${c[2]}`;
    return words.join(" ");
  });

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), "infra-chat-deploy-"));
  cpSync(join(repo, "wrangler.toml"), join(project, "wrangler.toml"));
  cpSync(join(repo, "d1-migrations"), join(project, "d1-migrations"), { recursive: true });
  bin = join(project, "bin");
  mkdirSync(bin);
  writeFileSync(join(bin, "wrangler"), `#!/bin/sh\nexec node "${fake}" "$@"\n`);
  chmodSync(join(bin, "wrangler"), 0o755);
  statePath = join(project, "fake-wrangler.json");
});

afterAll(() => rmSync(project, { recursive: true, force: true }));

const TOKENS = { RAILWAY_API_TOKEN: "railway-account-token", CLOUDFLARE_API_TOKEN: "cf-token" };

describe("npm run deploy", () => {
  it("stops without PUBLIC_URL, saying why, before calling wrangler", () => {
    const run = deploy(TOKENS);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/PUBLIC_URL is required/);
    expect(existsSync(statePath)).toBe(false);
    const plain = deploy({ ...TOKENS, PUBLIC_URL: "http://infra-chat.example.com" });
    expect(plain.stderr).toMatch(/public https origin/);
  });

  it("stops when a required provider token is missing in a non-interactive run", () => {
    const run = deploy({ PUBLIC_URL: "https://infra-chat.example.com" });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/RAILWAY_API_TOKEN is required/);
    expect(state().deployments).toEqual([]);
    rmSync(statePath);
  });

  it("first run: creates D1 and R2, writes the id, applies migrations, deploys with secrets, prints init", () => {
    const run = deploy({ ...TOKENS, PUBLIC_URL: "https://infra-chat.example.com" });
    expect(run.code, run.stderr).toBe(0);
    const s = state();
    expect(s.databases.map((d) => d.name)).toEqual(["infra-chat"]);
    expect(s.buckets).toEqual(["infra-chat-artifacts"]);
    expect(readFileSync(join(project, "wrangler.toml"), "utf8")).toContain(`database_id = "${s.databases[0].uuid}"`);
    expect(s.applied.length).toBeGreaterThan(0);
    expect(s.secrets.sort()).toEqual(
      ["BOOTSTRAP_SECRET", "CLOUDFLARE_API_TOKEN", "RAILWAY_API_TOKEN", "SECRETS_MASTER_KEY"].sort(),
    );
    expect(s.versions).toHaveLength(1);
    expect(s.versions[0].vars).toEqual(["PUBLIC_URL:https://infra-chat.example.com"]);
    expect(s.versions[0].annotations["workers/tag"]).toMatch(/^bundle-[0-9a-f]{16}$/);
    // Migrations before the deploy; the secrets travel with the first version (no `secret put`).
    const order = kinds(s.calls);
    expect(order.indexOf("d1 migrations apply")).toBeGreaterThan(-1);
    expect(order.indexOf("d1 migrations apply")).toBeLessThan(order.indexOf("deploy"));
    expect(order.filter((c) => c.startsWith("secret put"))).toEqual([]);
    expect(run.stdout).toMatch(/BOOTSTRAP_SECRET \(shown once[^)]*\): \S{20,}/);
    expect(run.stdout).toContain("npx infra-chat init --url https://infra-chat.example.com");
    expect(run.stdout).not.toContain("railway-account-token");
  });

  it("second run: finds everything in place and changes nothing", () => {
    const before = state();
    const run = deploy({ ...TOKENS, PUBLIC_URL: "https://infra-chat.example.com" });
    expect(run.code, run.stderr).toBe(0);
    const after = state();
    expect({ ...after, calls: [] }).toEqual({ ...before, calls: [] });
    const calls = kinds(after.calls.slice(before.calls.length));
    for (const change of ["d1 create", "r2 bucket create", "d1 migrations apply", "deploy"])
      expect(calls).not.toContain(change);
    expect(calls.filter((c) => c.startsWith("secret put"))).toEqual([]);
    expect(run.stdout).toMatch(/nothing to deploy/);
    expect(run.stdout).not.toMatch(/BOOTSTRAP_SECRET \(shown once/);
  });

  it("later runs change only what changed: a new migration redeploys, a new token is set alone", () => {
    writeFileSync(join(project, "d1-migrations", "9999_later.sql"), "CREATE TABLE later (id TEXT);\n");
    const before = state();
    const run = deploy({ ...TOKENS, GITHUB_TOKEN: "gh-token", PUBLIC_URL: "https://infra-chat.example.com" });
    expect(run.code, run.stderr).toBe(0);
    const after = state();
    expect(after.applied.at(-1)).toBe("9999_later.sql");
    expect(after.secrets).toContain("GITHUB_TOKEN");
    expect(after.versions).toHaveLength(before.versions.length + 1);
    const calls = kinds(after.calls.slice(before.calls.length));
    expect(calls.filter((c) => c === "secret put GITHUB_TOKEN")).toHaveLength(1);
    expect(calls).not.toContain("d1 create");
  });
});
