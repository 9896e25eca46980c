import { Hono } from "hono";
import { z } from "zod";
import { seedInvoicePerfect } from "../control/seed";
import { monitorAll } from "../control/incidents";
import { driftSchema } from "../sandbox/drift";
import { trafficLevelSchema } from "../sandbox/traffic/level";
import { AppError } from "../domain/errors";
import { addCommitSchema, requestsQuerySchema, sandboxFaultSchema } from "../sandbox/types";
import type { SandboxResult } from "../sandbox/types";
import { attachAppSchema } from "../sandbox/ops/external";
import { redactDeep } from "../security/redact";
import type { AppEnv } from "./auth";
import { errorBody, readJson, readQuery } from "./errors";
import { accountSchema } from "../sandbox/account";
import { advanceBudgetsSchema } from "../sandbox/railway/budget";
import type { Context } from "hono";
import { appUrlRefusal, isLoopbackUrl } from "../security/app-url";

function unwrapSandbox<T>(result: SandboxResult<T> | T): T {
  if (result && typeof result === "object" && "ok" in result && typeof result.ok === "boolean") {
    const r = result as SandboxResult<T>;
    if (r.ok) return r.value;
    throw new AppError(r.code === "not_found" ? "not_found" : "invalid_request", r.message, r.details);
  }
  return result as T;
}

/**
 * The sandbox takes no token, so a web page elsewhere could post to it: every POST must say
 * `Content-Type: application/json`, which a browser sends cross-site only after a CORS preflight this
 * Worker never grants. A form or text/plain post (no preflight) is refused before anything is read.
 */
export function jsonOnly(c: Context<AppEnv>): Response | null {
  const type = c.req.header("content-type") ?? "";
  return /^application\/json\s*(;|$)/i.test(type)
    ? null
    : c.json(errorBody("unsupported_media_type", "send the body as Content-Type: application/json"), 415);
}

/** The sandbox world of the request's services; absent unless SANDBOX=1 (then every route is 404). */
function worldOf(c: Context<AppEnv>) {
  const world = c.var.services.sandboxWorld;
  if (!world) throw new AppError("not_found", "the sandbox is off (SANDBOX=1 turns it on)");
  return world();
}

/** Sandbox world endpoints (API.md "Sandbox"), mounted by the dev entry only; answer only with SANDBOX=1, no token needed. */
export const sandboxRoutes = new Hono<AppEnv>()
  .use("*", async function sandboxOnly(c, next) {
    worldOf(c);
    const refused = c.req.method === "POST" ? jsonOnly(c) : null;
    if (refused) return refused;
    await next();
  })
  .get("/state", async (c) => {
    const redact = await c.var.services.redactor();
    return c.json(redactDeep(unwrapSandbox(await worldOf(c).state()), redact));
  })
  .post("/faults", async (c) => {
    const fault = await readJson(c, sandboxFaultSchema);
    // Typed through unknown: the RPC stub's mapped type of the fault union is too deep for tsc (TS2589).
    const world = worldOf(c) as unknown as { addFault(f: unknown): Promise<SandboxResult<unknown>> };
    return c.json({ fault: unwrapSandbox(await world.addFault(fault)) }, 201);
  })
  .delete("/faults", async (c) => {
    await worldOf(c).clearFaults();
    return c.body(null, 204);
  })
  .get("/requests", async (c) => {
    const query = readQuery(
      c,
      z.object({
        provider: requestsQuerySchema.shape.provider,
        limit: z.coerce.number().int().positive().max(2000).optional(),
      }),
    );
    const redact = await c.var.services.redactor();
    return c.json({ requests: redactDeep(unwrapSandbox(await worldOf(c).requests(query)), redact) });
  })
  .get("/sms", async (c) => c.json({ messages: await worldOf(c).sms() }))
  .post("/drift", async (c) => c.json({ drift: unwrapSandbox(await worldOf(c).drift(await readJson(c, driftSchema))) }))
  .post("/traffic", async (c) =>
    c.json({
      traffic: unwrapSandbox(await worldOf(c).traffic(await readJson(c, trafficLevelSchema))),
    }),
  )
  // A real app (the PostgreSQL fixture) behind a simulated service: its /ops/* and its migrations.
  .post("/apps", async (c) => {
    const input = await readJson(c, attachAppSchema);
    const controlPlaneIsLocal = isLoopbackUrl(c.var.services.publicUrl);
    const refusal = input.url === null ? null : appUrlRefusal(input.url, { controlPlaneIsLocal });
    if (refusal) throw new AppError("invalid_request", `refusing app URL ${input.url}: ${refusal}`, { url: input.url });
    return c.json({ app: unwrapSandbox(await worldOf(c).attachApp(input)) }, 201);
  })
  // The simulated accounts' plan and settings: Railway plan (request budget), Cloudflare Load Balancing, SSL mode.
  .post("/account", async (c) => {
    return c.json({
      account: unwrapSandbox(await worldOf(c).account(await readJson(c, accountSchema))),
    });
  })
  // Simulated time for request budgets: {advanceSeconds: 3600} ends every token's Railway hour at once.
  .post("/budgets", async (c) => {
    return c.json({
      budgets: unwrapSandbox(await worldOf(c).advanceBudgets(await readJson(c, advanceBudgetsSchema))),
    });
  })
  .post("/commits", async (c) => {
    const input = await readJson(c, addCommitSchema);
    return c.json({ commits: unwrapSandbox(await worldOf(c).addCommit(input)) }, 201);
  })
  .post("/seed", async (c) => {
    const seeded = await seedInvoicePerfect(c.var.services, worldOf(c));
    // `npm start` seeds through here: the first check arms each environment's monitoring watchdog.
    c.executionCtx.waitUntil(monitorAll(c.var.services));
    return c.json(seeded);
  });
