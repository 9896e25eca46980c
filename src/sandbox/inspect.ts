/** Views of the world for people and tests: the masked state snapshot, and unmasked per-service lookups. */
import { accountSettings, zoneSslMode, type AccountSettings } from "./account";
import { cloudflareState, type CloudflareState } from "./cloudflare/store";
import { edgeView } from "./traffic/edge-reports";
import { projectTokenViews } from "./railway/auth";
import { budgetViews, type BudgetView } from "./railway/budget";
import { sendgridState, type SendGridDomain, type SendGridSender } from "./sendgrid/store";
import { stripeState, type StripeEndpoint } from "./stripe/store";
import { envNameOf, listFaults } from "./faults";
import { hasUsers, userCounts } from "./ops/users";
import { MASK } from "./request-log";
import { BASE_RPS, listGroupLevels } from "./traffic/shares";
import { callbackViews, type StatusCallbackView } from "./twilio/callbacks";
import { outbox, type SentSms } from "./twilio/outbox";
import type { DeploymentSummary, StoredFault } from "./types";
import {
  listEnvironments,
  listInstances,
  listProjects,
  listServices,
  type EnvironmentRow,
  type InstanceSettings,
  type ServiceRow,
} from "./world/entities";
import { listDeployments, statusOf } from "./world/deployments";
import { customDomainStatus, listCustomDomains } from "./world/custom-domains";
import { listDomains } from "./world/domains";
import { appliedMigrations } from "./world/migrations";
import { listCommits, listRepos, tagsBySha } from "./world/repos";
import { iso, type World } from "./world/store";
import { getVariables, SHARED } from "./world/variables";

/** The whole simulated world, every variable value masked (`GET /sandbox/state`). */
export interface SandboxState {
  timeScale: number;
  /** The accounts' plan and settings (`POST /sandbox/account`). */
  account: AccountSettings;
  /** Request budgets per token: Railway's hourly window by plan (railway/budget.ts). */
  budgets: { railway: BudgetView[] };
  /** Railway project tokens the world knows, by fingerprint (railway/auth.ts). */
  railwayProjectTokens: ReturnType<typeof projectTokenViews>;
  projects: { id: string; name: string; createdAt: string }[];
  environments: { id: string; projectId: string; name: string }[];
  services: { id: string; projectId: string; name: string; branch: string | null }[];
  instances: {
    id: string;
    serviceId: string;
    service: string;
    environmentId: string;
    environment: string;
    settings: InstanceSettings;
  }[];
  deployments: {
    id: string;
    service: string;
    environment: string;
    status: string;
    commitSha: string | null;
    commitMessage: string | null;
    image: string | null;
    reason: string;
    createdAt: string;
    statusUpdatedAt: string;
  }[];
  variables: { environment: string; service: string | null; values: Record<string, string> }[];
  domains: { id: string; domain: string; service: string; environment: string; targetPort: number | null }[];
  /** Railway custom domains: the CNAME target each needs and whether its TXT proof is in a sandbox zone. */
  customDomains: {
    id: string;
    domain: string;
    service: string;
    environment: string;
    target: string;
    verified: boolean;
    certificateStatus: string;
  }[];
  repos: {
    repo: string;
    commits: { sha: string; message: string; date: string; migrations: string[]; tags: string[] }[];
  }[];
  faults: StoredFault[];
  /** Services whose traffic level `POST /sandbox/traffic` set; the rest get the default. */
  traffic: { default: number; levels: { environment: string; service: string; rps: number }[] };
  migrations: { environment: string; applied: { name: string; appliedAt: string; deploymentId: string | null }[] }[];
  tokens: { fingerprint: string; kind: string; firstSeen: string; lastSeen: string; uses: number }[];
  requestCount: number;
  /** Zones, DNS records, monitors, pools (with origin weights) and load balancers (with pool weights). */
  cloudflare: CloudflareState;
  /** Stripe webhook endpoints of both modes (never their signing secrets). */
  stripe: { webhookEndpoints: StripeEndpoint[] };
  /** SendGrid authenticated domains (with each record's validity) and single senders. */
  sendgrid: { domains: SendGridDomain[]; senders: SendGridSender[] };
  /** The Twilio outbox, newest first. */
  sms: SentSms[];
  /** Twilio status callbacks planned for messages sent with a StatusCallback, newest first, and what became of each. */
  twilio: { statusCallbacks: StatusCallbackView[] };
  /** Edge routers: each config as served (from which simulated second), and their reports per step. */
  edge: ReturnType<typeof edgeView>;
  /** The simulated app's users per environment name, once the ops contract created them there. */
  appUsers: Record<string, { total: number; filled: number }>;
}

// Keyed by name for people reading the state; on a name clash the oldest project (the seed) wins.
function appUsersOf(world: World, envs: EnvironmentRow[]): SandboxState["appUsers"] {
  const out: SandboxState["appUsers"] = {};
  for (const e of envs) if (!(e.name in out) && hasUsers(world, e.id)) out[e.name] = userCounts(world, e.id);
  return out;
}

function withZoneSsl(world: World, cf: CloudflareState): CloudflareState {
  return { ...cf, zones: cf.zones.map((z) => ({ ...z, ssl: zoneSslMode(world, z.id).value })) };
}

function masked(values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(values).map((k) => [k, MASK]));
}

