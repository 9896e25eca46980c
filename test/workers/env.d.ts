/** Test-only bindings added by vitest.config.ts. */
declare namespace Cloudflare {
  interface Env {
    TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
    /** The tests run the dev entry ([env.dev]), which always has the sandbox world. */
    SANDBOX_WORLD: DurableObjectNamespace<import("../../durable-objects/sandbox").SandboxDO>;
    CHAOS_SEEDS?: string;
    CHAOS_RUNS?: string;
  }
}

/** A file's text through Vite's `?raw` import (the docs checks read the project's Markdown this way). */
declare module "*.md?raw" {
  const text: string;
  export default text;
}
