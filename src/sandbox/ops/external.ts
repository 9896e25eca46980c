/**
 * A real app behind a simulated service: `POST /sandbox/apps {env, service, url}` says that, in one
 * environment, the containers of `service` (and its `-canary` / `-migrate` twins, same code) are the app
 * listening at `url` — in tests the Invoice Perfect fixture on localhost against a real PostgreSQL.
 * Then the service domain's `/ops/*` requests are forwarded to it, and a migration job's pre-deploy
 * command is run there (`POST /ops/migrate`, with `--to <name>` from the command) instead of simulated:
 * its output becomes the deployment's deploy log and its failure fails the deployment.
 *
 * The world stays synchronous: the call happens before the lifecycle advances (runExternalPreDeploys,
 * awaited by the router), its outcome is kept in meta, and the lifecycle only enters PRE_DEPLOY once the
 * outcome is there. A claim keeps concurrent requests from running the command twice.
 */
import { z } from "zod";
import { errorText } from "../../domain/errors";
import { serviceMatches } from "../faults";
import { listInProgress, currentDeployment, type DeploymentRow } from "../world/deployments";
import { instanceForHost } from "../world/custom-domains";
import { getEnvironment, getService } from "../world/entities";
import type { World } from "../world/store";
import { renderVariables } from "../world/variables";

export const attachAppSchema = z
  .object({
    env: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/),
    service: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/),
    /** Base URL of the app; null detaches it (back to the simulated app). */
    url: z.url({ protocol: /^https?$/ }).nullable(),
  })
  .strict();
export type AttachApp = z.infer<typeof attachAppSchema>;

/** The outcome of a pre-deploy command run by a real app. */
export interface ExternalPreDeploy {
  ok: boolean;
  exitCode: number | null;
  output: string;
  applied: string[];
}

type Claim = { status: "running"; at: number } | ({ status: "done" } & ExternalPreDeploy);

/** A claim older than this belongs to a call that died with its isolate: it may be made again. */
const STALE_CLAIM_MS = 10 * 60_000;
const MIGRATE_TIMEOUT_MS = 5 * 60_000;

const appKey = (env: string) => `external-apps:${env}`;
const claimKey = (deploymentId: string) => `external-predeploy:${deploymentId}`;

function attached(world: World, envName: string): Record<string, string> {
  return JSON.parse(world.getMeta(appKey(envName)) ?? "{}") as Record<string, string>;
}

/** Attaches (or with url null detaches) a real app to a service of an environment. */
export function attachApp(world: World, input: AttachApp): { env: string; service: string; url: string | null } {
  const apps = attached(world, input.env);
  if (input.url === null) delete apps[input.service];
  else apps[input.service] = input.url.replace(/\/$/, "");
  world.setMeta(appKey(input.env), JSON.stringify(apps));
  return { env: input.env, service: input.service, url: apps[input.service] ?? null };
}

/** The real app serving `serviceName` (or the service it is a twin of) in an environment, if any. */
export function externalAppUrl(world: World, envName: string, serviceName: string): string | null {
  const apps = attached(world, envName);
  const match = Object.keys(apps).find((s) => serviceMatches(s, serviceName));
  return match ? apps[match] : null;
}

function environmentName(world: World, environmentId: string): string | null {
  return getEnvironment(world, environmentId)?.name ?? null;
}

/** The real app that runs this deployment's migration pre-deploy command, or null (simulated). */
function externalFor(world: World, d: DeploymentRow): string | null {
  if (!(d.preDeploy ?? []).some((c) => /migrat/i.test(c)) || d.fail === "build" || d.fail === "migration") return null;
  const envName = environmentName(world, d.environmentId);
  const service = getService(world, d.serviceId);
  return envName && service ? externalAppUrl(world, envName, service.name) : null;
}

