/**
 * The control plane as `npm start` runs it — the Worker in local workerd with the sandbox providers and
 * the seeded Invoice Perfect project — but with its state in a throwaway folder and a known admin token.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unstable_dev } from "wrangler";

export interface LocalWorker {
  url: string;
  adminToken: string;
  /** Calls the Worker's API as `token` (or without one) and returns status and parsed JSON. */
  api(token: string | null, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

/** Starts the Worker on a free port, applies the D1 migrations and seeds the sandbox world; `vars` add to its config. */
export async function startLocalWorker(name: string, vars: Record<string, string> = {}): Promise<LocalWorker> {
  const state = mkdtempSync(join(tmpdir(), `infra-chat-${name}-`));
  const adminToken = `ic_${name}_${Date.now()}`;
  execFileSync("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local", "--persist-to", state], {
    stdio: "ignore",
    env: { ...process.env, CI: "1" },
  });
  const worker = await unstable_dev("src/index.ts", {
    config: "wrangler.toml",
    persistTo: state,
    logLevel: "error",
    vars: {
      SANDBOX: "1",
      SANDBOX_TIME_SCALE: "0",
      INFRA_CHAT_ADMIN_TOKEN: adminToken,
      SECRETS_MASTER_KEY: Buffer.alloc(32, 3).toString("base64"),
      SECRETS_KEY_ID: name,
      TWILIO_AUTH_TOKEN: name,
      TWILIO_FROM_NUMBER: "+15550009999",
      ...vars,
    },
    // No reload on file changes: a test's Worker must not restart mid-run when someone edits the tree.
    experimental: { disableExperimentalWarning: true, watch: false },
  });
  const url = `http://${worker.address}:${worker.port}`;
  const seeded = await fetch(`${url}/sandbox/seed`, { method: "POST" });
  if (seeded.status !== 200) throw new Error(`seeding failed: ${seeded.status} ${await seeded.text()}`);
  return {
    url,
    adminToken,
    async api(token, method, path, body) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    },
    async stop() {
      await worker.stop();
      rmSync(state, { recursive: true, force: true });
    },
  };
}
