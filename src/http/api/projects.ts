import { Hono } from "hono";
import {
  CreateEnvironment,
  CreateProject,
  createEnvironment,
  createProject,
  findProject,
  listEnvironments,
} from "../../control/environments";
import { connectionsOf } from "../../db/connections";
import { listProjects } from "../../db/projects";
import { verifyConnections } from "../../control/connections";
import { RailwaySettings, configureRailway } from "../../control/railway-settings";
import { requireRole } from "../../security/roles";
import type { AppEnv } from "../auth";
import { readJson } from "../errors";

/** Projects, their environments and connections (API.md "Projects and environments"). */
export const projectRoutes = new Hono<AppEnv>()
  .post("/projects", async (c) => {
    const project = await createProject(c.var.cx, await readJson(c, CreateProject));
    return c.json({ project }, 201);
  })
  .get("/projects", async (c) => {
    const { cx } = c.var;
    requireRole(cx.actor.role, "read");
    return c.json({ projects: await listProjects(cx.db) });
  })
  .get("/projects/:id", async (c) => {
    const { cx } = c.var;
    requireRole(cx.actor.role, "read");
    return c.json({ project: await findProject(cx, c.req.param("id")) });
  })
  .post("/projects/:id/envs", async (c) => {
    const { cx } = c.var;
    const environment = await createEnvironment(cx, c.req.param("id"), await readJson(c, CreateEnvironment));
    return c.json({ environment }, 201);
  })
  .get("/projects/:id/envs", async (c) => {
    const { cx } = c.var;
    return c.json({ environments: await listEnvironments(cx, c.req.param("id")) });
  })
  .put("/projects/:id/connections/railway", async (c) => {
    const { cx } = c.var;
    const connection = await configureRailway(cx, c.req.param("id"), await readJson(c, RailwaySettings));
    return c.json({ connection });
  })
  .post("/projects/:id/connections/verify", async (c) => {
    const { cx } = c.var;
    return c.json({ connections: await verifyConnections(cx, c.req.param("id")) });
  })
  .get("/projects/:id/connections", async (c) => {
    const { cx } = c.var;
    requireRole(cx.actor.role, "read");
    const project = await findProject(cx, c.req.param("id"));
    const rows = await connectionsOf(cx.db, project.id);
    return c.json({
      connections: rows.map((r) => ({
        provider: r.provider,
        status: r.status,
        metadata: r.metadata,
        updatedAt: r.updatedAt,
      })),
    });
  });
