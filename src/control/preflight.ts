/**
 * Plan-time preflight (issue 14, item 6): what a run will need from the provider accounts, read before the
 * plan exists, so a run never fails halfway for a reason it could have known. Reads only: a refused plan
 * has written nothing anywhere. Checks per canary router kind: a canary the policy puts on the Cloudflare
 * load balancer needs the account's Load Balancing add-on (without a choice, such an account gets the edge
 * router, which needs none, and the plan says so); any proxied hostname in front of Railway needs the zone's SSL/TLS mode
 * at Full or Strict (Railway redirects HTTP to HTTPS, so Flexible loops).
 */
import type { EnvRow } from "../db/environments";
import { AppError, errorText } from "../domain/errors";
import type { EnvironmentSpec } from "../domain/spec";
import type { PlanOutput } from "../plan/deploy";
import { isLoadBalancingSubscription, type CloudflareSubscription } from "../providers/cloudflare/api";
import { canaryPlan } from "../plan/deploy";
import { DeployParams } from "../domain/run";
import type { ControlContext } from "./context";
import { railwayConnection } from "./railway-settings";
import { floorFor, type BudgetView } from "../budget/bucket";

/** How a weighted canary splits traffic: a Cloudflare load balancer, or the edge router (a Worker on the zone). */
export type CanaryRouterKind = "load-balancer" | "edge";

/**
 * The router the environment's policy names for canaries, or null when it names none (decided when the
 * canary starts: the load balancer where the account has the Load Balancing add-on, else the edge router).
 */
export function canaryRouterKind(spec: EnvironmentSpec): CanaryRouterKind | null {
  return spec.policies.canary.router ?? null;
}

/** What preflight found that people should know, without refusing the plan. */
export interface PreflightResult {
  notes: string[];
}

const EDGE_ROUTER =
  'or set the environment\'s canary router to "edge" (policies.canary.router): the edge router, a Worker on your zone, needs no add-on';

/** A provider read preflight depends on: its value, or why it failed (judged once the plan exists). */
type Read<T> = { ok: true; value: T } | { ok: false; error: string } | null;

/** What preflight reads about the accounts, started before planning so both go on at once. */
export interface PreflightFacts {
  tokenKind: string | undefined;
  tokenError: unknown;
  budget: Read<BudgetView>;
  ssl: Read<string>;
  subscriptions: Read<CloudflareSubscription[]>;
}

const settle = async <T>(read: () => Promise<T>): Promise<Read<T>> => {
  try {
    return { ok: true, value: await read() };
  } catch (e) {
    return { ok: false, error: errorText(e) };
  }
};

/**
 * Starts every read a plan of this kind may need (never rejects): the Railway connection's last check and its
 * budget, the zone's SSL/TLS mode where hostnames or a canary would be behind it, the account's subscriptions
 * where a load-balancer canary may split. Run beside the planner's own reads: chat → plan latency is budgeted.
 */
export async function readPreflightFacts(
  cx: ControlContext,
  row: EnvRow,
  spec: EnvironmentSpec,
  request: { type: string; params: Record<string, unknown> },
): Promise<PreflightFacts> {
  const zone = row.bindings.cloudflare;
  const cloudflare = zone ? cx.providers().connections.cloudflare : null;
  const shapes = ["deploy", "setup", "migrate", "reconcile"].includes(request.type);
  const splits =
    request.type === "deploy" && canaryPlan(spec, DeployParams.safeParse(request.params).data?.canary) !== null;
  const budget = cx.railwayBudget();
  const [connection, budgetView, ssl, subscriptions] = await Promise.all([
    spec.connections.includes("railway") ? railwayConnection(cx, row.projectId).catch(() => null) : null,
    spec.connections.includes("railway") && budget ? settle(() => budget.view()) : null,
    zone && cloudflare && (splits || (shapes && Object.keys(spec.domains).length))
      ? settle(() => cloudflare.zoneSslMode(zone.zoneId))
      : null,
    zone && cloudflare && splits && canaryRouterKind(spec) !== "edge"
      ? settle(() => cloudflare.listSubscriptions(zone.accountId))
      : null,
  ]);
  return {
    tokenKind: connection?.metadata.tokenKind,
    tokenError: connection?.metadata.error,
    budget: budgetView,
    ssl,
    subscriptions,
  };
}

