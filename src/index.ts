/**
 * The production Worker (`npm run build`, `npm run deploy`): the control plane with the real providers
 * only. It contains no sandbox: `SANDBOX=1` means nothing here, and `/sandbox/*` is an unknown route. The
 * local entry that mounts the sandbox is src/dev/index.ts (`npm start`, the tests).
 */
import { buildApp } from "./http/app";
import { errorBody } from "./http/errors";
import { monitorAll } from "./control/incidents";
import { expireAllPlans } from "./control/history";
import { appServices } from "./wiring";
import { publicUrlProblem } from "./domain/public-url";

export { EnvironmentDO } from "../durable-objects/environment";
export { RequestBudgetDO } from "../durable-objects/budget";

const app = buildApp();

export default {
  // Links in texts, Twilio's signature base and the webhook URLs setup registers all come from PUBLIC_URL:
  // a deployed Worker without a real one would send people to localhost, so it refuses to serve.
  async fetch(request, env, ctx) {
    const problem = publicUrlProblem(env.PUBLIC_URL);
    if (problem) return Response.json(errorBody("misconfigured", problem), { status: 503 });
    return app.fetch(request, env, ctx);
  },
  // The cron tick fans out to every monitored environment's object; each object's alarm is also its own
  // watchdog, so a missed tick only delays a check. Monitoring keeps going without PUBLIC_URL (its
  // texts still matter), but says so.
  async scheduled(controller, env, ctx) {
    const problem = publicUrlProblem(env.PUBLIC_URL);
    if (problem) console.error(`Infra Chat is misconfigured: ${problem}`);
    const services = appServices(env);
    ctx.waitUntil(Promise.all([monitorAll(services, controller.scheduledTime), expireAllPlans(services)]));
  },
} satisfies ExportedHandler<Env>;
