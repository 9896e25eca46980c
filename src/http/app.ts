import { Hono } from "hono";
import { secureHeaders } from "hono/secure-headers";
import { AppError } from "../domain/errors";
import { provideServices } from "../wiring";
import { auditRoutes } from "./api/audit";
import { chatRoutes } from "./api/chat";
import { envRoutes } from "./api/envs";
import { peopleRoutes } from "./api/people";
import { projectRoutes } from "./api/projects";
import { runRoutes } from "./api/runs";
import { incidentRoutes } from "./api/incidents";
import { sessionRoutes } from "./api/session";
import type { AppEnv } from "./auth";
import { bearerAuth } from "./auth";
import { errorBody, handleError } from "./errors";
import { openApiDocument } from "./openapi";
import { sandboxRoutes } from "./sandbox";
import { liveRoutes } from "./live";
import { uiRoutes } from "./ui";
import { webhookRoutes } from "./webhooks";
import { edgeRoutes } from "./edge";

/** The Worker's HTTP surface: API under /api (bearer auth), sandbox under /sandbox when on. */
export function buildApp() {
  const api = new Hono<AppEnv>()
    .route("/", peopleRoutes)
    .route("/", projectRoutes)
    .route("/", envRoutes)
    .route("/", runRoutes)
    .route("/", auditRoutes)
    .route("/", chatRoutes)
    .route("/", incidentRoutes)
    .route("/", liveRoutes)
    .route("/", sessionRoutes);

  const app = new Hono<AppEnv>();
  app.use("*", secureHeaders());
  app.use("*", provideServices());
  app.onError((err, c) => handleError(err, c));
  app.notFound((c) =>
    c.json(errorBody("not_found", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`), 404),
  );
  app.route("/", uiRoutes);
  app.get("/api/openapi.json", (c) => c.json(openApiDocument()));
  app.use("/api/*", bearerAuth());
  app.route("/api", api);
  app.route("/webhooks", webhookRoutes);
  app.route("/edge", edgeRoutes);
  app.use("/sandbox/*", async function sandboxOnly(c, next) {
    if (!c.var.services.sandbox) throw new AppError("not_found", "the sandbox is off (SANDBOX=1 turns it on)");
    await next();
  });
  app.route("/sandbox", sandboxRoutes);
  return app;
}
