import { Hono } from "hono";
import { z } from "zod";
import { auditEvents } from "../../control/audit";
import { exportAuditChain, verifyAuditChain } from "../../control/audit-verify";
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
    const { env } = readQuery(c, z.object({ env: z.string().min(1).max(200).optional() }));
    return c.json(await verifyAuditChain(c.var.cx, env));
  })
  // One chain and its anchors, for `npx infra-chat audit export` and the offline verifier.
  .get("/audit/export", async (c) => {
    const { env } = readQuery(c, z.object({ env: z.string().min(1).max(200) }));
    const { chain, body } = await exportAuditChain(c.var.cx, env);
    return c.body(body, 200, {
      "content-type": "application/json; charset=utf-8",
      "content-disposition": `attachment; filename="audit-${chain.replace(/[^A-Za-z0-9_.-]/g, "_")}.json"`,
    });
  });
