/**
 * `npx infra-chat init --url …` against a running local Worker that has no admin yet (a fresh deployment):
 * it creates the first admin through POST /api/bootstrap and prints the token exactly once; the token
 * works; a second init is refused (409) and prints no token; a wrong secret is refused (403).
 */
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalWorker } from "./local-worker";
import type { LocalWorker } from "./local-worker";

const run = promisify(execFile);
const SECRET = "cli-init-bootstrap-secret-0123456789";
let worker: LocalWorker;

beforeAll(async () => {
  worker = await startLocalWorker("cli-init", { BOOTSTRAP_SECRET: SECRET }, { seed: false });
}, 120_000);

afterAll(async () => {
  await worker?.stop();
});

const CLI = resolve("src/cli/infra-chat.mjs");
async function init(args: string[]) {
  try {
    const { stdout, stderr } = await run("node", [CLI, "init", "--url", worker.url, ...args], {
      env: { ...process.env, INFRA_CHAT_URL: "", INFRA_CHAT_BOOTSTRAP_SECRET: "" },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const failed = e as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe("infra-chat init", () => {
  it("refuses a wrong bootstrap secret and creates nobody", async () => {
    const wrong = await init(["--secret", "not-it", "--name", "Mallory"]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/403 wrong bootstrap secret/);
    expect(wrong.stdout).not.toMatch(/ic_/);
  }, 90_000);

  it("creates the first admin and prints the token once; it works; a second init gets no token", async () => {
    const first = await init(["--secret", SECRET, "--name", "Ada", "--phone", "+15550004002"]);
    expect(first.code, first.stderr).toBe(0);
    const tokens = first.stdout.match(/ic_[A-Za-z0-9_-]{43}/g) ?? [];
    expect(tokens).toHaveLength(1);
    const me = await worker.api(tokens[0] ?? null, "GET", "/api/me");
    expect(me.status).toBe(200);
    expect(JSON.stringify(me.body)).toMatch(/"role":"admin"/);
    const second = await init(["--secret", SECRET, "--name", "Bea"]);
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/409 an admin exists already/);
    expect(second.stdout + second.stderr).not.toMatch(/ic_[A-Za-z0-9_-]{43}/);
  }, 90_000);
});
