import type { Context, MiddlewareHandler } from "hono";
import type { ControlContext } from "../control/context";
import { controlContext } from "../control/context";
import type { Services } from "../control/services";
import { actorForToken } from "../control/users";
import { AppError } from "../domain/errors";

/** The request's services (every route), and who is asking (routes behind bearerAuth). */
export type AppEnv = { Bindings: Env; Variables: { services: Services; cx: ControlContext } };

/** Requires `Authorization: Bearer <token>` of a live token; sets `cx`, the services acting for its user. */
export function bearerAuth(): MiddlewareHandler<AppEnv> {
  return async function bearerAuth(c, next) {
    const header = c.req.header("authorization") ?? "";
    const token =
      /^Bearer\s+(\S+)$/i.exec(header)?.[1] ??
      socketToken(c.req.header("upgrade"), c.req.header("sec-websocket-protocol"));
    if (!token) throw new AppError("unauthorized", "send Authorization: Bearer <token>");
    const services = c.get("services");
    const found = await actorForToken(services.db, token, services.now());
    if (!found) throw new AppError("unauthorized", "unknown, revoked or expired token");
    if (found.touch) keepAlive(c, found.touch);
    c.set("cx", controlContext(services, found.actor, found.tokenId));
    await next();
  };
}

/** Lets a background write finish after the response (a "last used" time is not worth a slower answer). */
function keepAlive(c: Context<AppEnv>, work: Promise<void>): void {
  const done = work.catch((e: unknown) => console.error("token use not recorded", e));
  try {
    c.executionCtx.waitUntil(done);
  } catch {
    // No execution context (app.fetch in a test): the write simply runs on.
  }
}

/**
 * Browsers cannot set headers on a WebSocket handshake, so a socket offers its token as the subprotocol
 * `bearer.<token>` beside `infra-chat.v1` (query strings end up in logs; this header does not).
 */
function socketToken(upgrade: string | undefined, protocols: string | undefined): string | undefined {
  if (upgrade?.toLowerCase() !== "websocket" || !protocols) return undefined;
  return (
    protocols
      .split(",")
      .map((p) => p.trim())
      .find((p) => p.startsWith("bearer."))
      ?.slice("bearer.".length) || undefined
  );
}