/** Builds the masked snapshot. */
export function worldState(world: World): SandboxState {
  const projects = listProjects(world);
  const envs = projects.flatMap((p) => listEnvironments(world, p.id));
  const services = projects.flatMap((p) => listServices(world, p.id));
  const envName = new Map(envs.map((e) => [e.id, e.name]));
  const svcName = new Map(services.map((s) => [s.id, s.name]));
  const instances = listInstances(world);
  return {
    timeScale: world.timeScale,
    account: accountSettings(world),
    budgets: { railway: budgetViews(world) },
    railwayProjectTokens: projectTokenViews(world),
    projects: projects.map((p) => ({ id: p.id, name: p.name, createdAt: iso(p.created_at) })),
    environments: envs.map((e) => ({ id: e.id, projectId: e.project_id, name: e.name })),
    services: services.map((s) => ({ id: s.id, projectId: s.project_id, name: s.name, branch: s.branch })),
    instances: instances.map((i) => ({
      id: i.id,
      serviceId: i.serviceId,
      service: svcName.get(i.serviceId) ?? "",
      environmentId: i.environmentId,
      environment: envName.get(i.environmentId) ?? "",
      settings: i.settings,
    })),
    deployments: listDeployments(world).map((d) => ({
      id: d.id,
      service: svcName.get(d.serviceId) ?? "",
      environment: envName.get(d.environmentId) ?? "",
      status: statusOf(d.phase),
      commitSha: d.commitSha,
      commitMessage: d.meta.commitMessage ?? null,
      image: d.image,
      reason: d.meta.reason,
      createdAt: iso(d.createdAt),
      statusUpdatedAt: iso(d.statusUpdatedAt),
    })),
    variables: envs.flatMap((e) => [
      { environment: e.name, service: null, values: masked(getVariables(world, e.id, SHARED)) },
      ...instances
        .filter((i) => i.environmentId === e.id)
        .map((i) => ({
          environment: e.name,
          service: svcName.get(i.serviceId) ?? null,
          values: masked(getVariables(world, e.id, i.serviceId)),
        })),
    ]),
    domains: listDomains(world).map((d) => ({
      id: d.id,
      domain: d.domain,
      service: svcName.get(d.service_id) ?? "",
      environment: envName.get(d.environment_id) ?? "",
      targetPort: d.target_port,
    })),
    customDomains: listCustomDomains(world).map((d) => {
      const status = customDomainStatus(world, d);
      return {
        id: d.id,
        domain: d.domain,
        service: svcName.get(d.service_id) ?? "",
        environment: envName.get(d.environment_id) ?? "",
        target: d.target,
        verified: status.verified,
        certificateStatus: status.certificateStatus,
      };
    }),
    repos: listRepos(world).map((repo) => {
      const tags = tagsBySha(world, repo);
      return {
        repo,
        commits: listCommits(world, repo).map((c) => ({
          sha: c.sha,
          message: c.message,
          date: c.date,
          migrations: c.migrations,
          tags: tags.get(c.sha) ?? [],
        })),
      };
    }),
    faults: listFaults(world),
    traffic: {
      default: BASE_RPS,
      levels: listGroupLevels(world).map((l) => ({
        environment: envName.get(l.environmentId) ?? l.environmentId,
        service: l.group,
        rps: l.rps,
      })),
    },
    migrations: envs.map((e) => ({ environment: e.name, applied: appliedMigrations(world, e.id) })),
    tokens: world
      .rows<{ fingerprint: string; kind: string; first_seen: number; last_seen: number; uses: number }>(
        "SELECT * FROM tokens",
      )
      .map((t) => ({
        fingerprint: t.fingerprint,
        kind: t.kind,
        firstSeen: iso(t.first_seen),
        lastSeen: iso(t.last_seen),
        uses: t.uses,
      })),
    requestCount: world.first<{ n: number }>("SELECT COUNT(*) AS n FROM requests")?.n ?? 0,
    cloudflare: withZoneSsl(world, cloudflareState(world)),
    stripe: { webhookEndpoints: stripeState(world) },
    sendgrid: sendgridState(world),
    sms: outbox(world),
    twilio: { statusCallbacks: callbackViews(world) },
    edge: edgeView(world),
    appUsers: appUsersOf(world, envs),
  };
}

/**
 * The service named `serviceName` in the environment named `envName` (`<slug>:<name>` accepted), or null.
 * Projects are searched oldest first, so the seeded Invoice Perfect wins a name clash.
 */
export function findServiceIn(
  world: World,
  envName: string,
  serviceName: string,
): { env: EnvironmentRow; service: ServiceRow } | null {
  const name = envNameOf(envName);
  for (const project of listProjects(world)) {
    const env = listEnvironments(world, project.id).find((e) => e.name === name);
    const service = listServices(world, project.id).find((s) => s.name === serviceName);
    if (env && service) return { env, service };
  }
  return null;
}

/** Unmasked raw variables of one service (tests only); a service that does not exist has none. */
export function variablesOf(world: World, envName: string, serviceName: string): Record<string, string> {
  const found = findServiceIn(world, envName, serviceName);
  return found ? getVariables(world, found.env.id, found.service.id) : {};
}

/** Deployments of one service in one environment, newest first; none for a service that does not exist. */
export function deploymentsOf(world: World, envName: string, serviceName: string): DeploymentSummary[] {
  const found = findServiceIn(world, envName, serviceName);
  if (!found) return [];
  const { env, service } = found;
  return listDeployments(world, { serviceId: service.id, environmentId: env.id }).map((d) => ({
    id: d.id,
    status: statusOf(d.phase),
    commitSha: d.commitSha,
    commitMessage: d.meta.commitMessage ?? null,
    createdAt: iso(d.createdAt),
  }));
}
