/**
 * The one place chat messages become something to act on. The language layer (src/chat/language) reads
 * every message against the conversation's project: intents, a clarifying question, a refusal or the
 * fallback. When a language model is configured its reading of a request is preferred: it sees the
 * message with its secrets lifted out, and what it returns passes llm-guard.ts and then the same
 * resolution as the grammar's (names checked against what exists, missing slots asked for). The language
 * layer's reading stands whenever the model is unavailable, errs, times out, returns invalid or "unknown"
 * output, or reads something it may not act on — and decisions, refusals, questions about unknown names
 * and answers to a question are never reread by the model.
 */
import type { ChatTurn, ReadOnlyLookups } from "../chat/llm";
import { guardDecisions, guardProject, isDecision } from "../chat/llm-guard";
import { liftSecrets, type PendingSecret } from "../chat/language/secrets";
import {
  type ClarifyingQuestion,
  continueRequest,
  type PendingRequest,
  resolveIntents,
  type Understanding,
  understand,
} from "../chat/language/understand";
import { renderStatus } from "../chat/render";
import { latestMessages } from "../db/conversations";
import { findEnv } from "../db/environments";
import { listProjects, projectBySlug } from "../db/projects";
import { listRuns } from "../db/runs";
import { parseEnvRef } from "../domain/env-ref";
import type { Intent } from "../domain/intent";
import type { ControlContext } from "./context";
import { envView, listEnvironments, resolveEnvName } from "./environments";
import { languageContext } from "./language-context";

/** How long the model (with its tool calls) may take before the language layer's reading is used. */
export const LLM_TIMEOUT_MS = 8_000;
/** How many earlier messages of the conversation the model sees. */
const HISTORY_TURNS = 10;

export interface Interpretation {
  /** What to act on: empty when a question, a refusal or the fallback answers instead. */
  intents: Intent[];
  /** Which reader's reading is used: the language layer ("parser") or the model. */
  source: "parser" | "llm";
  /** Shown to the user when the model's reading was set aside for a reason they should know. */
  notice?: string;
  /** A missing, unknown or ambiguous name or slot: asked, and the next message answers it. */
  question?: ClarifyingQuestion;
  /** The whole reply when nothing is acted on: a refusal, or the fallback (never the message itself). */
  answer?: string;
  /** Secret values lifted out of the message that the intents or the question use (store them at once). */
  secrets?: PendingSecret[];
}

/** The conversation being continued: its id, and its state (the project, an unanswered question). */
export interface ConversationRef {
  id: string;
  state: { project?: string; pending?: { request: PendingRequest } };
}

/** Reads one chat message (see the module comment for which reader wins). */
export async function interpret(
  cx: ControlContext,
  message: string,
  conversation: ConversationRef,
  timeoutMs = LLM_TIMEOUT_MS,
): Promise<Interpretation> {
  const project = await conversationProject(cx, conversation.state, message);
  const context = await languageContext(cx, project);
  const pending = conversation.state.pending?.request;
  const rule = pending ? continueRequest(pending, message, context) : understand(message, context);
  const literal = interpretation(rule, "parser");
  // A question offers this project's names: its answer is about this project.
  if (rule.kind === "question") conversation.state.project ??= context.project || undefined;
  if (!cx.languageModel || !mayReread(rule, pending !== undefined)) return literal;
  const lifted = liftSecrets(message);
  let read: Intent[];
  try {
    const model = await cx.languageModel();
    const redact = await cx.redactor();
    // Loaded on first use, so deployments without a model never evaluate the SDK.
    const { interpretWithModel } = await import("../chat/llm");
    const history = await recentTurns(cx, conversation.id);
    read = await interpretWithModel({
      model,
      // The model sees placeholders (__secret1__), never a secret value.
      message: redact(lifted.text),
      history,
      lookups: readOnlyLookups(cx, redact, project),
      timeoutMs,
    });
  } catch (e) {
    // The error's name only: provider error messages can quote request details.
    console.warn(
      `chat: language model unavailable (${e instanceof Error ? e.name : "error"}); the language layer reads this message`,
    );
    return literal;
  }
  // "unknown" anywhere means the model didn't understand all of it: acting on part would surprise.
  if (read.some((intent) => intent.kind === "unknown")) return literal;
  const decided = guardDecisions(read);
  const guarded = decided.ok
    ? await guardProject(decided.intents, { project, message, projectOf: (name) => projectOf(cx, name) })
    : decided;
  if (!guarded.ok)
    return {
      ...literal,
      notice: `I set aside the language model's reading (${guarded.reason}) and read your message literally.`,
    };
  const resolved = resolveIntents(guarded.intents, context, message);
  if (resolved.kind === "fallback") return literal;
  return interpretation(resolved, "llm", lifted.secrets);
}

