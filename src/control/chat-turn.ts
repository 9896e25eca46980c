/**
 * One chat turn as intent handlers see it: who asks, the conversation's state, and how long a reply waits
 * for a run it started; with the two replies most handlers end in (a plan, a run's outcome).
 */
import { z } from "zod";
import { PendingRequest } from "../chat/language/understand";
import type { PendingSecret } from "../chat/language/secrets";
import { planQuestion } from "../chat/prompts";
import { renderPlan, renderRun } from "../chat/render";
import { renderNextStep, renderRunTail } from "../chat/render-replies";
import type { Intent } from "../domain/intent";
import { isTerminal } from "../domain/run";
import type { Plan } from "../domain/run";
import type { ControlContext } from "./context";
import { applyPlan, publicPlan } from "./plans";
import { runView } from "./runs";

/** A secret value kept for an unanswered question: sealed with the Worker's key, never plain in the state. */
export const SealedSecret = z.object({
  ref: z.string().regex(/^pending-secret:\d{1,3}$/),
  name: z.string().max(64).optional(),
  keyId: z.string().max(64),
  iv: z.string().max(64),
  ciphertext: z.string().max(16_384),
});
export type SealedSecret = z.infer<typeof SealedSecret>;

/** What the conversation remembers between messages (validated on every load; unknown keys are kept). */
export const ConversationState = z
  .object({
    /** Plans waiting for "apply", in the order they were made (one per environment named). */
    pendingPlanIds: z.array(z.string()).optional(),
    lastRunId: z.string().optional(),
    /** The run of the plan made last: a chained plan ("…; then do production") starts only after it. */
    lastPlannedRunId: z.string().optional(),
    /** The project the user's own words last named; the LLM interpreter may not leave it (interpret.ts). */
    project: z.string().optional(),
    /** An unfinished setup conversation (setup-conversation.ts): its next message is an answer. */
    setup: z.unknown().optional(),
    /** A request that asked a question: the next message answers it (chat/language `continueRequest`). */
    pending: z.object({ request: PendingRequest, secrets: z.array(SealedSecret).max(10).default([]) }).optional(),
    /** A secret's value was asked for ("rotate STRIPE_SECRET_KEY on production"): the next message is it. */
    awaitingSecret: z
      .object({ env: z.string().max(200), name: z.string().max(64), kind: z.enum(["set-secret", "rotate-secret"]) })
      .optional(),
  })
  .loose();
export type ConversationState = z.infer<typeof ConversationState>;

export interface ChatReply {
  text: string;
  /** What the next message answers (API.md "Chat"): `text` asks it, `options` are answers to click or type. */
  question?: { slot: string; text: string; options?: string[] };
  plan?: ReturnType<typeof publicPlan>;
  run?: Awaited<ReturnType<typeof runView>>;
}

/** The turn an intent is handled in. */
export interface Turn {
  cx: ControlContext;
  state: ConversationState;
  /** How long a reply waits for a run it started before answering "still going". */
  waitMs: number;
  /** Secret values the message carried (or the question kept), by the `valueRef` intents name them with. */
  secrets: ReadonlyMap<string, PendingSecret>;
  /** Where each secret the turn stored now lives (`secretref://…`), for the transcript; by value. */
  stored: Map<string, string>;
}

export type IntentKind = Intent["kind"];
/** Each intent kind's own shape. */
export type IntentOf = { [K in IntentKind]: Extract<Intent, { kind: K }> };
/** Replies to one intent of kind K. */
export type IntentHandler<K extends IntentKind> = (turn: Turn, intent: IntentOf[K]) => Promise<ChatReply[]>;
/** One handler per intent kind: a new kind without a handler does not compile. */
export type IntentHandlers<K extends IntentKind = IntentKind> = { [P in K]: IntentHandler<P> };

/** A plan's reply: applied at once where policy auto-applies, else pending until "apply". */
export async function afterPlan(turn: Turn, plan: Plan, waitMs = turn.waitMs): Promise<ChatReply> {
  const { cx, state } = turn;
  state.lastPlannedRunId = plan.runId;
  const text = renderPlan(plan);
  if (plan.autoApply) {
    const run = await applyPlan(cx, plan.id);
    state.lastRunId = run.id;
    state.pendingPlanIds = (state.pendingPlanIds ?? []).filter((id) => id !== plan.id);
    const reply = await runReply(cx, run.id, waitMs);
    return { ...reply, text: `${text}\n\n${plan.env} auto-applies by policy.\n${reply.text}`, plan: publicPlan(plan) };
  }
  // A contract migration split off a canary deploy is applied with it, and waits for it (and its soak).
  state.pendingPlanIds = [
    ...(state.pendingPlanIds ?? []),
    plan.id,
    ...(plan.followUpPlanId ? [plan.followUpPlanId] : []),
  ];
  const question = planQuestion(plan);
  return {
    text: `${text}\n\n${renderNextStep(plan)}`,
    plan: publicPlan(plan),
    ...(question ? { question } : {}),
  };
}

/** A run's state, after waiting up to `waitMs` for it to end or to need a person. */
export async function runReply(cx: ControlContext, runId: string, waitMs: number): Promise<ChatReply> {
  const deadline = cx.now() + waitMs;
  let run = await runView(cx, runId);
  while (cx.now() < deadline && !isTerminal(run.status) && run.status !== "awaiting-approval") {
    await new Promise((r) => setTimeout(r, 150));
    run = await runView(cx, runId);
  }
  return { text: renderRun(run) + renderRunTail(run, run.requestedBy === cx.actor.id, isTerminal(run.status)), run };
}
