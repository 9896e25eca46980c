import { Hono } from "hono";
import { z } from "zod";
import { auditEvents, verifyAuditChain } from "../../control/audit";
import type { AppEnv } from "../auth";
import { readQuery } from "../errors";

const AuditQuery = z.object({
  env: z.string().optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** The audit log and its verification (API.md "Audit"). */
export const auditRoutes = new Hono<AppEnv>()
  .get("/audit", async (c) => {
    const query = readQuery(c, AuditQuery);
    return c.json({ events: await auditEvents(c.var.cx, query) });
  })
  .get("/audit/verify", async (c) => {
    const { env } = readQuery(c, z.object({ env: z.string().optional() }));
    return c.json(await verifyAuditChain(c.var.cx, env));
  });
