/**
 * The CLI against a real local control plane (the Worker in workerd with the sandbox providers, as
 * `npm start` runs it): `infra-chat "deploy staging"` prints the plan, streams the run's steps as the
 * server pushes them, and exits 0; a production run stops the stream where it waits for an approver.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalWorker } from "./local-worker";
import type { LocalWorker } from "./local-worker";

const run = promisify(execFile);
let worker: LocalWorker;

beforeAll(async () => {
  worker = await startLocalWorker("cli");
}, 120_000);

afterAll(async () => {
  await worker?.stop();
});

// Each test's "last conversation" (-c) lives in its own state folder, never the developer's.
const state = mkdtempSync(join(tmpdir(), "infra-chat-cli-state-"));
afterAll(() => rmSync(state, { recursive: true, force: true }));

const CLI = resolve("src/cli/infra-chat.mjs");
const cli = (message: string | string[], env: Record<string, string>, cwd?: string) =>
  run("node", [CLI, ...(Array.isArray(message) ? message : [message])], {
    cwd,
    env: { ...process.env, INFRA_CHAT_URL: worker.url, XDG_STATE_HOME: state, ...env },
    timeout: 90_000,
  });

describe("infra-chat CLI", () => {
  it("deploys staging and streams the run's steps to success", async () => {
    const { stdout } = await cli("deploy staging", { INFRA_CHAT_TOKEN: worker.adminToken });
    expect(stdout).toMatch(/Plan: deploy invoice-perfect:staging/);
    // Step lines come from the pushed run states, in plan order, before the closing status line.
    const deployed = stdout.indexOf("[succeeded] Deploy api at");
    const finalized = stdout.indexOf("[succeeded] Finalize release record");
    expect(deployed).toBeGreaterThan(0);
    expect(finalized).toBeGreaterThan(deployed);
    expect(stdout.slice(finalized)).toMatch(/run run_\w+: succeeded/);
  }, 120_000);

  it("continues a conversation: apply a production plan, stop streaming while it waits for an approver", async () => {
    const planned = await cli("deploy production", { INFRA_CHAT_TOKEN: worker.adminToken });
    const conversation = /conversation (conv_\w+)/.exec(planned.stdout)?.[1];
    expect(conversation).toBeDefined();
    expect(planned.stdout).toMatch(/Plan: deploy invoice-perfect:production/);
    const applied = await cli("apply", { INFRA_CHAT_TOKEN: worker.adminToken, INFRA_CHAT_CONVERSATION: conversation! });
    expect(applied.stdout).toMatch(/run run_\w+: awaiting-approval/);
    const runId = /run (run_\w+): awaiting-approval/.exec(applied.stdout)![1];
    expect((await worker.api(worker.adminToken, "POST", `/api/runs/${runId}/cancel`, {})).status).toBe(200);
  }, 120_000);

  it("without INFRA_CHAT_URL or a token, talks to the PUBLIC_URL and admin token `npm start` wrote to .dev.vars; -c continues the last conversation", async () => {
    // npm start on another PORT writes that port into PUBLIC_URL; the CLI must follow it, not assume 8787.
    const project = mkdtempSync(join(tmpdir(), "infra-chat-cli-project-"));
    try {
      writeFileSync(
        join(project, ".dev.vars"),
        `SANDBOX=1\nINFRA_CHAT_ADMIN_TOKEN=${worker.adminToken}\nPUBLIC_URL=${worker.url}\n`,
      );
      const { INFRA_CHAT_URL: _url, INFRA_CHAT_TOKEN: _token, ...inherited } = process.env;
      const bare = (message: string[]) =>
        run("node", [CLI, ...message], {
          cwd: project,
          env: { ...inherited, XDG_STATE_HOME: state } as NodeJS.ProcessEnv,
          timeout: 90_000,
        });
      const planned = await bare(["deploy production"]);
      expect(planned.stdout).toMatch(/Plan: deploy invoice-perfect:production/);
      const conversation = /conversation (conv_\w+)/.exec(planned.stdout)![1];
      const cancelled = await bare(["-c", "cancel"]);
      expect(cancelled.stdout).toContain(`conversation ${conversation}`);
      expect(cancelled.stdout).toContain("Dropped the pending plan; nothing was changed.");
      // Another user's token never continues this conversation: -c starts a new one for it.
      const viewer = await worker.api(worker.adminToken, "POST", "/api/users", { name: "cli viewer", role: "viewer" });
      const other = await cli(["-c", "status of staging"], { INFRA_CHAT_TOKEN: viewer.body.token });
      expect(other.stdout).not.toContain(conversation);
      expect(other.stderr).toMatch(/no earlier conversation with .*: starting a new one/);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  }, 120_000);

  it("--detach prints the replies and returns while the run it started goes on", async () => {
    const { stdout } = await cli(["--detach", "deploy staging"], { INFRA_CHAT_TOKEN: worker.adminToken });
    expect(stdout).toMatch(/Plan: deploy invoice-perfect:staging/);
    // No pushed run states: only the reply's own rendering, then the closing status line.
    expect(stdout).not.toMatch(/^ {2}\[\w+\] /m);
    const runId = /run (run_\w+): /.exec(stdout)![1];
    const settled = async (): Promise<string> => {
      for (let i = 0; i < 300; i++) {
        const { status } = (await worker.api(worker.adminToken, "GET", `/api/runs/${runId}`)).body.run;
        if (status === "succeeded" || status === "failed") return status;
        await new Promise((r) => setTimeout(r, 100));
      }
      return "still running";
    };
    expect(await settled()).toBe("succeeded");
  }, 120_000);

  it("exits 2 with a clear message on a bad token", async () => {
    const failed = await cli("status of staging", { INFRA_CHAT_TOKEN: "ic_wrong" }).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toMatch(/error 401/);
  }, 60_000);
});
