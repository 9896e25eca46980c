/**
 * The Railway connection's settings (`PUT /api/projects/:id/connections/railway`): the account's plan,
 * which sizes the request budget every run and check shares, and the workspace new projects go into.
 */
import { z } from "zod";
import { connectionOf, saveConnections } from "../db/connections";
import { requireRole } from "../security/roles";
import { recordGlobal } from "./audit";
import type { ControlContext } from "./context";
import { findProject } from "./environments";

/** Railway plans and their hourly request budget per token (docs.railway.com, Public API rate limits). */
export const RailwayPlan = z.enum(["free", "hobby", "pro"]);
export type RailwayPlan = z.infer<typeof RailwayPlan>;

export const RailwaySettings = z
  .object({
    plan: RailwayPlan.optional(),
    /** Railway's workspace id: projects setup creates go there (a workspace token needs it). */
    workspaceId: z.string().trim().min(1).max(100).nullable().optional(),
  })
  .strict();
export type RailwaySettings = z.infer<typeof RailwaySettings>;

/** What a project's Railway connection says about the account (defaults: Hobby, the token's own workspace). */
export const RailwayConnectionMetadata = z
  .object({
    plan: RailwayPlan.default("hobby"),
    workspaceId: z.string().nullish(),
    tokenKind: z.enum(["account", "project", "invalid"]).optional(),
  })
  .loose();
export type RailwayConnectionMetadata = z.infer<typeof RailwayConnectionMetadata>;

/** The Railway connection's metadata, read leniently (a connection not checked yet reads as the defaults). */
export async function railwayConnection(cx: Pick<ControlContext, "db">, projectId: string) {
  const row = await connectionOf(cx.db, projectId, "railway");
  return {
    status: row?.status ?? "unconfigured",
    metadata: RailwayConnectionMetadata.catch(RailwayConnectionMetadata.parse({})).parse(row?.metadata ?? {}),
  };
}

/** Records the Railway plan and workspace on the project's connection (admins), keeping what a check found. */
export async function configureRailway(cx: ControlContext, projectRef: string, settings: RailwaySettings) {
  requireRole(cx.actor.role, "manage-environments");
  const project = await findProject(cx, projectRef);
  const row = await connectionOf(cx.db, project.id, "railway");
  const metadata: Record<string, unknown> = { ...(row?.metadata ?? {}) };
  if (settings.plan) metadata.plan = settings.plan;
  if (settings.workspaceId !== undefined) metadata.workspaceId = settings.workspaceId;
  const now = new Date(cx.now()).toISOString();
  await saveConnections(
    cx.db,
    project.id,
    [{ provider: "railway", status: row?.status ?? "unconfigured", metadata }],
    now,
  );
  // The token's budget is sized from the plan until Railway's own X-RateLimit-Limit has been seen.
  if (settings.plan) await cx.railwayBudget()?.configure(settings.plan);
  await recordGlobal(cx, [
    {
      actor: cx.actor.id,
      action: "connection.configured",
      details: { provider: "railway", project: project.slug, ...settings },
    },
  ]);
  return { provider: "railway", status: row?.status ?? "unconfigured", metadata };
}
