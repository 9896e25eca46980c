import { Hono } from "hono";
import { z } from "zod";
import { conversationMessages, listConversations, ownConversation } from "../../db/conversations";
import { AppError } from "../../domain/errors";
import { requireRole } from "../../security/roles";
import type { AppEnv } from "../auth";
import { readQuery } from "../errors";

/** Who is signed in, and their own conversations' history (the web chat's reload and role-aware buttons). */
export const sessionRoutes = new Hono<AppEnv>()
  .get("/me", (c) => {
    const { id, name, role } = c.var.cx.actor;
    return c.json({ user: { id, name, role } });
  })
  .get("/conversations/:id/messages", async (c) => {
    const { cx } = c.var;
    requireRole(cx.actor.role, "read");
    const owned = await ownConversation(cx.db, c.req.param("id"), cx.actor.id);
    // Someone else's conversation is as unknown as a missing one.
    if (!owned) throw new AppError("not_found", `conversation ${c.req.param("id")} not found`);
    const rows = await conversationMessages(cx.db, owned.id, 500);
    // Replies are stamped a sub-millisecond digit after their message ("…09.1231Z" follows "…09.123Z"),
    // which plain string order puts first; comparing without the "Z" restores the spoken order.
    const at = (m: { createdAt: string }) => m.createdAt.replace(/Z$/, "");
    rows.sort((a, b) => (at(a) < at(b) ? -1 : at(a) > at(b) ? 1 : 0));
    // A reply's structured parts sit beside its text, as the chat answered them (plan, run, question, …).
    const messages = rows.map(({ parts, ...m }) => ({ ...(parts ?? {}), ...m }));
    return c.json({ conversationId: owned.id, title: owned.title, messages });
  })
  .get("/conversations", async (c) => {
    const { cx } = c.var;
    requireRole(cx.actor.role, "read");
    const { limit } = readQuery(c, z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }));
    return c.json({ conversations: await listConversations(cx.db, cx.actor.id, limit) });
  });
