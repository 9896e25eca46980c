/**
 * The one place chat messages become intents. The rule parser always reads the message; when a language
 * model is configured (OPENAI_API_KEY) its reading is preferred, after llm-guard.ts has checked it, and
 * the parser's reading is used whenever the model is unavailable, errs, times out, returns invalid or
 * "unknown" output, or reads something it may not act on.
 */
import { parseEnvRef } from "../domain/env-ref";
import { envNames, guardDecisions, guardProject, isDecision } from "../chat/llm-guard";
import type { ChatTurn, ReadOnlyLookups } from "../chat/llm";
import { parseIntents } from "../chat/parser";
import { renderStatus } from "../chat/render";
import { findEnv } from "../db/environments";
import { listRuns } from "../db/runs";
import { latestMessages } from "../db/conversations";
import { listProjects } from "../db/projects";
import type { Intent } from "../domain/intent";
import type { ControlContext } from "./context";
import { envView, listEnvironments, resolveEnvName } from "./environments";

/** How long the model (with its tool calls) may take before the parser answers instead. */
export const LLM_TIMEOUT_MS = 8_000;
/** How many earlier messages of the conversation the model sees. */
const HISTORY_TURNS = 10;

export interface Interpretation {
  intents: Intent[];
  /** Which interpreter's reading is acted on. */
  source: "parser" | "llm";
  /** Shown to the user when the model's reading was set aside for a reason they should know. */
  notice?: string;
}

/** The conversation being continued: its id, and its state (where the conversation's project is kept). */
export interface ConversationRef {
  id: string;
  state: { project?: string };
}

/** Reads one chat message into intents (see the module comment for which interpreter wins). */
export async function interpret(
  cx: ControlContext,
  message: string,
  conversation: ConversationRef,
  timeoutMs = LLM_TIMEOUT_MS,
): Promise<Interpretation> {
  const parsed = parseIntents(message);
  // A decision the user typed literally ("yes", "approve 482193", "stop the canary") is never reread by
  // the model: a model that turned "halt the canary" into a status question would leave it running.
  if (!cx.languageModel || parsed.some(isDecision)) return { intents: parsed, source: "parser" };
  const project = await conversationProject(cx, conversation.state, parsed);
  let read: Intent[];
  try {
    const model = await cx.languageModel();
    const redact = await cx.redactor();
    // Loaded on first use, so deployments without a model never evaluate the SDK.
    const { interpretWithModel } = await import("../chat/llm");
    const history = await recentTurns(cx, conversation.id);
    read = await interpretWithModel({
      model,
      message: redact(message),
      history,
      lookups: readOnlyLookups(cx, redact, project),
      timeoutMs,
    });
  } catch (e) {
    // The error's name only: provider error messages can quote request details.
    console.warn(
      `chat: language model unavailable (${e instanceof Error ? e.name : "error"}); the rule parser reads this message`,
    );
    return { intents: parsed, source: "parser" };
  }
  // "unknown" anywhere means the model didn't understand all of it: acting on part would surprise.
  if (read.some((intent) => intent.kind === "unknown")) return { intents: parsed, source: "parser" };
  const decided = guardDecisions(read);
  const guarded = decided.ok
    ? await guardProject(decided.intents, { project, message, projectOf: (name) => projectOf(cx, name) })
    : decided;
  if (!guarded.ok)
    return {
      intents: parsed,
      source: "parser",
      notice: `I set aside the language model's reading (${guarded.reason}) and read your message literally.`,
    };
  return { intents: guarded.intents, source: "llm" };
}

/**
 * The conversation's project: the one the user's own words (the parser's reading) last named, kept in
 * the conversation's state; else the only project there is. The model can never move it.
 */
async function conversationProject(
  cx: ControlContext,
  state: ConversationRef["state"],
  parsed: Intent[],
): Promise<string | undefined> {
  const named = new Set<string>();
  for (const name of envNames(parsed)) {
    const project = await projectOf(cx, name);
    if (project) named.add(project);
  }
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
