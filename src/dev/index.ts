/**
 * The local entry (`npm start`, the tests, `npm run bench`; `[env.dev]` in wrangler.toml): the production
 * Worker plus the sandbox world. With `SANDBOX=1` every provider call goes to the world and `/sandbox/*`
 * answers; without it this entry behaves as the production one against the real providers.
 */
import { EnvironmentDO as ProductionEnvironmentDO } from "../../durable-objects/environment";
import { expireAllPlans } from "../control/history";
import { monitorAll } from "../control/incidents";
import { buildDevApp } from "./app";
import { appServices, selectSandbox } from "./wiring";

export { SandboxDO } from "../../durable-objects/sandbox";
export { RequestBudgetDO } from "../../durable-objects/budget";

/** The environments' object, composed with the sandbox world when SANDBOX=1. */
export class EnvironmentDO extends ProductionEnvironmentDO {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env, selectSandbox);
  }
}

const app = buildDevApp();

export default {
  fetch: app.fetch,
  // As in production: the cron tick is a fan-out, each object's alarm its own watchdog.
  async scheduled(controller, env, ctx) {
    const services = appServices(env);
    ctx.waitUntil(Promise.all([monitorAll(services, controller.scheduledTime), expireAllPlans(services)]));
  },
} satisfies ExportedHandler<Env>;
