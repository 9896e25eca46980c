import { buildApp } from "./http/app";

export { EnvironmentDO } from "../durable-objects/environment";
export { SandboxDO } from "../durable-objects/sandbox";

const app = buildApp();

export default {
  fetch: app.fetch,
  async scheduled(_controller, _env, _ctx) {
    // The monitoring fan-out arrives with continuous monitoring; each environment's alarm is its own watchdog.
  },
} satisfies ExportedHandler<Env>;
