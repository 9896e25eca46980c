import { availableParallelism } from "node:os";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Two projects (ARCHITECTURE §12): "workers" runs inside workerd with real D1/R2/DO bindings;
// "node" covers what needs a process: schema validation with Ajv, PostgreSQL, Chromium, the CLI.
export default defineConfig(async () => {
  const migrations = await readD1Migrations("./d1-migrations");
  return {
    test: {
      // Vitest's default is one worker fewer than the CPUs: one on a 2-CPU machine, so the node files (mostly
      // waiting on npm start, Chromium or PostgreSQL) and the workerd files ran one after another. Two at least:
      // on 2 CPUs the full suite took 458 s instead of 735 s.
      maxWorkers: Math.max(2, availableParallelism()),
      projects: [
        {
          plugins: [
            cloudflareTest({
              wrangler: { configPath: "./wrangler.toml", environment: "dev" },
              miniflare: {
                // Explicit values for everything `npm start` writes to .dev.vars, which wrangler would load
                // into tests too: tests must not depend on a developer's local state.
                bindings: {
                  INFRA_CHAT_ADMIN_TOKEN: "",
                  PUBLIC_URL: "http://localhost:8787",
                  TEST_MIGRATIONS: migrations,
                  SANDBOX: "1",
                  SANDBOX_TIME_SCALE: "0",
                  SECRETS_MASTER_KEY: "dGVzdC1tYXN0ZXIta2V5LTMyLWJ5dGVzLWxvbmctISE=",
                  SECRETS_KEY_ID: "test1",
                  // The key "before the last rotation": master-key rotation tests seal rows with it.
                  SECRETS_PREVIOUS_KEYS: JSON.stringify({ test0: "dGVzdC1vbGQtbWFzdGVyLWtleS0zMi1ieXRlcy0hISE=" }),
                  AUDIT_KEY: "dGVzdC1hdWRpdC1rZXktMzItYnl0ZXMtbG9uZy0hISE=",
                  AUDIT_KEY_ID: "audit-test1",
                  APPROVAL_KEY: "dGVzdC1hcHByb3ZhbC1rZXktMzItYnl0ZXMtbG9uZyE=",
                  APPROVAL_KEY_ID: "approval-test1",
                  BOOTSTRAP_SECRET: "test-bootstrap-secret-0123456789",
                  TWILIO_AUTH_TOKEN: "sandbox-twilio-auth-token",
                  TWILIO_FROM_NUMBER: "+15550009999",
                  // Never a real model from a developer's .dev.vars: LLM tests inject ai/test mock models.
                  OPENAI_API_KEY: "",
                  // Chaos suite size (test/workers/chaos.test.ts): reduced here, large via `npm run test:chaos`.
                  CHAOS_SEEDS: process.env.CHAOS_SEEDS ?? "11,23,47",
                  CHAOS_RUNS: process.env.CHAOS_RUNS ?? "8",
                },
              },
            }),
          ],
          test: {
            name: "workers",
            include: ["test/workers/**/*.test.ts"],
            setupFiles: ["./test/workers/setup.ts"],
          },
        },
        {
          test: {
            name: "node",
            environment: "node",
            include: ["test/node/**/*.test.ts"],
          },
        },
      ],
    },
  };
});
