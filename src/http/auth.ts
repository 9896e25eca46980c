import type { MiddlewareHandler } from "hono";
import { database } from "../db/client";
import { AppError } from "../domain/errors";
import type { Actor } from "../policy/approval";
import { actorForToken } from "../control/users";

export type AppEnv = { Bindings: Env; Variables: { actor: Actor } };

/** Requires `Authorization: Bearer <token>` of a live token; sets the actor. */
export function bearerAuth(): MiddlewareHandler<AppEnv> {
  return async function bearerAuth(c, next) {
    const header = c.req.header("authorization") ?? "";
    const token =
      /^Bearer\s+(\S+)$/i.exec(header)?.[1] ??
      socketToken(c.req.header("upgrade"), c.req.header("sec-websocket-protocol"));
    if (!token) throw new AppError("unauthorized", "send Authorization: Bearer <token>");
    const actor = await actorForToken(database(c.env.DB), token, Date.now());
    if (!actor) throw new AppError("unauthorized", "unknown, revoked or expired token");
    c.set("actor", actor);
    await next();
  };
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
