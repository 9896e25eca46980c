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
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new AppError("unauthorized", "send Authorization: Bearer <token>");
    const actor = await actorForToken(database(c.env.DB), match[1], Date.now());
    if (!actor) throw new AppError("unauthorized", "unknown, revoked or expired token");
    c.set("actor", actor);
    await next();
  };
}
