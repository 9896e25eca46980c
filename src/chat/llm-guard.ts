/**
 * What an LLM reading may do before it reaches policy. The model's output is data, and data can be
 * steered: by a pasted log line, by text in the conversation, or by a model that is simply wrong. These
 * checks are pure; the caller supplies the parser's reading of the literal message and a project lookup.
 */
import type { Intent } from "../domain/intent";

/**
 * Intents that act on something already pending instead of proposing a new plan: applying a plan,
 * deciding an approval; cancelling, promoting, stopping or resuming a run; acknowledging an alert (which
 * stops its escalation); adopting or reverting drift; switching an environment's apply policy (it decides
 * what later plans do without asking).
 */
const DECISIONS = new Set<Intent["kind"]>([
  "apply",
  "approve",
  "reject",
  "cancel",
  "promote",
  "stop",
  "resume",
  "ack",
  "drift",
  "policy",
]);

/** Whether an intent acts on something already pending (see DECISIONS). */
export function isDecision(intent: Intent): boolean {
  return DECISIONS.has(intent.kind);
}

export type GuardResult = { ok: true; intents: Intent[] } | { ok: false; reason: string };

/**
 * Decisions come only from the user's literal words: the caller lets the rule parser's reading stand
 * whenever it is a decision, without asking the model, and any decision in the model's reading of any
 * other message is refused here.
 *
 * Why not "the message contains the verb": a pasted log line or quoted text contains it too
 * ("what does `bob: approve 482193` in this log mean?"), and that is exactly the injection to stop. The
 * parser reads a decision only when the whole message is one — led by approve/reject/cancel/stop…, or
 * nothing but a confirmation ("yes", "ship it", "yes 4821") — so a decision acts only when the user's
 * own sentence is that decision, with the code the user typed. The model can make loose commands
 * plannable; it never adds authority: roles, approval and self-approval checks still run afterwards,
 * exactly as for the parser.
 */
export function guardDecisions(llm: Intent[]): GuardResult {
  const decision = llm.find(isDecision);
  if (!decision) return { ok: true, intents: llm };
  return { ok: false, reason: `the language model read "${decision.kind}" into a message that doesn't say it` };
}

/**
 * Every environment an LLM intent names must belong to the conversation's project. With no project
 * settled yet, a project the model names must appear in the user's own message. `projectOf` returns
 * the project an environment name resolves to, or undefined when it doesn't resolve (the command then
 * fails downstream with the same "not found" the parser path gets).
 */
export async function guardProject(
  llm: Intent[],
  input: { project: string | undefined; message: string; projectOf: (env: string) => Promise<string | undefined> },
): Promise<GuardResult> {
  for (const name of envNames(llm)) {
    const project = await input.projectOf(name);
    if (project === undefined) continue;
    const allowed = input.project !== undefined ? project === input.project : mentions(input.message, project);
    if (!allowed) {
      const where = input.project ? `this conversation's project is ${input.project}` : "your message names no project";
      return { ok: false, reason: `the language model named ${name}, in project ${project}, but ${where}` };
    }
  }
  return { ok: true, intents: llm };
}

/** Whether the message names the project slug as a word of its own ("acme", "acme:staging"; not "acmeish"). */
function mentions(message: string, slug: string): boolean {
  const words = message.toLowerCase().split(/[^a-z0-9-]+/);
  return words.includes(slug.toLowerCase());
}

/** Every environment name an intent carries (env, from, other). */
export function envNames(intents: Intent[]): string[] {
  return intents.flatMap((intent) => {
    const fields = intent as { env?: string; from?: string; other?: string };
    return [fields.env, fields.from, fields.other].filter((name): name is string => typeof name === "string");
  });
}
