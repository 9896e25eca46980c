/**
 * Drafts → intents, checked against what exists. The one gate both interpreters pass (the rule grammar
 * and, through draftsFromIntents, the LLM): every environment, service and job named must exist (or be
 * created by an earlier request of the same message), every required slot must be filled, every number
 * must be in range — otherwise the answer is a question with options, or a refusal that says why.
 * Nothing here guesses, creates or ignores a name.
 */
import { Intent } from "../../domain/intent";
import { RemediationAction } from "../../domain/monitoring";
import { type LanguageContext, remoteEnvs } from "./context";
import { type Draft, type EnvSlot, REQUIRES_ENV, TAKES_SERVICES } from "./draft";
import { refusalText } from "./fallback";
import { closestName, nearNames } from "./fuzzy";
import type { RefusalReason } from "./refusals";
import { envNamed, serviceNamed } from "./text";

/** What a clarifying question is about. */
export type QuestionSlot = "env" | "from" | "other" | "services" | "job" | "name" | "scope";

export interface Question {
  slot: QuestionSlot;
  because: "missing" | "unknown" | "ambiguous";
  text: string;
  /** answers the user can click or type; each one continues the request */
  options: string[];
  /** the message's drafts, and which one the answer completes */
  drafts: Draft[];
  at: number;
}

export type Resolution =
  | { kind: "intents"; intents: Intent[] }
  | { kind: "question"; question: Question }
  | { kind: "refusal"; reason: RefusalReason; text: string };

const ENV_NAME = /^[a-z][a-z0-9-]{0,39}$/;
/** Read-only kinds answer about every environment, local ones included. */
const READS = new Set([
  "status",
  "audit",
  "audit-verify",
  "runs",
  "incidents",
  "secrets",
  "last-change",
  "compare",
  "bootstrap",
]);

/** Checks drafts against the context; the first problem found is the answer. */
export function resolveDrafts(drafts: readonly Draft[], context: LanguageContext): Resolution {
  const created = new Set<string>();
  const intents: Intent[] = [];
  for (let at = 0; at < drafts.length; at++) {
    const d = drafts[at];
    if (d.outOfRange) return { kind: "refusal", reason: "out-of-range", text: d.outOfRange };
    const problem =
      envProblem(d, at, drafts, context, created) ??
      serviceProblem(d, at, drafts, context) ??
      jobProblem(d, at, drafts, context);
    if (problem) return problem;
    // Remediation stays in the bounded set whoever read the message; anything else is refused unquoted.
    if (d.kind === "remediate" && !RemediationAction.safeParse(d.fields.action).success)
      return { kind: "refusal", reason: "destructive", text: refusalText("destructive") };
    if (d.kind === "set-secret" && typeof d.fields.name !== "string")
      return ask(
        "name",
        "missing",
        "Which variable should hold that secret? Say it as NAME=value, e.g. STRIPE_SECRET_KEY.",
        context.secretNames ?? [],
        drafts,
        at,
      );
    if (d.kind === "rotate-secret" && typeof d.fields.name !== "string")
      return ask(
        "name",
        "missing",
        `Which secret? ${(context.secretNames ?? []).join(" · ")}`,
        context.secretNames ?? [],
        drafts,
        at,
      );
    const intent = Intent.safeParse(intentOf(d, context));
    if (!intent.success)
      return {
        kind: "refusal",
        reason: "invalid",
        text: refusalText("invalid"),
      };
    if (intent.data.kind === "create-env") created.add(intent.data.env);
    intents.push(intent.data);
  }
  return { kind: "intents", intents };
}

function envProblem(
  d: Draft,
  at: number,
  drafts: readonly Draft[],
  context: LanguageContext,
  created: Set<string>,
): Resolution | null {
  const roles: ("env" | "from" | "other")[] = ["env", "from", "other"];
  for (const role of roles) {
    const slot = d[role];
    const options = READS.has(d.kind) ? [...context.envs] : remoteEnvs(context);
    if (slot?.ambiguous)
      return ask(role, "ambiguous", `Which environment do you mean? ${options.join(" · ")}`, options, drafts, at);
    if (slot && !slot.env) {
      const said = slot.said ?? "";
      const known = envNamed(said, context) ?? (created.has(said) ? said : undefined);
      if (known) {
        slot.env = known;
        continue;
      }
      // The environment a "create" brings into being: a new name, bare or of this project ("acme:qa").
      const fresh = said.startsWith(`${context.project}:`) ? said.slice(context.project.length + 1) : said;
      if (d.kind === "create-env" && role === "env" && ENV_NAME.test(fresh)) {
        slot.env = fresh;
        continue;
      }
      return unknownEnv(role, said, context, drafts, at);
    }
    if (!slot && role === "env" && REQUIRES_ENV.has(d.kind))
      return ask("env", "missing", `Which environment? ${options.join(" · ")}`, options, drafts, at);
    if (!slot && role === "from" && ["create-env", "promote-release"].includes(d.kind))
      return ask("from", "missing", `From which environment? ${options.join(" · ")}`, options, drafts, at);
    if (!slot && role === "other" && d.kind === "compare")
      return ask("other", "missing", `Compare with which environment? ${options.join(" · ")}`, options, drafts, at);
  }
  return null;
}

