import { Hono } from "hono";
import { z } from "zod";
import { PutSecret, envView, listRevisions, rotateSecret, secretRefs, setSecret } from "../../control/environments";
import { PlanRequest, applyPlan, createPlan, publicPlan } from "../../control/plans";
import { formatRun } from "../../control/runs";
import { findEnv } from "../../db/environments";
import { listRuns } from "../../db/runs";
import { RunStatus } from "../../domain/run";
import { AppError } from "../../domain/errors";
import { revertSpec } from "../../control/revisions";
import { localBootstrap } from "../../control/bootstrap";
import { rotateMasterKey } from "../../control/master-key";
import { requireRole } from "../../security/roles";
import type { AppEnv } from "../auth";
import { readJson, readQuery } from "../errors";

const RunsQuery = z.object({
  status: RunStatus.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

/** One environment: state, revisions, secrets, plans and runs. */
export const envRoutes = new Hono<AppEnv>()
  .get("/envs/:id", async (c) => c.json({ environment: await envView(c.var.cx, c.req.param("id")) }))
  .get("/envs/:id/revisions", async (c) => c.json({ revisions: await listRevisions(c.var.cx, c.req.param("id")) }))
  .post("/envs/:id/revisions/:rev/revert", async (c) => {
    const { cx } = c.var;
    const rev = Number(c.req.param("rev"));
    if (!Number.isInteger(rev) || rev < 1) throw new AppError("invalid_request", "revision must be a positive integer");
    const { reason } = await readJson(c, z.object({ reason: z.string().max(500).optional() }).strict());
    await revertSpec(cx, c.req.param("id"), rev, reason);
    return c.json({ environment: await envView(cx, c.req.param("id")) }, 201);
  })
  .put("/envs/:id/secrets/:name", async (c) => {
    const { value } = await readJson(c, PutSecret);
    await setSecret(c.var.cx, c.req.param("id"), c.req.param("name"), value);
    return c.body(null, 204);
  })
  .get("/envs/:id/bootstrap", async (c) => {
    const archive = await localBootstrap(c.var.cx, c.req.param("id"));
    return new Response(archive.bytes, {
      headers: {
        "content-type": "application/gzip",
        "content-disposition": `attachment; filename="${archive.filename}"`,
      },
    });
  })
  .post("/envs/:id/secrets/:name/rotate", async (c) => {
    const { cx } = c.var;
    const { value } = await readJson(c, PutSecret);
    const envRef = await rotateSecret(cx, c.req.param("id"), c.req.param("name"), value);
    const plan = await createPlan(cx, envRef, { type: "rotate-secret", params: { name: c.req.param("name") } });
    const run = plan.autoApply ? await applyPlan(cx, plan.id) : undefined;
    return c.json({ plan: publicPlan(plan), ...(run ? { run: { id: run.id, status: run.status } } : {}) }, 201);
  })
  .get("/envs/:id/secrets", async (c) => c.json({ secrets: await secretRefs(c.var.cx, c.req.param("id")) }))
  // After SECRETS_MASTER_KEY changed: a rotate-master-key run per environment that holds secrets.
  .post("/secrets/rotate-master-key", async (c) => {
    await readJson(c, z.object({}).strict());
    return c.json({ rotations: await rotateMasterKey(c.var.cx) }, 202);
  })
  .post("/envs/:id/plan", async (c) => {
    const { cx } = c.var;
    requireRole(cx.actor.role, "plan");
    const request = await readJson(c, PlanRequest);
    const plan = await createPlan(cx, c.req.param("id"), request);
    return c.json({ plan: publicPlan(plan) }, 201);
  })
  .get("/envs/:id/runs", async (c) => {
    const { cx } = c.var;
    requireRole(cx.actor.role, "read");
    const query = readQuery(c, RunsQuery);
    const env = await findEnv(cx.db, c.req.param("id"));
    const rows = await listRuns(cx.db, env.id, query.status, query.limit);
    return c.json({ runs: rows.map((r) => formatRun(r, [], env.env, [])) });
  });
