import { z } from "zod";
import { withChainOverview } from "../chat/chain";
import { liftSecrets, type PendingSecret, scrubValues } from "../chat/language/secrets";
import type { ClarifyingQuestion } from "../chat/language/understand";
import { maskSecrets } from "../chat/language/understand";
import { ownConversation, saveTurn } from "../db/conversations";
import { listProjects } from "../db/projects";
import { AppError } from "../domain/errors";
import { newId } from "../domain/ids";
import type { Intent } from "../domain/intent";
import { handleIntent } from "./chat-handlers";
import { openSecrets, sealSecrets, secretValueTurn } from "./chat-secrets";
import type { ChatReply, Turn } from "./chat-turn";
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

/** What the transcript keeps in place of a secret value that was not stored. */
const WITHHELD = "[secret withheld: not stored]";
const HELD = "[secret held encrypted until the question is answered]";

/** Handles one chat message: intent → policy → plan/apply, replying with plans, run outcomes and questions. */
export async function handleChat(cx: ControlContext, input: z.infer<typeof ChatRequest>, waitMs = RUN_WAIT_MS) {
  const conversation = await loadConversation(cx, input.conversationId);
  const stored = ConversationState.safeParse(conversation.state);
  const state: ConversationState = stored.success ? stored.data : {};
  const secrets = new Map<string, PendingSecret>();
  const turn: Turn = { cx, state, waitMs, secrets, stored: new Map() };
  // Answers that may be secrets are read before any interpreter: a setup answer, a secret's value asked for.
  const answered = (await setupTurn(cx, state, input.message)) ?? (await secretValueTurn(turn, state, input.message));
  const kept = state.pending ? await openSecrets(cx, conversation.id, state.pending.secrets) : [];
  const interpretation: Interpretation = answered
    ? { intents: [], source: "parser" }
    : await interpret(cx, input.message, { id: conversation.id, state });
  // A question is answered (or left behind) by the next message, whatever it says.
  delete state.pending;
  for (const secret of interpretation.secrets?.length ? interpretation.secrets : kept) secrets.set(secret.ref, secret);
  const replies: ChatReply[] = answered
    ? answered.replies
    : interpretation.notice
      ? [{ text: interpretation.notice }]
      : [];
  if (interpretation.answer) replies.push({ text: interpretation.answer });
  const held = new Set<string>();
  if (interpretation.question) {
    replies.push(questionReply(interpretation.question));
    for (const secret of secrets.values()) held.add(secret.value);
    const sealed = await sealSecrets(cx, conversation.id, [...secrets.values()]);
    state.pending = { request: interpretation.question.pending, secrets: sealed };
  }
  const intents = await qualified(cx, state, interpretation.intents);
  // One intent per environment named ("add Redis to staging and production"): one reply each, in order.
  if (intents.length > 1) state.pendingPlanIds = [];
  state.lastPlannedRunId = undefined;
  for (const intent of intents) {
    try {
      replies.push(...(await handleIntent(turn, intent.kind, intent)));
    } catch (e) {
      if (!(e instanceof AppError) || e.code === "internal") throw e;
      replies.push({ text: `I can't do that: ${e.message}` });
    }
  }
  const redact = await cx.redactor();
  // Every value the message carried, and every one the question kept: none may come back in a reply.
  const lifted = answered ? [] : liftSecrets(input.message).secrets;
  const values = [...new Set([...lifted, ...secrets.values()].map((s) => s.value))];
  // "…; then do production": one overview of the chain before the plans it is made of.
  const chained = intents.some((i) => i.kind === "backfill" && i.chained);
  const safe = scrubValues(chained ? withChainOverview(replies) : replies, values).map((r) => ({
    ...r,
    text: redact(r.text),
  }));
  const transcript =
    answered?.transcript ??
    maskSecrets(input.message, lifted, (s) => turn.stored.get(s.value) ?? (held.has(s.value) ? HELD : WITHHELD));
  const now = new Date(cx.now()).toISOString();
  await saveTurn(
    cx.db,
    conversation,
    state,
    [
      {
        id: newId("msg"),
        conversationId: conversation.id,
        role: "user",
        text: redact(transcript),
        createdAt: now,
      },
      ...safe.map((r, i) => ({
        id: newId("msg"),
        conversationId: conversation.id,
        role: "assistant" as const,
        text: r.text,
        createdAt: `${now.slice(0, -1)}${i + 1}Z`,
      })),
    ],
    now,
  );
  return { conversationId: conversation.id, replies: safe, interpretedBy: interpretation.source };
}

/** A clarifying question as a reply: its text, and the answers to click or type. */
function questionReply(question: ClarifyingQuestion): ChatReply {
  const { text, options, pending } = question;
  return { text, question: { slot: pending.slot, text, options } };
}

/**
 * Bare environment names as "<project>:<env>" of the conversation's project, which the message was read
 * against; with several projects and none settled, names stay bare (an ambiguous one is then asked about).
 */
async function qualified(cx: ControlContext, state: ConversationState, intents: Intent[]): Promise<Intent[]> {
  if (intents.length === 0) return intents;
  const projects = state.project ? [] : await listProjects(cx.db, 2);
  const project = state.project ?? (projects.length === 1 ? projects[0].slug : undefined);
  if (!project) return intents;
  const full = (name: unknown) => (typeof name === "string" && !name.includes(":") ? `${project}:${name}` : name);
  return intents.map((intent) => {
    const named = intent as Intent & { env?: string; from?: string; other?: string };
    if (named.env === undefined && named.from === undefined && named.other === undefined) return intent;
    return {
      ...intent,
      ...(named.env !== undefined ? { env: full(named.env) } : {}),
      ...(named.from !== undefined ? { from: full(named.from) } : {}),
      ...(named.other !== undefined ? { other: full(named.other) } : {}),
    } as Intent;
  });
}

/** The conversation continued, or a new one: that is written with the turn's messages, in the same batch. */
async function loadConversation(cx: ControlContext, id: string | undefined) {
  if (id) {
    const row = await ownConversation(cx.db, id, cx.actor.id);
    if (!row) throw new AppError("not_found", `conversation ${id} not found`);
    return { id: row.id, state: row.state, stored: true, row };
  }
  const now = new Date(cx.now()).toISOString();
  const row = { id: newId("conv"), userId: cx.actor.id, state: {}, createdAt: now, updatedAt: now };
  return { id: row.id, state: row.state, stored: false, row };
}
