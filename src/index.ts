import { buildApp } from "./http/app";
import { monitorAll } from "./control/incidents";
import { expireAllPlans } from "./control/history";
import { appServices } from "./wiring";

export { EnvironmentDO } from "../durable-objects/environment";
export { SandboxDO } from "../durable-objects/sandbox";

const app = buildApp();

export default {
  fetch: app.fetch,
  // The cron tick fans out to every monitored environment's object; each object's alarm is also its own
  // watchdog, so a missed tick (or `wrangler dev`, where cron never fires) only delays a check.
  async scheduled(controller, env, ctx) {
    const services = appServices(env);
    ctx.waitUntil(Promise.all([monitorAll(services, controller.scheduledTime), expireAllPlans(services)]));
  },
} satisfies ExportedHandler<Env>;
