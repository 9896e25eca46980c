import { and, asc, desc, eq } from "drizzle-orm";
import type { Database } from "./client";
import { conversations, messages } from "./schema";

export type ConversationRow = typeof conversations.$inferSelect;
export type MessageRow = typeof messages.$inferSelect;

/** A conversation of this user, or null (someone else's is as unknown as a missing one). */
export async function ownConversation(db: Database, id: string, userId: string): Promise<ConversationRow | null> {
  const rows = await db
    .select()
    .from(conversations)
    .where(and(eq(conversations.id, id), eq(conversations.userId, userId)))
    .limit(1);
  return rows[0] ?? null;
}

/** Writes one chat turn: the conversation (created or updated with its state) and its messages, together. */
export async function saveTurn(
  db: Database,
  conversation: { row: ConversationRow; stored: boolean },
  state: unknown,
  turn: MessageRow[],
  now: string,
): Promise<void> {
  const { row } = conversation;
  await db.batch([
    conversation.stored
      ? db.update(conversations).set({ state, updatedAt: now }).where(eq(conversations.id, row.id))
      : db.insert(conversations).values({ ...row, state, updatedAt: now }),
    ...turn.map((m) => db.insert(messages).values(m)),
  ]);
}

/** A user's conversations, most recently used first. */
export async function listConversations(
  db: Database,
  userId: string,
  limit: number,
): Promise<Pick<ConversationRow, "id" | "title" | "createdAt" | "updatedAt">[]> {
  return db
    .select({
      id: conversations.id,
      title: conversations.title,
      createdAt: conversations.createdAt,
      updatedAt: conversations.updatedAt,
    })
    .from(conversations)
    .where(eq(conversations.userId, userId))
    .orderBy(desc(conversations.updatedAt))
    .limit(limit);
}

/** A conversation's messages in stored order (at most `limit`), with each reply's structured parts. */
export async function conversationMessages(
  db: Database,
  conversationId: string,
  limit: number,
): Promise<Pick<MessageRow, "role" | "text" | "createdAt" | "parts">[]> {
  return db
    .select({ role: messages.role, text: messages.text, createdAt: messages.createdAt, parts: messages.parts })
    .from(messages)
    .where(eq(messages.conversationId, conversationId))
    .orderBy(asc(messages.createdAt))
    .limit(limit);
}

/** A conversation's latest messages, newest first. */
export async function latestMessages(
  db: Database,
  conversationId: string,
  limit: number,
): Promise<Pick<MessageRow, "role" | "text">[]> {
  return db
    .select({ role: messages.role, text: messages.text })
    .from(messages)
    .where(eq(messages.conversationId, conversationId))
    .orderBy(desc(messages.createdAt))
    .limit(limit);
}
