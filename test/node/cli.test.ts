/**
 * The CLI against a real local control plane (the Worker in workerd with the sandbox providers, as
 * `npm start` runs it): `infra-chat "deploy staging"` prints the plan, streams the run's steps as the
 * server pushes them, and exits 0; a production run stops the stream where it waits for an approver.
 */
import { execFile } from "node:child_process";
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

const cli = (message: string, env: Record<string, string>) =>
  run("node", ["src/cli/infra-chat.mjs", message], {
    env: { ...process.env, INFRA_CHAT_URL: worker.url, ...env },
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

  it("exits 2 with a clear message on a bad token", async () => {
    const failed = await cli("status of staging", { INFRA_CHAT_TOKEN: "ic_wrong" }).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toMatch(/error 401/);
  }, 60_000);
});