/** `--to <migration>` of a `sequelize-cli db:migrate` command, if the command names one. */
export function migrateTarget(commands: string[]): string | undefined {
  for (const c of commands) {
    const to = /--to[ =](\S+)/.exec(c)?.[1];
    if (to) return to.replace(/^["']|["']$/g, "");
  }
  return undefined;
}

/**
 * The outcome for a deployment whose pre-deploy runs in a real app: "pending" while the call has not
 * answered, the outcome once it has, and null for a simulated pre-deploy.
 */
export function externalPreDeploy(world: World, d: DeploymentRow): ExternalPreDeploy | "pending" | null {
  if (!externalFor(world, d)) return null;
  const claim = world.getMeta(claimKey(d.id));
  if (!claim) return "pending";
  const parsed = JSON.parse(claim) as Claim;
  return parsed.status === "done" ? parsed : "pending";
}

const MigrateAnswer = z.object({
  ok: z.boolean(),
  exitCode: z.number().int().nullable().optional(),
  output: z.string(),
  applied: z.array(z.string()),
});

/** Makes the due pre-deploy calls to real apps (once each); call before advanceDeployments. */
export async function runExternalPreDeploys(world: World, fetcher: typeof fetch): Promise<void> {
  const now = world.now();
  const due = listInProgress(world).filter(
    (d) => (d.phase === "QUEUED" || d.phase === "BUILDING") && d.createdAt + 2 * world.phaseMs <= now,
  );
  for (const d of due) {
    const url = externalFor(world, d);
    if (!url) continue;
    const claim = world.getMeta(claimKey(d.id));
    if (claim) {
      const parsed = JSON.parse(claim) as Claim;
      if (parsed.status === "done" || Date.now() - parsed.at < STALE_CLAIM_MS) continue;
    }
    world.setMeta(claimKey(d.id), JSON.stringify({ status: "running", at: Date.now() } satisfies Claim));
    const outcome = await callMigrate(world, d, url, fetcher);
    world.setMeta(claimKey(d.id), JSON.stringify({ status: "done", ...outcome } satisfies Claim));
  }
}

async function callMigrate(
  world: World,
  d: DeploymentRow,
  url: string,
  fetcher: typeof fetch,
): Promise<ExternalPreDeploy> {
  const to = migrateTarget(d.preDeploy ?? []);
  const token = renderVariables(world, d.projectId, d.environmentId, d.serviceId).OPS_TOKEN;
  try {
    const response = await fetcher(`${url}/ops/migrate`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(to ? { to } : {}),
      signal: AbortSignal.timeout(MIGRATE_TIMEOUT_MS),
    });
    const text = await response.text();
    const parsed = MigrateAnswer.safeParse(safeJson(text));
    if (!parsed.success)
      return {
        ok: false,
        exitCode: null,
        output: `POST /ops/migrate answered ${response.status}: ${text.slice(0, 500)}`,
        applied: [],
      };
    return {
      ok: parsed.data.ok && response.ok,
      exitCode: parsed.data.exitCode ?? null,
      output: parsed.data.output,
      applied: parsed.data.applied,
    };
  } catch (error) {
    return {
      ok: false,
      exitCode: null,
      output: `could not run the pre-deploy command in the app at ${url}: ${errorText(error)}`,
      applied: [],
    };
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Forwards an `/ops/*` request for a service domain to the real app attached to it, when there is one and
 * the service has a live deployment; null when the simulated app answers.
 */
export async function forwardOps(
  world: World,
  request: Request,
  text: string,
  fetcher: typeof fetch,
): Promise<Response | null> {
  const url = new URL(request.url);
  if (!url.pathname.startsWith("/ops/")) return null;
  const domain = instanceForHost(world, url.hostname);
  if (!domain) return null;
  const service = getService(world, domain.service_id);
  const envName = environmentName(world, domain.environment_id);
  if (!service || !envName) return null;
  const base = externalAppUrl(world, envName, service.name);
  if (!base || currentDeployment(world, service.id, domain.environment_id)?.phase !== "SUCCESS") return null;
  const headers: Record<string, string> = { "content-type": request.headers.get("content-type") ?? "application/json" };
  const auth = request.headers.get("authorization");
  if (auth) headers.authorization = auth;
  try {
    const answer = await fetcher(`${base}${url.pathname}${url.search}`, {
      method: request.method,
      headers,
      body: request.method === "GET" || request.method === "HEAD" ? undefined : text,
    });
    return new Response(await answer.text(), {
      status: answer.status,
      headers: { "content-type": answer.headers.get("content-type") ?? "application/json" },
    });
  } catch {
    // What Railway's edge says when the container does not answer.
    return new Response(JSON.stringify({ status: "error", code: 502, message: "Application failed to respond" }), {
      status: 502,
      headers: { "content-type": "application/json" },
    });
  }
}
