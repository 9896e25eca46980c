/** Test-only bindings added by vitest.config.ts. */
declare namespace Cloudflare {
  interface Env {
    TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
    CHAOS_SEEDS?: string;
    CHAOS_RUNS?: string;
  }
}
