import { Hono } from "hono";
import { z } from "zod";
import { applyPlan, publicPlan } from "../../control/plans";
import { actOnRun, runView } from "../../control/runs";
import type { RunAction } from "../../control/runs";
import { getPlan, getRun } from "../../db/runs";
import { AppError } from "../../domain/errors";
import { requireRole } from "../../security/roles";
import type { AppEnv } from "../auth";
import { readJson, readQuery } from "../errors";
import { HistoryQuery, listRunHistory } from "../../control/history";

const Reason = z.object({ reason: z.string().max(1000).optional() }).strict();
const ACTIONS: RunAction[] = ["approve", "reject", "stop", "resume", "cancel", "promote"];

/** Plans and runs (API.md "Plans and runs"). */
export const runRoutes = new Hono<AppEnv>()
  .get("/plans/:id", async (c) => {
    const { cx } = c.var;
    requireRole(cx.actor.role, "read");
    return c.json({ plan: publicPlan((await getPlan(cx.db, c.req.param("id"))).plan) });
  })
  .post("/plans/:id/apply", async (c) => {
    const { cx } = c.var;
    const run = await applyPlan(cx, c.req.param("id"));
    return c.json({ run: await runView(cx, run.id) }, 202);
  })
  .get("/runs", async (c) => c.json(await listRunHistory(c.var.cx, readQuery(c, HistoryQuery))))
  .get("/runs/:id", async (c) => c.json({ run: await runView(c.var.cx, c.req.param("id")) }))
  .post("/runs/:id/:action{approve|reject|stop|resume|cancel|promote}", async (c) => {
    const action = c.req.param("action") as RunAction;
    if (!ACTIONS.includes(action)) throw new AppError("not_found", "unknown run action");
    const { reason } = await readJson(c, Reason);
    return c.json({ run: await actOnRun(c.var.cx, c.req.param("id"), action, reason) });
  })
  .get("/runs/:id/artifacts/:name{.+}", async (c) => {
    const { cx } = c.var;
    requireRole(cx.actor.role, "read");
    const { run } = await getRun(cx.db, c.req.param("id"));
    const artifact = await cx.runArtifacts.get(run.id, c.req.param("name"));
    if (!artifact) throw new AppError("not_found", `artifact ${c.req.param("name")} not found for run ${run.id}`);
    return new Response(artifact.body, { headers: { "content-type": artifact.contentType } });
  });
