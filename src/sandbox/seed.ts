/**
 * The Invoice Perfect world (API.md "Seed"): live at v1 on staging and production, head v2 in every repo,
 * and a Cloudflare account with the active zone invoiceperfect.com.
 */
import { seedCloudflare } from "./cloudflare/zones";
import { registerProjectToken, SANDBOX_RAILWAY_PROJECT_TOKEN } from "./railway/auth";
import type { SandboxSeed, SeedAppService, SeedEnvName } from "./types";
import {
  createEnvironment,
  createProject,
  createServiceRow,
  ensureInstance,
  type InstanceSettings,
} from "./world/entities";
import { createDeployment } from "./world/deployments";
import { createServiceDomain } from "./world/domains";
import { advanceDeployments } from "./world/lifecycle";
import { recordMigrations } from "./world/migrations";
import { addCommit, type RepoCommit } from "./world/repos";
import type { World } from "./world/store";
import { expandTemplateFunctions, TEMPLATES } from "./world/templates";
import { upsertVariables } from "./world/variables";

const SEED_KEY = "seed:invoice-perfect";
const HOUR = 3_600_000;
const APP_SERVICES: readonly SeedAppService[] = ["api", "web", "cron"];
const ENVS: readonly SeedEnvName[] = ["staging", "production"];

/** What each app service looks like on Railway before Infra Chat touches it. */
const APPS: Record<
  SeedAppService,
  {
    settings: InstanceSettings;
    variables: Record<string, string>;
    port: number | null;
    migrations: [string[], string[]];
  }
> = {
  api: {
    settings: { startCommand: "node dist/server.js", healthcheckPath: "/health" },
    variables: { PORT: "3000", DATABASE_URL: "${{Postgres.DATABASE_URL}}" },
    port: 3000,
    migrations: [
      ["20260101000000-create-users", "20260115000000-create-invoices"],
      ["20261101000000-add-timezone-to-users"],
    ],
  },
  web: { settings: { healthcheckPath: "/" }, variables: { PORT: "3001" }, port: 3001, migrations: [[], []] },
  cron: {
    settings: { cronSchedule: "0 6 * * *" },
    variables: { DATABASE_URL: "${{Postgres.DATABASE_URL}}" },
    port: null,
    migrations: [[], []],
  },
};

// The same expansion the postgres template performs, so seeded and template-made databases look alike.
function postgresVariables(): Record<string, string> {
  const template = TEMPLATES.find((t) => t.code === "postgres");
  const service = template ? Object.values(template.serializedConfig.services)[0] : undefined;
  const out: Record<string, string> = {};
  for (const [name, entry] of Object.entries(service?.variables ?? {})) {
    out[name] = expandTemplateFunctions(entry.defaultValue ?? "");
  }
  return out;
}

// The known project token tests use (railway/auth.ts): staging of Invoice Perfect, as its dashboard would mint it.
function registerSeedProjectToken(world: World, projectId: string, stagingId: string): void {
  registerProjectToken(world, SANDBOX_RAILWAY_PROJECT_TOKEN, { name: "sandbox", projectId, environmentId: stagingId });
}

