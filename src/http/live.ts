/**
 * Live run progress for HTTP callers: `GET /api/envs/:id/live` hands an authenticated WebSocket to the
 * environment's Durable Object, and `followRuns` lets a Worker request (the chat event stream) listen
 * to the same feed.
 */
import { Hono } from "hono";
import type { Services } from "../control/services";
import { findEnv } from "../db/environments";
import { AppError } from "../domain/errors";
import { isTerminal } from "../domain/run";
import { LiveMessage, TOKEN_REVOKED_CLOSE, watchRequest } from "../runs/live";
import type { LiveRun } from "../runs/live";
import { requireRole } from "../security/roles";
import type { AppEnv } from "./auth";

/** GET /api/envs/:id/live (API.md "Plans and runs"): bearerAuth has checked the token (header or subprotocol). */
export const liveRoutes = new Hono<AppEnv>().get("/envs/:id/live", async (c) => {
  const { cx } = c.var;
  requireRole(cx.actor.role, "read");
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket")
    throw new AppError("invalid_request", "this route is a WebSocket: send Upgrade: websocket");
  const env = await findEnv(cx.db, c.req.param("id"));
  const upgraded = await cx.environment(env.id).fetch(watchRequest(env.id, env.env, cx.tokenId));
  // A copy with mutable headers: the security-headers middleware adds its own on the way out.
  return new Response(null, {
    status: upgraded.status,
    webSocket: upgraded.webSocket,
    headers: new Headers(upgraded.headers),
  });
});

/** A run worth following, and where it lives. */
export interface FollowedRun {
  id: string;
  envId: string;
  env: string;
}

/** A run stops being followed when it has ended or waits for a person (approval, a stopped canary or backfill). */
export function settled(run: Pick<LiveRun, "status">): boolean {
  return isTerminal(run.status) || run.status === "awaiting-approval" || run.status === "stopped";
}

/**
 * Calls `onRun` with every state of the given runs the environments' feeds push (the current state
 * first), until each run has settled or `signal` aborts.
 */
export async function followRuns(
  services: Services & { tokenId?: string },
  runs: FollowedRun[],
  onRun: (run: LiveRun) => Promise<void>,
  signal: AbortSignal,
): Promise<void> {
  const byEnv = new Map<string, FollowedRun[]>();
  for (const r of runs) byEnv.set(r.envId, [...(byEnv.get(r.envId) ?? []), r]);
  await Promise.all([...byEnv.values()].map((group) => followEnvironment(services, group, onRun, signal)));
}

async function followEnvironment(
  services: Services & { tokenId?: string },
  runs: FollowedRun[],
  onRun: (run: LiveRun) => Promise<void>,
  signal: AbortSignal,
): Promise<void> {
  const { envId, env: name } = runs[0];
  const res = await services.environment(envId).fetch(watchRequest(envId, name, services.tokenId));
  const ws = res.webSocket;
  if (!ws) throw new Error(`the ${name} feed did not open (${res.status})`);
  ws.accept();
  const pending = new Set(runs.map((r) => r.id));
  let delivery = Promise.resolve();
  await new Promise<void>((resolve, reject) => {
    const finish = () => {
      try {
        ws.close(1000, "followed runs settled");
      } catch {
        // already closed
      }
      resolve();
    };
    signal.addEventListener("abort", finish, { once: true });
    ws.addEventListener("close", (event) =>
      event.code === TOKEN_REVOKED_CLOSE ? reject(new AppError("unauthorized", "the token was revoked")) : resolve(),
    );
    ws.addEventListener("message", (event) => {
      const parsed = LiveMessage.safeParse(
        JSON.parse(typeof event.data === "string" ? event.data : new TextDecoder().decode(event.data)),
      );
      if (!parsed.success) return;
      const updates = parsed.data.type === "snapshot" ? parsed.data.runs : [parsed.data.run];
      for (const run of updates.filter((r) => pending.has(r.id))) {
        if (settled(run)) pending.delete(run.id);
        // Deliveries stay in order even when the writer is slower than the feed.
        delivery = delivery.then(() => onRun(run)).catch(() => undefined);
      }
      if (pending.size === 0) void delivery.then(finish);
    });
  });
  await delivery;
}
