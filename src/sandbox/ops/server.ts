/**
 * The ops contract on the simulated api service's app domains (`POST /ops/jobs/run`, `POST /ops/jobs/verify`,
 * `GET /ops/jobs/runs/:id`): the real app's routes, status codes and error bodies (test/fixtures/invoice-perfect/
 * server.js), over the environment's simulated users. Guarded by OPS_TOKEN when the service defines one, and
 * failed by `app` faults with an errorRate, so the control plane's pause/retry paths can be exercised.
 */
import { json } from "../http";
import { appFaultsFor, consumeAppFault, serviceMatches } from "../faults";
import { hashString, mix32 } from "../traffic/random";
import type { JsonValue } from "../types";
import type { EnvironmentRow, ServiceRow } from "../world/entities";
import type { World } from "../world/store";
import { renderVariables } from "../world/variables";
import { getRun, runBatch, verifyTimezones, type JobBug } from "./jobs";
import { OpsError, parseRunRequest, parseVerifyRequest } from "./params";
import { listMigrations } from "./migrations";
import { ensureUsers } from "./users";

const MAX_BODY_BYTES = 64 * 1024;
const RUN_PATH = /^\/ops\/jobs\/runs\/([A-Za-z0-9_.:-]{1,64})$/;

type Route = { method: "GET" | "POST"; pattern: RegExp; answer: (ctx: OpsContext, match: string[]) => object };
type OpsContext = { world: World; env: EnvironmentRow; service: ServiceRow; text: string };

// Express's res.json, as the fixture app answers.
const OPS_JSON = { "content-type": "application/json; charset=utf-8" };

function readJson(text: string): JsonValue | undefined {
  if (new TextEncoder().encode(text).length > MAX_BODY_BYTES)
    throw new OpsError(413, "payload_too_large", `request body over ${MAX_BODY_BYTES} bytes`);
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    throw new OpsError(400, "invalid_json", "request body is not valid JSON");
  }
}

const ROUTES: Route[] = [
  {
    method: "POST",
    pattern: /^\/ops\/jobs\/run$/,
    answer: ({ world, env, service, text }) => {
      const params = parseRunRequest(readJson(text));
      ensureUsers(world, env.id);
      return runBatch(world, env.id, params, jobBug(world, env, service));
    },
  },
  {
    method: "POST",
    pattern: /^\/ops\/jobs\/verify$/,
    answer: ({ world, env, text }) => {
      const params = parseVerifyRequest(readJson(text));
      ensureUsers(world, env.id);
      return verifyTimezones(world, env.id, params);
    },
  },
  {
    method: "GET",
    pattern: /^\/ops\/migrations$/,
    answer: ({ world, env, service }) => listMigrations(world, env, service),
  },
  {
    method: "GET",
    pattern: RUN_PATH,
    answer: ({ world, env }, [id = ""]) => {
      const run = getRun(world, env.id, id);
      if (!run) throw new OpsError(404, "not_found", `no run ${id}`);
      return { run };
    },
  },
];

/** Whether this service carries the ops contract (the api, and its canary/migrate copies: same code). */
export function servesOps(service: ServiceRow, pathname: string): boolean {
  return serviceMatches("api", service.name) && pathname.startsWith("/ops/");
}

// Same check as the real app; no timing-safe compare needed in an in-process fake with no secret at stake.
function checkToken(world: World, env: EnvironmentRow, service: ServiceRow, request: Request): void {
  const expected = renderVariables(world, service.project_id, env.id, service.id).OPS_TOKEN;
  if (!expected) return;
  const given = /^Bearer (.+)$/.exec(request.headers.get("authorization") ?? "")?.[1];
  if (given !== expected) throw new OpsError(401, "unauthorized", "missing or wrong ops token");
}

// An errorRate fault fails that share of real ops calls; the draw is seeded by a counter so a run replays alike.
function faulted(world: World, env: EnvironmentRow, service: ServiceRow): boolean {
  const fault = appFaultsFor(world, env.name, service.name).find((f) => (f.errorRate ?? 0) > 0);
  if (!fault) return false;
  const draw = mix32(hashString(fault.id) ^ world.nextSeq("ops-fault-draw")) / 0x1_0000_0000;
  if (draw >= (fault.errorRate ?? 0)) return false;
  consumeAppFault(world, fault);
  return true;
}

// A `jobBug` fault breaks the job itself (the batch still answers 200); `count` counts batches.
function jobBug(world: World, env: EnvironmentRow, service: ServiceRow): JobBug | null {
  const fault = appFaultsFor(world, env.name, service.name).find((f) => f.jobBug);
  if (!fault?.jobBug) return null;
  consumeAppFault(world, fault);
  return fault.jobBug;
}

/** Answers one `/ops/*` request to the api service of `env`. */
export function handleOps(
  world: World,
  env: EnvironmentRow,
  service: ServiceRow,
  request: Request,
  text: string,
): Response {
  const { pathname } = new URL(request.url);
  try {
    const matches = ROUTES.filter((r) => r.pattern.test(pathname));
    if (matches.length === 0) throw new OpsError(404, "not_found", `no route for ${pathname}`);
    const route = matches.find((r) => r.method === request.method);
    if (!route) throw new OpsError(405, "method_not_allowed", `${request.method} is not allowed on ${pathname}`);
    checkToken(world, env, service, request);
    // Faults fail the job calls (POST); the plan-time read of the migrations is left alone.
    if (route.method === "POST" && faulted(world, env, service))
      return json(500, { error: { code: "internal", message: "internal error" } }, OPS_JSON);
    return json(
      200,
      route.answer({ world, env, service, text }, route.pattern.exec(pathname)?.slice(1) ?? []),
      OPS_JSON,
    );
  } catch (error) {
    if (error instanceof OpsError) return json(error.status, error.toBody(), OPS_JSON);
    throw error;
  }
}