/** Refuses the plan (409, with the reason and the fix) or returns notes for its risk. */
export function judgePreflight(
  facts: PreflightFacts,
  row: EnvRow,
  spec: EnvironmentSpec,
  output: PlanOutput,
): PreflightResult {
  const notes: string[] = [];
  const touchesRailway = spec.connections.includes("railway") && output.steps.some((s) => s.kind !== "render-local");
  if (touchesRailway) {
    requireAccountToken(facts, row);
    const budget = facts.budget?.ok ? budgetNote(facts.budget.value, output) : null;
    if (budget) notes.push(budget);
  }
  const canary = output.steps.find((s) => s.kind === "canary-split");
  const shapesHostnames =
    output.steps.some((s) => s.kind === "reconcile-shape") && Object.keys(spec.domains).length > 0;
  const zone = row.bindings.cloudflare;
  if (!zone || (!canary && !shapesHostnames)) return { notes };
  const router = canaryRouterKind(spec);
  const subscriptions = canary && router !== "edge" ? value(facts.subscriptions, "Account › Billing › Read") : null;
  if (canary && subscriptions && !subscriptions.some(isLoadBalancingSubscription)) {
    const hostname = spec.domains[canary.params.service] ?? "its hostname";
    if (router === "load-balancer")
      refuse(
        `the Cloudflare account of ${zone.zoneName} has no Load Balancing, so the canary cannot split ${hostname} with a load balancer: Load Balancing is a paid add-on (Cloudflare dashboard › Traffic › Load Balancing). Enable it and plan again, deploy without a traffic split, ${EDGE_ROUTER}.`,
      );
    notes.push(
      `preflight: the Cloudflare account of ${zone.zoneName} has no Load Balancing, so the canary splits ${hostname} with the edge router (a Worker Infra Chat uploads to the zone)`,
    );
  }
  const ssl = value(facts.ssl, "Zone › Zone Settings › Read");
  if (ssl !== null && ssl !== "full" && ssl !== "strict") {
    const problem = `the SSL/TLS mode of ${zone.zoneName} is ${ssl === "off" ? "Off" : "Flexible"}: Cloudflare reaches Railway over plain HTTP, Railway redirects it to HTTPS, and every request through the hostname loops`;
    const fix = `set SSL/TLS to Full (or Full (strict)) in the Cloudflare dashboard (${zone.zoneName} › SSL/TLS › Overview)`;
    if (canary)
      refuse(
        `${problem}. A canary behind it would break ${spec.domains[canary.params.service]}: ${fix}, then plan again.`,
      );
    notes.push(`preflight: ${problem}; ${fix}`);
  }
  return { notes };
}

/** A read's value; a failed read (a token without the permission) is itself a reason to refuse. */
function value<T>(read: Read<T>, permission: string): T | null {
  if (read === null) return null;
  if (read.ok) return read.value;
  refuse(
    `preflight could not read what this run needs from Cloudflare (${read.error}): give the Cloudflare token ${permission}, or check it is active, then plan again.`,
  );
}

/** About how many Railway requests each step kind sends (reads, writes and polls), for the budget note. */
const REQUESTS_PER_STEP: Partial<Record<PlanOutput["steps"][number]["kind"], number>> = {
  preflight: 1,
  "reconcile-shape": 20,
  "reconcile-config": 10,
  migrate: 8,
  "deploy-service": 8,
  "rollback-service": 8,
  "canary-split": 2,
  "canary-step": 40,
  "canary-promote": 8,
  "ensure-environment": 3,
  "ensure-component": 6,
  "restart-service": 8,
  backfill: 10,
};

/** Says so when Railway's budget cannot cover the run this hour: the run will wait for the next one. */
function budgetNote(view: BudgetView, output: PlanOutput): string | null {
  const needed = output.steps.reduce((n, s) => n + (REQUESTS_PER_STEP[s.kind] ?? 0), 0);
  const usable = view.remaining - floorFor("run", view.limit);
  if (needed <= usable) return null;
  return `preflight: Railway's request budget has ${view.remaining} of ${view.limit} left until ${view.resetsAt.slice(11, 16)} UTC (${view.plan} plan) and this run needs about ${needed}: it will wait for Railway's next hour where the budget runs out`;
}

/** A project token cannot list or create projects: every Railway run needs an account or workspace token. */
function requireAccountToken(facts: PreflightFacts, row: EnvRow): void {
  if (facts.tokenKind === "project" || facts.tokenKind === "invalid")
    refuse(
      `the Railway connection's token was refused at its last check (${String(facts.tokenError ?? facts.tokenKind)}): set an account or workspace token as RAILWAY_API_TOKEN, verify the connections (POST /api/projects/${row.projectSlug}/connections/verify), then plan again.`,
    );
}

function refuse(reason: string): never {
  throw new AppError("conflict", `Refused at plan time: ${reason}`, { preflight: reason });
}
