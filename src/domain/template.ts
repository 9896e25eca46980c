import { EnvironmentSpec } from "./spec";

/** The backfill jobs an app made from a template runs (its ops contract, `POST /ops/jobs/run`), by template. */
export const TEMPLATE_JOBS: Readonly<Record<string, readonly string[]>> = {
  "invoice-perfect": ["backfillTimezone", "fallbackTimezone"],
};

/** The Invoice Perfect template (spec §15): api, web, cron; Postgres required, storage recommended. */
export function invoicePerfectSpec(envName: string): EnvironmentSpec {
  const production = envName === "production";
  const staging = envName === "staging";
  const database = { component: "postgres", output: "DATABASE_URL" };
  return EnvironmentSpec.parse({
    services: {
      api: {
        source: { repo: "invoice-perfect/api", branch: "main" },
        startCommand: "node dist/server.js",
        healthPath: "/health",
        port: 3000,
        replicas: production ? 2 : 1,
        migrateCommand: "npx sequelize-cli db:migrate",
        env: {
          NODE_ENV: { value: production ? "production" : envName },
          DATABASE_URL: database,
          STRIPE_SECRET_KEY: { secret: "STRIPE_SECRET_KEY" },
          SENDGRID_API_KEY: { secret: "SENDGRID_API_KEY" },
        },
        // Redis is optional: declared here, wired (REDIS_URL) only once the component exists.
        dependsOn: ["postgres", "storage", "redis"],
      },
      web: {
        source: { repo: "invoice-perfect/web", branch: "main" },
        startCommand: "node server.js",
        healthPath: "/",
        port: 3001,
        replicas: production ? 2 : 1,
        env: { NODE_ENV: { value: production ? "production" : envName } },
      },
      cron: {
        kind: "cron",
        source: { repo: "invoice-perfect/cron", branch: "main" },
        startCommand: "node jobs/daily.js",
        schedule: "0 6 * * *",
        env: { NODE_ENV: { value: production ? "production" : envName }, DATABASE_URL: database },
        dependsOn: ["postgres"],
      },
    },
    components: { postgres: { type: "postgres", size: production ? "medium" : "small" }, storage: { type: "storage" } },
    domains: production
      ? { api: "api.invoiceperfect.com", web: "app.invoiceperfect.com" }
      : staging
        ? { api: "api.staging.invoiceperfect.com", web: "staging.invoiceperfect.com" }
        : {},
    connections:
      envName === "local" ? ["stripe", "sendgrid"] : ["railway", "cloudflare", "stripe", "sendgrid", "twilio"],
    policies: production
      ? {
          autoApply: false,
          requireApproval: true,
          canary: { enabled: true, steps: [10, 50, 100], soakSeconds: 300, trafficSplit: true },
          autoRollback: true,
        }
      : staging
        ? {
            autoApply: true,
            requireApproval: false,
            canary: { enabled: true, steps: [100], soakSeconds: 120, trafficSplit: false },
            autoRollback: true,
          }
        : { autoApply: true, requireApproval: false, canary: { enabled: false } },
  });
}
