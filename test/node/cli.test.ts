/**
 * The CLI against a real local control plane (the Worker in workerd with the sandbox providers, as
 * `npm start` runs it): `infra-chat "deploy staging"` prints the plan, follows the run and exits 0.
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unstable_dev } from "wrangler";

const run = promisify(execFile);
const token = `ic_cli_test_${Date.now()}`;
let worker: Awaited<ReturnType<typeof unstable_dev>>;
let state: string;

beforeAll(async () => {
  state = mkdtempSync(join(tmpdir(), "infra-chat-cli-"));
  execFileSync("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local", "--persist-to", state], { stdio: "ignore", env: { ...process.env, CI: "1" } });
  worker = await unstable_dev("src/index.ts", {
    config: "wrangler.toml", persistTo: state, logLevel: "error",
    vars: { SANDBOX: "1", SANDBOX_TIME_SCALE: "0", INFRA_CHAT_ADMIN_TOKEN: token, SECRETS_MASTER_KEY: Buffer.alloc(32, 3).toString("base64"), SECRETS_KEY_ID: "cli", TWILIO_AUTH_TOKEN: "cli", TWILIO_FROM_NUMBER: "+15550009999" },
    experimental: { disableExperimentalWarning: true },
  });
  expect((await worker.fetch("/sandbox/seed", { method: "POST" })).status).toBe(200);
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  rmSync(state, { recursive: true, force: true });
});

describe("infra-chat CLI", () => {
  it("deploys staging and follows the run to success", async () => {
    const env = { ...process.env, INFRA_CHAT_URL: `http://${worker.address}:${worker.port}`, INFRA_CHAT_TOKEN: token };
    const { stdout } = await run("node", ["src/cli/infra-chat.mjs", "deploy staging"], { env, timeout: 90_000 });
    expect(stdout).toMatch(/Plan: deploy invoice-perfect:staging/);
    expect(stdout).toMatch(/run run_\w+: succeeded/);
  }, 120_000);

  it("exits 2 with a clear message on a bad token", async () => {
    const env = { ...process.env, INFRA_CHAT_URL: `http://${worker.address}:${worker.port}`, INFRA_CHAT_TOKEN: "ic_wrong" };
    const failed = await run("node", ["src/cli/infra-chat.mjs", "status of staging"], { env }).then(() => null, (e: { code: number; stderr: string }) => e);
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toMatch(/error 401/);
  }, 60_000);
});