/** Creates the world once; later calls return the same ids. */
export function seedInvoicePerfect(world: World): SandboxSeed {
  const existing = world.getMeta(SEED_KEY);
  if (existing) {
    const seed = JSON.parse(existing) as Partial<SandboxSeed> & Omit<SandboxSeed, "cloudflare">;
    // A world seeded before project tokens existed gets its token now (registering twice changes nothing).
    registerSeedProjectToken(world, seed.railway.projectId, seed.railway.environments.staging);
    if (seed.cloudflare) return { ...seed, cloudflare: seed.cloudflare };
    // A world seeded before Cloudflare existed gets its zone now; the Railway ids stay as they were.
    const upgraded: SandboxSeed = { ...seed, cloudflare: seedCloudflare(world) };
    world.setMeta(SEED_KEY, JSON.stringify(upgraded));
    return upgraded;
  }

  const now = world.now();
  const project = createProject(world, "Invoice Perfect", "Invoices that are perfect");
  const envs = {
    production: createEnvironment(world, project.id, "production"),
    staging: createEnvironment(world, project.id, "staging"),
  };

  const commits = {} as Record<SeedAppService, { v1: RepoCommit; v2: RepoCommit }>;
  for (const name of APP_SERVICES) {
    const repo = `invoice-perfect/${name}`;
    const [v1Migrations, v2Migrations] = APPS[name].migrations;
    commits[name] = {
      v1: addCommit(world, repo, { message: "v1", tag: "v1", migrations: v1Migrations, at: now - 48 * HOUR }),
      v2: addCommit(world, repo, { message: "v2", tag: "v2", migrations: v2Migrations, at: now - HOUR }),
    };
  }

  const services = {} as Record<SeedAppService | "Postgres", string>;
  const postgres = createServiceRow(
    world,
    project.id,
    "Postgres",
    null,
    "https://devicons.railway.app/i/postgresql.svg",
    TEMPLATES[0]?.id ?? null,
  );
  services.Postgres = postgres.id;
  for (const name of APP_SERVICES) services[name] = createServiceRow(world, project.id, name, "main").id;

  const live = { staging: {}, production: {} } as SandboxSeed["live"];
  for (const envName of ENVS) {
    const env = envs[envName];
    const pgInstance = ensureInstance(world, postgres.id, env.id, {
      source: { image: "ghcr.io/railwayapp-templates/postgres-ssl:17" },
      numReplicas: 1,
    });
    upsertVariables(world, env.id, postgres.id, postgresVariables());
    createDeployment(world, {
      instance: pgInstance,
      commit: null,
      image: "ghcr.io/railwayapp-templates/postgres-ssl:17",
      reason: "template",
      at: now - 47 * HOUR,
    });
    for (const name of APP_SERVICES) {
      const app = APPS[name];
      // Connected to its repository as a person does it in Railway's dashboard: auto-deploy on, Railway's
      // default, until someone (Infra Chat's reconcile) turns it off.
      // Production serves api and web from two replicas, as Invoice Perfect's desired state says: a fresh
      // world must not look drifted the moment monitoring starts.
      const numReplicas = envName === "production" && name !== "cron" ? 2 : 1;
      const instance = ensureInstance(world, services[name], env.id, {
        source: { repo: `invoice-perfect/${name}`, image: null },
        numReplicas,
        ...app.settings,
      });
      upsertVariables(world, env.id, services[name], app.variables);
      if (app.port !== null) createServiceDomain(world, services[name], env.id, app.port);
      const v1 = commits[name].v1;
      // Created in the past so the lifecycle plays out (logs included) and is SUCCESS at any time scale.
      const deployment = createDeployment(world, {
        instance,
        commit: { ...v1, branch: "main" },
        image: null,
        reason: "deploy",
        at: now - 46 * HOUR,
      });
      live[envName][name] = { commitSha: v1.sha, deploymentId: deployment.id };
    }
    recordMigrations(world, env.id, APPS.api.migrations[0], now - 46 * HOUR, null);
  }
  advanceDeployments(world);
  registerSeedProjectToken(world, project.id, envs.staging.id);

  const seed: SandboxSeed = {
    railway: {
      projectId: project.id,
      environments: { staging: envs.staging.id, production: envs.production.id },
      services: { api: services.api, web: services.web, cron: services.cron, Postgres: services.Postgres },
    },
    repos: { api: "invoice-perfect/api", web: "invoice-perfect/web", cron: "invoice-perfect/cron" },
    live,
    headCommit: {
      api: { sha: commits.api.v2.sha, message: "v2" },
      web: { sha: commits.web.v2.sha, message: "v2" },
      cron: { sha: commits.cron.v2.sha, message: "v2" },
    },
    cloudflare: seedCloudflare(world),
  };
  world.setMeta(SEED_KEY, JSON.stringify(seed));
  return seed;
}
