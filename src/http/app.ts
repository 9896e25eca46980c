import { Hono } from "hono";
import { secureHeaders } from "hono/secure-headers";
import { provideServices, REAL_WORLD, type WorldSelector } from "../wiring";
import { auditRoutes } from "./api/audit";
import { chatRoutes } from "./api/chat";
import { envRoutes } from "./api/envs";
import { peopleRoutes } from "./api/people";
import { projectRoutes } from "./api/projects";
import { runRoutes } from "./api/runs";
import { logRoutes } from "./api/logs";
import { incidentRoutes } from "./api/incidents";
import { sessionRoutes } from "./api/session";
import type { AppEnv } from "./auth";
import { bearerAuth } from "./auth";
import { errorBody, handleError } from "./errors";
import { openApiDocument } from "./openapi";
import { bootstrapRoutes } from "./bootstrap";
import { liveRoutes } from "./live";
import { redactJsonResponses } from "./redaction";
import { uiRoutes } from "./ui";
import { webhookRoutes } from "./webhooks";
import { edgeRoutes } from "./edge";

/** What an entry adds to the HTTP surface: its provider world, and routes of its own (the dev entry's /sandbox). */
export interface AppOptions {
  selectWorld?: WorldSelector;
  mount?: (app: Hono<AppEnv>) => void;
}

/** The Worker's HTTP surface: API under /api (bearer auth), webhooks, the web chat, and what the entry mounts. */
export function buildApp(options: AppOptions = {}) {
  const api = new Hono<AppEnv>()
    .route("/", peopleRoutes)
    .route("/", projectRoutes)
    .route("/", envRoutes)
    .route("/", runRoutes)
    .route("/", logRoutes)
    .route("/", auditRoutes)
    .route("/", chatRoutes)
    .route("/", incidentRoutes)
    .route("/", liveRoutes)
    .route("/", sessionRoutes);

  const app = new Hono<AppEnv>();
  app.use("*", secureHeaders());
  app.use("*", provideServices(options.selectWorld ?? REAL_WORLD));
  app.onError((err, c) => handleError(err, c));
  app.notFound((c) =>
    c.json(errorBody("not_found", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`), 404),
  );
  app.route("/", uiRoutes);
  app.get("/api/openapi.json", (c) => c.json(openApiDocument()));
  app.use("/api/*", redactJsonResponses());
  app.route("/api", bootstrapRoutes);
  app.use("/api/*", bearerAuth());
  app.route("/api", api);
  app.route("/webhooks", webhookRoutes);
  app.route("/edge", edgeRoutes);
  options.mount?.(app);
  return app;
}
