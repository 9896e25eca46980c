import { and, asc, eq } from "drizzle-orm";
import { Hono } from "hono";
import { controlContext } from "../../control/context";
import { conversations, messages } from "../../db/schema";
import { AppError } from "../../domain/errors";
import { requireRole } from "../../security/roles";
import type { AppEnv } from "../auth";

/** Who is signed in, and their own conversations' history (the web chat's reload and role-aware buttons). */
export const sessionRoutes = new Hono<AppEnv>()
  .get("/me", (c) => {
    const { id, name, role } = c.get("actor");
    return c.json({ user: { id, name, role } });
  })
  .get("/conversations/:id/messages", async (c) => {
    const cx = controlContext(c.env, c.get("actor"));
    requireRole(cx.actor.role, "read");
    const owned = await cx.db
      .select({ id: conversations.id })
      .from(conversations)
      .where(and(eq(conversations.id, c.req.param("id")), eq(conversations.userId, cx.actor.id)))
      .limit(1);
    // Someone else's conversation is as unknown as a missing one.
    if (!owned[0]) throw new AppError("not_found", `conversation ${c.req.param("id")} not found`);
    const rows = await cx.db
      .select({ role: messages.role, text: messages.text, createdAt: messages.createdAt })
      .from(messages)
      .where(eq(messages.conversationId, owned[0].id))
      .orderBy(asc(messages.createdAt))
      .limit(500);
    // Replies are stamped a sub-millisecond digit after their message ("…09.1231Z" follows "…09.123Z"),
    // which plain string order puts first; comparing without the "Z" restores the spoken order.
    const at = (m: { createdAt: string }) => m.createdAt.replace(/Z$/, "");
    rows.sort((a, b) => (at(a) < at(b) ? -1 : at(a) > at(b) ? 1 : 0));
    return c.json({ conversationId: owned[0].id, messages: rows });
  });
