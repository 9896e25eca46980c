/**
 * Secrets by chat: set ("set STRIPE_SECRET_KEY=sk_… on staging"), rotate (asking for the new value when
 * the message has none) and list names. A value is stored encrypted the moment it is understood and the
 * transcript and replies carry its `secretref://` instead, as setup answers do. A value a question must
 * wait with (which environment?) is kept sealed with the Worker's key in the conversation state, bound to
 * the conversation, and never in plain text anywhere.
 */
import { renderSecretNames, renderSecretStored, renderSecretValueQuestion } from "../chat/render-history";
import type { PendingSecret } from "../chat/language/secrets";
import { parseEnvRef } from "../domain/env-ref";
import { AppError } from "../domain/errors";
import type { ChatReply, ConversationState, IntentHandlers, SealedSecret, Turn } from "./chat-turn";
import { afterPlan } from "./chat-turn";
import type { ControlContext } from "./context";
import { resolveEnvName, rotateSecret, secretRefs, setSecret } from "./environments";
import { createPlan } from "./plans";

/** Where a stored secret lives, as transcripts and replies name it. */
export function secretRefOf(envRef: string, name: string): string {
  const { project, name: env } = parseEnvRef(envRef);
  return `secretref://${project}/${env}/${name}`;
}

/** Binds a sealed value to its conversation: copied into another conversation's state, it does not open. */
const aadOf = (conversationId: string, ref: string) => `chat-pending:${conversationId}/${ref}`;

/** Seals the secrets a question keeps until it is answered. */
export async function sealSecrets(
  cx: ControlContext,
  conversationId: string,
  secrets: readonly PendingSecret[],
): Promise<SealedSecret[]> {
  return Promise.all(
    secrets.map(async (s) => ({
      ref: s.ref,
      ...(s.name ? { name: s.name } : {}),
      ...(await cx.cipher.encrypt(s.value, aadOf(conversationId, s.ref))),
    })),
  );
}

/** Opens the secrets a question kept; one that no longer opens (a rotated master key) is dropped. */
export async function openSecrets(
  cx: ControlContext,
  conversationId: string,
  sealed: readonly SealedSecret[],
): Promise<PendingSecret[]> {
  const opened = await Promise.all(
    sealed.map(async (s) => {
      try {
        const value = await cx.cipher.decrypt(s, aadOf(conversationId, s.ref));
        return [{ ref: s.ref, value, ...(s.name ? { name: s.name } : {}) }];
      } catch {
        return [];
      }
    }),
  );
  return opened.flat();
}

export const SECRET_HANDLERS: IntentHandlers<"set-secret" | "rotate-secret" | "secrets"> = {
  async "set-secret"(turn, intent) {
    const secret = turn.secrets.get(intent.valueRef);
    if (!secret) return [{ text: lostValue(intent.name) }];
    const envRef = await resolveEnvName(turn.cx, intent.env);
    await setSecret(turn.cx, envRef, intent.name, secret.value);
    const ref = secretRefOf(envRef, intent.name);
    turn.stored.set(secret.value, ref);
    return [{ text: renderSecretStored(ref) }];
  },
  async "rotate-secret"(turn, intent) {
    const envRef = await resolveEnvName(turn.cx, intent.env);
    if (intent.valueRef) {
      const secret = turn.secrets.get(intent.valueRef);
      if (!secret) return [{ text: lostValue(intent.name) }];
      return rotate(turn, envRef, intent.name, secret.value);
    }
    // Rotating needs the new value: ask for it, after checking there is something to rotate.
    if (!(await secretRefs(turn.cx, envRef)).some((s) => s.name === intent.name))
      throw new AppError("not_found", `${envRef} has no secret ${intent.name} to rotate (set it first)`);
    turn.state.awaitingSecret = { env: envRef, name: intent.name, kind: "rotate-secret" };
    const text = renderSecretValueQuestion(intent.name, envRef);
    return [{ text, question: { slot: "secret-value", text, options: ["cancel"] } }];
  },
  async secrets({ cx }, intent) {
    const envRef = await resolveEnvName(cx, intent.env);
    return [{ text: renderSecretNames(envRef, await secretRefs(cx, envRef)) }];
  },
};

/** Stages the new value and plans the rotation run, as the REST route does. */
async function rotate(turn: Turn, envRef: string, name: string, value: string): Promise<ChatReply[]> {
  const env = await rotateSecret(turn.cx, envRef, name, value);
  turn.stored.set(value, secretRefOf(env, name));
  const plan = await createPlan(turn.cx, env, { type: "rotate-secret", params: { name } });
  const reply = await afterPlan(turn, plan);
  return [{ ...reply, text: `The new value of ${name} is staged encrypted.\n\n${reply.text}` }];
}

const CANCEL = /^(?:cancel|stop|abort|nvm|never ?mind|no)[.!]*$/i;

/**
 * The message answers "what is the new value of …?": taken as the value before any interpreter reads it,
 * like a setup answer. A message with spaces is not a pasted value: the question is dropped and the
 * message is read as usual. Null when no value was asked for.
 */
export async function secretValueTurn(
  turn: Turn,
  state: ConversationState,
  message: string,
): Promise<{ replies: ChatReply[]; transcript: string } | null> {
  const asked = state.awaitingSecret;
  if (!asked) return null;
  delete state.awaitingSecret;
  const value = message.trim();
  if (CANCEL.test(value)) return { replies: [{ text: "Nothing was stored or rotated." }], transcript: message };
  if (/\s/.test(value)) return null;
  try {
    const replies = await rotate(turn, asked.env, asked.name, value);
    return { replies, transcript: secretRefOf(asked.env, asked.name) };
  } catch (e) {
    if (!(e instanceof AppError) || e.code === "internal") throw e;
    return {
      replies: [{ text: `I can't do that: ${e.message}. The value was not kept.` }],
      transcript: "[secret not stored]",
    };
  }
}

function lostValue(name: string): string {
  return `I no longer have the value for ${name}: say it again with the environment, e.g. "set ${name}=… on staging".`;
}
