import { Hono } from "hono";
import { BootstrapRequest, bootstrapFirstAdmin } from "../control/first-admin";
import type { AppEnv } from "./auth";
import { readJson } from "./errors";

/** `POST /api/bootstrap`: the first admin of a deployment, with its BOOTSTRAP_SECRET instead of a token. */
export const bootstrapRoutes = new Hono<AppEnv>().post("/bootstrap", async (c) => {
  const { services } = c.var;
  const input = await readJson(c, BootstrapRequest);
  // Cloudflare sets CF-Connecting-IP to the client's address; a client cannot forge it past the edge.
  const client = c.req.header("cf-connecting-ip") ?? "unknown";
  const created = await bootstrapFirstAdmin(services, input, client, services.bootstrapSecret);
  return c.json(created, 201);
});
