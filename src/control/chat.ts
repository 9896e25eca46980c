import { z } from "zod";
import { withChainOverview } from "../chat/chain";
import { ownConversation, saveTurn } from "../db/conversations";
import { AppError } from "../domain/errors";
import { newId } from "../domain/ids";
import type { Intent } from "../domain/intent";
import { INTENT_HANDLERS } from "./chat-handlers";
import type { ChatReply, IntentOf, Turn } from "./chat-turn";
import { ConversationState } from "./chat-turn";
import type { ControlContext } from "./context";
import { type Interpretation, interpret } from "./interpret";
import { setupTurn } from "./setup-conversation";

export type { ChatReply };

export const ChatRequest = z
  .object({
    message: z.string().trim().min(1).max(4000),
    conversationId: z.string().max(100).optional(),
  })
  .strict();

/** How long a chat reply waits for a started run to finish before answering "still running". */
const RUN_WAIT_MS = 10_000;

/** Handles one chat message: intent → policy → plan/apply, replying with plans and run outcomes. */
export async function handleChat(cx: ControlContext, input: z.infer<typeof ChatRequest>, waitMs = RUN_WAIT_MS) {
  const conversation = await loadConversation(cx, input.conversationId);
  const stored = ConversationState.safeParse(conversation.state);
  const state: ConversationState = stored.success ? stored.data : {};
  // A setup conversation reads its own answers before any interpreter: some of them are secrets.
  const setup = await setupTurn(cx, state, input.message);
  // One intent per environment named ("add Redis to staging and production"): one reply each, in order.
  const interpretation: Interpretation = setup
    ? { intents: [], source: "parser" }
    : await interpret(cx, input.message, { id: conversation.id, state });
  const intents = interpretation.intents;
  const replies: ChatReply[] = setup ? setup.replies : interpretation.notice ? [{ text: interpretation.notice }] : [];
  if (intents.length > 1) state.pendingPlanIds = [];
  state.lastPlannedRunId = undefined;
  for (const intent of intents) {
    try {
      replies.push(...(await respond({ cx, state, waitMs }, intent.kind, intent)));
    } catch (e) {
      if (!(e instanceof AppError) || e.code === "internal") throw e;
      replies.push({ text: `I can't do that: ${e.message}` });
    }
  }
  const redact = await cx.redactor();
  // "…; then do production": one overview of the chain before the plans it is made of.
  const chained = intents.some((i) => i.kind === "backfill" && i.chained);
  const safe = (chained ? withChainOverview(replies) : replies).map((r) => ({ ...r, text: redact(r.text) }));
  const now = new Date(cx.now()).toISOString();
  if (!conversation.stored) conversation.row.title = conversationTitle(redact(setup?.transcript ?? input.message));
  await saveTurn(
    cx.db,
    conversation,
    state,
    [
      {
        id: newId("msg"),
        conversationId: conversation.id,
        role: "user",
        text: redact(setup?.transcript ?? input.message),
        parts: null,
        createdAt: now,
      },
      ...safe.map((r, i) => ({
        id: newId("msg"),
        conversationId: conversation.id,
        role: "assistant" as const,
        text: r.text,
        parts: replyParts(r),
        createdAt: `${now.slice(0, -1)}${i + 1}Z`,
      })),
    ],
    now,
  );
  return { conversationId: conversation.id, replies: safe, interpretedBy: interpretation.source };
}

/** A conversation is listed by its first message, on one line. */
function conversationTitle(message: string): string {
  const line = message.replace(/\s+/g, " ").trim();
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}

/** Hands an intent to the handler of its kind. */
function respond<K extends Intent["kind"]>(turn: Turn, kind: K, intent: IntentOf[K]): Promise<ChatReply[]> {
  return INTENT_HANDLERS[kind](turn, intent);
}

/** The conversation continued, or a new one: that is written with the turn's messages, in the same batch. */
async function loadConversation(cx: ControlContext, id: string | undefined) {
  if (id) {
    const row = await ownConversation(cx.db, id, cx.actor.id);
    if (!row) throw new AppError("not_found", `conversation ${id} not found`);
    return { id: row.id, state: row.state, stored: true, row };
  }
  const now = new Date(cx.now()).toISOString();
  const row = { id: newId("conv"), userId: cx.actor.id, state: {}, title: null, createdAt: now, updatedAt: now };
  return { id: row.id, state: row.state, stored: false, row };
}

/**
 * What a reply carries besides its text (plan, run, question, and whatever a reply grows later), stored
 * as is so a reload draws the same cards; null for a text-only reply.
 */
function replyParts(reply: ChatReply): Record<string, unknown> | null {
  const { text: _text, ...parts } = reply;
  // An approver's code is shown to them alone and never stored.
  if (parts.run?.approvals?.code) {
    const { code: _code, ...approvals } = parts.run.approvals;
    parts.run = { ...parts.run, approvals };
  }
  return Object.keys(parts).length ? parts : null;
}
