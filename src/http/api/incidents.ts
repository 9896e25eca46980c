import { Hono } from "hono";
import { z } from "zod";
import {
  ackIncident,
  adoptEnvDrift,
  incidentDetail,
  incidentFile,
  incidentList,
  revertEnvDrift,
} from "../../control/incidents";
import { publicPlan } from "../../control/plans";
import type { AppEnv } from "../auth";
import { readQuery } from "../errors";

export const IncidentQuery = z.object({
  env: z.string().max(200).optional(),
  status: z.enum(["open", "resolved"]).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

/** Incidents (API.md "Incidents") and drift's two choices. */
export const incidentRoutes = new Hono<AppEnv>()
  .get("/incidents", async (c) => {
    const query = readQuery(c, IncidentQuery);
    return c.json({ incidents: await incidentList(c.var.cx, query) });
  })
  .get("/incidents/:id", async (c) => c.json({ incident: await incidentDetail(c.var.cx, c.req.param("id")) }))
  .get("/incidents/:id/bundle/:name{.+}", async (c) => {
    const file = await incidentFile(c.var.cx, c.req.param("id"), c.req.param("name"));
    return new Response(file.body, { headers: { "content-type": file.contentType } });
  })
  .post("/incidents/:id/ack", async (c) => c.json({ incident: await ackIncident(c.var.cx, c.req.param("id")) }))
  .post("/envs/:id/drift/adopt", async (c) => c.json(await adoptEnvDrift(c.var.cx, c.req.param("id")), 201))
  .post("/envs/:id/drift/revert", async (c) => {
    const { plan, run } = await revertEnvDrift(c.var.cx, c.req.param("id"));
    return c.json({ plan: publicPlan(plan), run: run ? { id: run.id, status: run.status } : undefined }, 201);
  });