/** "No environment qa2 — did you mean qa? Or say 'create qa2 from staging'". */
function unknownEnv(
  role: "env" | "from" | "other",
  said: string,
  context: LanguageContext,
  drafts: readonly Draft[],
  at: number,
): Resolution {
  const name = ENV_NAME.test(said) ? said : undefined;
  const near = name ? nearNames(name, context.envs) : [];
  const source = remoteEnvs(context).find((e) => e !== "production") ?? context.envs[0];
  const create = name && source ? `create ${name} from ${source}` : undefined;
  const text = [
    name ? `No environment ${name}` : "No environment by that name",
    near.length > 0 ? ` — did you mean ${near.join(" or ")}?` : ` in ${context.project} (${context.envs.join(", ")}).`,
    create ? ` Or say '${create}'.` : "",
  ].join("");
  const options = [...(near.length > 0 ? near : remoteEnvs(context)), ...(create ? [create] : [])];
  return ask(role, "unknown", text, options, drafts, at);
}

function serviceProblem(d: Draft, at: number, drafts: readonly Draft[], context: LanguageContext): Resolution | null {
  const unknown: string[] = [];
  const known = new Set(d.services ?? []);
  for (const said of d.unknownServices ?? []) {
    const service = serviceNamed(said, context);
    if (service) known.add(service);
    else unknown.push(said);
  }
  d.services = known.size > 0 ? context.services.filter((s) => known.has(s)) : undefined;
  d.unknownServices = unknown.length > 0 ? unknown : undefined;
  if (unknown.length > 0) {
    const names = unknown.filter((s) => /^[a-z][a-z0-9 -]{0,39}$/.test(s));
    const there = `There is no service ${names.join(" or ") || "by that name"} in ${context.project} (${context.services.join(", ")}).`;
    if (!TAKES_SERVICES.has(d.kind))
      return { kind: "refusal", reason: "unknown-service", text: `${there} Nothing was planned.` };
    return ask(
      "services",
      "unknown",
      `${there} Which service${d.kind === "deploy" ? "s" : ""}?`,
      [...context.services],
      drafts,
      at,
    );
  }
  if (d.kind === "rollback" && d.services && d.services.length > 0 && d.services.length < context.services.length) {
    const env = d.env?.env ?? "the environment";
    return ask(
      "scope",
      "ambiguous",
      `A rollback moves all of ${env} (${context.services.join(", ")}) back to the earlier release, not only ${d.services.join(" and ")}. Roll back all of ${env}?`,
      ["yes", "cancel"],
      drafts,
      at,
    );
  }
  return null;
}

function jobProblem(d: Draft, at: number, drafts: readonly Draft[], context: LanguageContext): Resolution | null {
  if (d.kind !== "backfill") return null;
  if (!d.job && d.unknownJob) {
    const exact = context.jobs.find((j) => j.toLowerCase() === d.unknownJob?.toLowerCase());
    const typo =
      exact ??
      closestName(
        d.unknownJob.toLowerCase(),
        context.jobs.map((j) => j.toLowerCase()),
      );
    if (typo) d.job = context.jobs.find((j) => j.toLowerCase() === typo.toLowerCase());
  }
  if (d.job) return null;
  const jobs = [...context.jobs];
  if (d.jobOptions?.length)
    return ask("job", "ambiguous", `Which job? ${d.jobOptions.join(" · ")}`, d.jobOptions, drafts, at);
  if (d.unknownJob) {
    const said = /^[a-z][a-z0-9_-]{0,39}$/i.test(d.unknownJob) ? d.unknownJob : "by that name";
    return ask(
      "job",
      "unknown",
      `There is no job ${said} in ${context.project} (${jobs.join(", ")}). Which job?`,
      jobs,
      drafts,
      at,
    );
  }
  return ask("job", "missing", `Which job? ${jobs.join(" · ")}`, jobs, drafts, at);
}

function ask(
  slot: QuestionSlot,
  because: Question["because"],
  text: string,
  options: readonly string[],
  drafts: readonly Draft[],
  at: number,
): Resolution {
  return {
    kind: "question",
    question: { slot, because, text, options: [...options], drafts: structuredClone([...drafts]), at },
  };
}

/** The intent a checked draft stands for. */
function intentOf(d: Draft, context: LanguageContext): Record<string, unknown> {
  const intent: Record<string, unknown> = { kind: d.kind, ...d.fields };
  const name = (slot: EnvSlot | undefined) => slot?.env;
  if (d.env) intent.env = name(d.env);
  if (d.from) intent.from = name(d.from);
  if (d.other) intent.other = name(d.other);
  if (d.kind === "backfill") intent.job = d.job;
  if (d.kind === "deploy") {
    intent.params = intent.params ?? {};
    // Every service named is the same as none: the whole environment deploys.
    if (d.services && d.services.length > 0 && d.services.length < context.services.length)
      intent.services = d.services;
    else delete intent.services;
  }
  if (d.kind === "remediate" && d.services?.[0]) intent.service = d.services[0];
  return intent;
}