/**
 * Whether the model may read a message the language layer read this way. Decisions come only from the
 * user's own words (llm-guard.ts); a refusal or a question about a name that does not exist must not turn
 * into a plan because a model guessed; an answer to a question continues that request.
 */
function mayReread(rule: Understanding, answering: boolean): boolean {
  if (rule.kind === "refusal") return false;
  if (rule.kind === "intents") return !answering && !rule.intents.some(isDecision);
  if (rule.kind === "question") return !answering && rule.question.pending.because !== "unknown";
  return true;
}

/** An understanding as the chat acts on it; the model's intents take the message's secrets they name. */
function interpretation(u: Understanding, source: Interpretation["source"], lifted?: PendingSecret[]): Interpretation {
  if (u.kind === "refusal" || u.kind === "fallback") return { intents: [], source, answer: u.text };
  const refs = new Set(
    u.kind === "intents"
      ? u.intents.flatMap((i) =>
          (i.kind === "set-secret" || i.kind === "rotate-secret") && i.valueRef ? [i.valueRef] : [],
        )
      : u.question.pending.drafts.flatMap((d) => (typeof d.fields.valueRef === "string" ? [d.fields.valueRef] : [])),
  );
  const secrets = lifted ? lifted.filter((s) => refs.has(s.ref)) : u.secrets;
  const base = u.kind === "intents" ? { intents: u.intents, source } : { intents: [], source, question: u.question };
  return secrets.length > 0 ? { ...base, secrets } : base;
}

/**
 * The conversation's project: the one the user's own words last named ("acme:staging"), kept in the
 * conversation's state; else the only project there is. The model can never move it.
 */
async function conversationProject(
  cx: ControlContext,
  state: ConversationRef["state"],
  message: string,
): Promise<string | undefined> {
  const named = new Set<string>();
  for (const [, slug] of message.toLowerCase().matchAll(/(?<![\w-])([a-z][a-z0-9-]{0,39}):[a-z][a-z0-9-]{0,39}\b/g))
    if (await projectBySlug(cx.db, slug)) named.add(slug);
  if (named.size === 1) state.project = [...named][0];
  if (state.project) return state.project;
  const all = await listProjects(cx.db, 2);
  return all.length === 1 ? all[0].slug : undefined;
}

async function projectOf(cx: ControlContext, name: string): Promise<string | undefined> {
  const named = parseEnvRef(name).project;
  if (named) return named.toLowerCase();
  try {
    return parseEnvRef(await resolveEnvName(cx, name)).project ?? undefined;
  } catch {
    return undefined;
  }
}

/** The conversation's latest messages, oldest first (stored redacted); approval codes are masked too. */
async function recentTurns(cx: ControlContext, conversationId: string): Promise<ChatTurn[]> {
  const rows = await latestMessages(cx.db, conversationId, HISTORY_TURNS);
  return rows
    .reverse()
    .map((row) => ({ role: row.role, text: row.text.replace(/\bcode is \d{4,8}\b/g, "code is ••••••") }));
}

/** The model's only tools: reads any viewer may make, scoped to the conversation's project, redacted. */
function readOnlyLookups(
  cx: ControlContext,
  redact: (text: string) => string,
  project: string | undefined,
): ReadOnlyLookups {
  const scrubbed = (value: unknown) => redact(JSON.stringify(value));
  return {
    async environments() {
      const slugs = project ? [project] : (await listProjects(cx.db)).map((p) => p.slug);
      const views = (await Promise.all(slugs.map((slug) => listEnvironments(cx, slug)))).flat();
      return scrubbed(
        views.map((v) => ({
          env: v.env,
          revision: v.revision,
          currentRelease: v.currentRelease?.version ?? null,
          activeRun: v.activeRun,
        })),
      );
    },
    async runs(env, limit) {
      const row = await findEnv(cx.db, await resolveEnvName(cx, env));
      const recent = await listRuns(cx.db, row.id, undefined, limit);
      return scrubbed(recent.map((r) => ({ id: r.id, type: r.type, status: r.status, createdAt: r.createdAt })));
    },
    async status(env) {
      const view = await envView(cx, await resolveEnvName(cx, env));
      return redact(renderStatus(view, await listRuns(cx.db, view.id, undefined, 5)));
    },
  };
}
