/** Fault knobs: stored until cleared or counted down per hit; deploy faults are one-shot by default (API.md "Sandbox"). */
import type { AppFault, DeployFault, FaultProvider, ProviderFault, SandboxFault, StoredFault } from "./types";
import { iso, newId, parseJson, type World } from "./world/store";

type FaultRow = { id: string; seq: number; spec: string; remaining: number | null; created_at: number };

function toStored(row: FaultRow): StoredFault {
  return { ...parseJson<SandboxFault>(row.spec), id: row.id, remaining: row.remaining, createdAt: iso(row.created_at) };
}

/** A deploy fault hits the next deployment only, unless counted or made sticky; other kinds last until cleared. */
function hitsAllowed(fault: SandboxFault): number | null {
  if (fault.count !== undefined) return fault.count;
  return fault.kind === "deploy" && !fault.sticky ? 1 : null;
}

/** Stores a validated fault. */
export function addFault(world: World, fault: SandboxFault): StoredFault {
  const row: FaultRow = {
    id: newId(),
    seq: world.nextSeq("fault"),
    spec: JSON.stringify(fault),
    remaining: hitsAllowed(fault),
    created_at: world.now(),
  };
  world.run("INSERT INTO faults VALUES (?, ?, ?, ?, ?)", row.id, row.seq, row.spec, row.remaining, row.created_at);
  return toStored(row);
}

/** Every active fault, oldest first. */
export function listFaults(world: World): StoredFault[] {
  return world.rows<FaultRow>("SELECT * FROM faults ORDER BY seq").map(toStored);
}

/** Removes every fault. */
export function clearFaults(world: World): void {
  world.run("DELETE FROM faults");
}

/** Counts one hit of a fault: a counted fault disappears when it reaches zero. */
function consume(world: World, fault: StoredFault): void {
  if (fault.remaining === null) return;
  if (fault.remaining <= 1) world.run("DELETE FROM faults WHERE id = ?", fault.id);
  else world.run("UPDATE faults SET remaining = remaining - 1 WHERE id = ?", fault.id);
}

/** `invoice-perfect:staging` and `staging` name the same environment here (the slug is Infra Chat's). */
export function envNameOf(env: string): string {
  const colon = env.lastIndexOf(":");
  return colon < 0 ? env : env.slice(colon + 1);
}

/** "api" also hits "api-canary" and "api-migrate": same repo, same code. */
export function serviceMatches(faultService: string, serviceName: string): boolean {
  return serviceName === faultService || serviceName.startsWith(`${faultService}-`);
}

// REST paths carry ids the test cannot know in advance, so `*` matches any one path segment.
function operationMatches(pattern: string, operation: string): boolean {
  if (!pattern.includes("*")) return pattern === operation;
  const regex = pattern
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join("[^/]+");
  return new RegExp(`^${regex}$`).test(operation);
}

// A delivery fault changes how a text ends, not how the request is answered: only takeDeliveryFault uses it.
function isDeliveryFault(fault: ProviderFault): boolean {
  return fault.status === "undelivered" || fault.status === "failed";
}

/** The oldest provider fault for `provider`, counted as hit; null when the provider is healthy. */
export function takeProviderFault(
  world: World,
  provider: FaultProvider,
  operation = "",
): (ProviderFault & StoredFault) | null {
  for (const fault of listFaults(world)) {
    if (
      fault.kind === "provider" &&
      fault.provider === provider &&
      !isDeliveryFault(fault) &&
      (!fault.operation || operationMatches(fault.operation, operation))
    ) {
      consume(world, fault);
      return fault;
    }
  }
  return null;
}

/** How the next accepted text must end under the oldest Twilio delivery fault, counted as hit; null = delivered. */
export function takeDeliveryFault(world: World): { outcome: "undelivered" | "failed"; errorCode: number } | null {
  for (const fault of listFaults(world)) {
    if (fault.kind !== "provider" || fault.provider !== "twilio" || !isDeliveryFault(fault)) continue;
    consume(world, fault);
    const outcome = fault.status === "failed" ? "failed" : "undelivered";
    return { outcome, errorCode: fault.errorCode ?? (outcome === "failed" ? 30008 : 30034) };
  }
  return null;
}

/**
 * The failure a new deployment of `serviceName` in `envName` is doomed to, counted as hit.
 * Decided when the deployment is created, so `count` means "this many deployments".
 * A migration fault only hits deployments that run a pre-deploy command.
 */
export function takeDeployFault(
  world: World,
  envName: string,
  serviceName: string,
  hasPreDeploy: boolean,
): DeployFault["fail"] | null {
  for (const fault of listFaults(world)) {
    if (fault.kind !== "deploy") continue;
    if (envNameOf(fault.env) !== envName || !serviceMatches(fault.service, serviceName)) continue;
    if (fault.fail === "migration" && !hasPreDeploy) continue;
    consume(world, fault);
    return fault.fail;
  }
  return null;
}

/** Whether a crash fault currently targets this service (a restart cannot cure a crash that is still injected). */
export function hasCrashFault(world: World, envName: string, serviceName: string): boolean {
  return listFaults(world).some(
    (f) =>
      f.kind === "deploy" &&
      f.fail === "crash" &&
      envNameOf(f.env) === envName &&
      serviceMatches(f.service, serviceName),
  );
}

/** App faults that apply to one running service (`track` canary = a service named `<service>-canary`). */
export function appFaultsFor(world: World, envName: string, serviceName: string): (AppFault & StoredFault)[] {
  const track = serviceName.endsWith("-canary") ? "canary" : "stable";
  const out: (AppFault & StoredFault)[] = [];
  for (const fault of listFaults(world)) {
    if (fault.kind !== "app" || envNameOf(fault.env) !== envName) continue;
    if (fault.track !== "all" && fault.track !== track) continue;
    if (serviceMatches(fault.service, serviceName)) out.push(fault);
  }
  return out;
}

/** Counts one hit of an app fault (a real request to the app; simulated traffic never consumes faults, so samples stay repeatable). */
export function consumeAppFault(world: World, fault: StoredFault): void {
  consume(world, fault);
}
