/**
 * Plan-time preflight (issue 14, item 6): what a run will need from the provider accounts, read before the
 * plan exists, so a run never fails halfway for a reason it could have known. Reads only: a refused plan
 * has written nothing anywhere. Checks per canary router kind: the Cloudflare load balancer needs the
 * account's Load Balancing add-on; any proxied hostname in front of Railway needs the zone's SSL/TLS mode
 * at Full or Strict (Railway redirects HTTP to HTTPS, so Flexible loops).
 */
import type { EnvRow } from "../db/environments";
import { AppError, errorText } from "../domain/errors";
import type { EnvironmentSpec } from "../domain/spec";
import type { PlanOutput } from "../plan/deploy";
import { isLoadBalancingSubscription } from "../providers/cloudflare/api";
import type { ControlContext } from "./context";
import { railwayConnection } from "./railway-settings";
import { floorFor } from "../budget/bucket";

/** How a weighted canary splits traffic. The edge router (a Worker on the customer's zone) is the second kind. */
export type CanaryRouterKind = "load-balancer";

/** The router a plan's canary would use: the load balancer until the edge router can be chosen. */
export function canaryRouterKind(_spec: EnvironmentSpec): CanaryRouterKind {
  return "load-balancer";
}

/** What preflight found that people should know, without refusing the plan. */
export interface PreflightResult {
  notes: string[];
}

const EDGE_ROUTER =
  "the edge router (a Worker on your zone, no add-on needed) is the alternative once this deployment offers it";

/** Refuses the plan (409, with the reason and the fix) or returns notes for its risk. */
export async function preflightPlan(
  cx: ControlContext,
  row: EnvRow,
  spec: EnvironmentSpec,
  output: PlanOutput,
): Promise<PreflightResult> {
  const notes: string[] = [];
  const touchesRailway = spec.connections.includes("railway") && output.steps.some((s) => s.kind !== "render-local");
  if (touchesRailway) {
    await requireAccountToken(cx, row);
    const budget = await budgetNote(cx, output);
    if (budget) notes.push(budget);
  }
  const canary = output.steps.find((s) => s.kind === "canary-split");
  const shapesHostnames =
    output.steps.some((s) => s.kind === "reconcile-shape") && Object.keys(spec.domains).length > 0;
  const zone = row.bindings.cloudflare;
  const cloudflare = cx.providers().connections.cloudflare;
  if (!zone || !cloudflare || (!canary && !shapesHostnames)) return { notes };
  const [ssl, subscriptions] = await Promise.all([
    read(() => cloudflare.zoneSslMode(zone.zoneId), "Zone › Zone Settings › Read"),
    canary && canaryRouterKind(spec) === "load-balancer"
      ? read(() => cloudflare.listSubscriptions(zone.accountId), "Account › Billing › Read")
      : Promise.resolve(null),
  ]);
  if (canary && subscriptions && !subscriptions.some(isLoadBalancingSubscription))
    refuse(
      `the Cloudflare account of ${zone.zoneName} has no Load Balancing, so the canary cannot split ${spec.domains[canary.params.service] ?? "its hostname"}: Load Balancing is a paid add-on (Cloudflare dashboard › Traffic › Load Balancing). Enable it and plan again, or deploy without a traffic split; ${EDGE_ROUTER}.`,
    );
  if (ssl !== "full" && ssl !== "strict") {
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
async function budgetNote(cx: ControlContext, output: PlanOutput): Promise<string | null> {
  const budget = cx.railwayBudget();
  if (!budget) return null;
  const view = await budget.view().catch(() => null);
  if (!view) return null;
  const needed = output.steps.reduce((n, s) => n + (REQUESTS_PER_STEP[s.kind] ?? 0), 0);
  const usable = view.remaining - floorFor("run", view.limit);
  if (needed <= usable) return null;
  return `preflight: Railway's request budget has ${view.remaining} of ${view.limit} left until ${view.resetsAt.slice(11, 16)} UTC (${view.plan} plan) and this run needs about ${needed}: it will wait for Railway's next hour where the budget runs out`;
}

/** A project token cannot list or create projects: every Railway run needs an account or workspace token. */
async function requireAccountToken(cx: ControlContext, row: EnvRow): Promise<void> {
  const { metadata } = await railwayConnection(cx, row.projectId);
  if (metadata.tokenKind === "project" || metadata.tokenKind === "invalid")
    refuse(
      `the Railway connection's token was refused at its last check (${String(metadata.error ?? metadata.tokenKind)}): set an account or workspace token as RAILWAY_API_TOKEN, verify the connections (POST /api/projects/${row.projectSlug}/connections/verify), then plan again.`,
    );
}

/** A provider read preflight depends on; a token without the permission is itself a reason to refuse. */
async function read<T>(call: () => Promise<T>, permission: string): Promise<T> {
  try {
    return await call();
  } catch (e) {
    refuse(
      `preflight could not read what this run needs from Cloudflare (${errorText(e)}): give the Cloudflare token ${permission}, or check it is active, then plan again.`,
    );
  }
}

function refuse(reason: string): never {
  throw new AppError("conflict", `Refused at plan time: ${reason}`, { preflight: reason });
}
