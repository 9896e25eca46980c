import { Hono } from "hono";
import { ingestEdgeReport } from "../control/edge-reports";
import type { AppEnv } from "./auth";
import { cappedBody } from "./body-cap";
import { MAX_BODY_BYTES } from "./errors";

/**
 * What the edge router Worker in a customer's account calls: no bearer token, a signature made with the
 * environment's router secret instead (control/edge-reports.ts). Capped like the webhooks; the router keeps
 * each report well under 64 KiB.
 */
export const edgeRoutes = new Hono<AppEnv>().use("*", cappedBody(MAX_BODY_BYTES)).post("/v1/reports", async (c) => {
  const answer = await ingestEdgeReport(
    c.var.services,
    c.req.query("env"),
    await c.req.text(),
    c.req.header("x-infra-chat-signature") ?? null,
    Math.floor(Date.now() / 1000),
  );
  return c.json(answer, 200);
});
