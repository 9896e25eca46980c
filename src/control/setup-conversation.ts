/**
 * The setup conversation (spec §11.1): the setup sentence starts it, every later message of the same
 * conversation answers the pending question, and the last answer turns into setup plans for each
 * environment. Secrets typed as answers are stored encrypted at once; the conversation state, the
 * transcript and every reply only ever hold their `secretref://` references.
 */
import { z } from "zod";
import { renderPlan } from "../chat/render";
import { renderNextStep } from "../chat/render-replies";
import {
  applyAnswer,
  CREDENTIAL,
  nextQuestion,
  parseSetupRequest,
  SETUP_ENVS,
  SetupAnswers,
  type SetupFacts,
  type SetupQuestion,
} from "../chat/setup-questions";
import { insertRevision, listEnvs, specAt } from "../db/environments";
import { connectionOf, markPendingAuth as markConnectionPendingAuth, setSenderDomain } from "../db/connections";
import { projectBySlug } from "../db/projects";
import { listSecrets } from "../db/secrets";
import { AppError } from "../domain/errors";
import { EnvironmentSpec } from "../domain/spec";
import { invoicePerfectSpec } from "../domain/template";
import { stripeKeyRefusal } from "../providers/stripe/keys";
import { requireRole } from "../security/roles";
import { verifyConnections } from "./connections";
import type { ChatReply } from "./chat-turn";
import type { ControlContext } from "./context";
import { createEnvironment, createProject, setSecret } from "./environments";
import { applyPlan, createPlan, publicPlan } from "./plans";
import { runView } from "./runs";

/** The setup conversation as kept in the conversation state (validated on every load). */
export const SetupState = z.object({
  request: z.object({
    projectName: z.string().optional(),
    envs: z.array(z.enum(SETUP_ENVS)).min(1),
    connections: z.array(z.enum(["stripe", "sendgrid", "twilio"])),
  }),
  answers: SetupAnswers,
  /** The slot whose answer the next message is. */
  pending: z.string().optional(),
  /** Every slot asked, in order (a refused answer re-asks the same slot without adding it again). */
  asked: z.array(z.string()).default([]),
  projectSlug: z.string().optional(),
  /** Environments that existed before this conversation: their shape is known, so it is not asked. */
  preexisting: z.array(z.string()).default([]),
});
export type SetupState = z.infer<typeof SetupState>;

/** The part of a conversation's state this module reads and writes. */
export interface SetupHolder {
  setup?: unknown;
  pendingPlanIds?: string[];
  lastRunId?: string;
}

/** One handled message: the replies, and what the transcript keeps in place of the message. */
export interface SetupTurn {
  replies: ChatReply[];
  /** The message as stored: itself, or the secretref:// references of the secret it was. */
  transcript: string;
}

const SENDGRID_KEY = /^SG\.[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]+)?$/;
const CANCEL = /^(?:cancel|stop|abort|quit)(?: (?:the )?setup)?[.!]*$/i;
const slugify = (name: string) =>
  name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 40) || "project";

/**
 * Handles the message when it starts or continues a setup conversation, else returns null (the message
 * goes to the interpreters). Called before any interpreter, so an answer that is a secret reaches none.
 */
export async function setupTurn(cx: ControlContext, holder: SetupHolder, message: string): Promise<SetupTurn | null> {
  const active = holder.setup === undefined ? null : SetupState.safeParse(holder.setup);
  if (active && !active.success) delete holder.setup;
  if (active?.success) return continueSetup(cx, holder, active.data, message);
  const request = parseSetupRequest(message);
  if (!request) return null;
  try {
    requireRole(cx.actor.role, "manage-environments");
  } catch (e) {
    if (e instanceof AppError)
      return {
        replies: [{ text: `I can't do that: ${e.message} (setting up environments needs an admin)` }],
        transcript: message,
      };
    throw e;
  }
  const state: SetupState = { request, answers: SetupAnswers.parse({}), asked: [], preexisting: [] };
  const known = [
    request.projectName && `project ${request.projectName}`,
    `environments ${request.envs.join(", ")}`,
    "Railway for services",
    "Cloudflare for DNS and canary",
    ...request.connections.map((c) => `connect ${c === "twilio" ? "SMS" : c[0].toUpperCase() + c.slice(1)}`),
  ]
    .filter(Boolean)
    .join("; ");
  const turn = await advance(
    cx,
    holder,
    state,
    `Setting up: ${known}. I'll ask only what I don't know yet; "default" takes the offered default, "cancel" stops.`,
  );
  return { ...turn, transcript: message };
}

async function continueSetup(
  cx: ControlContext,
  holder: SetupHolder,
  state: SetupState,
  message: string,
): Promise<SetupTurn> {
  if (CANCEL.test(message.trim())) {
    delete holder.setup;
    return {
      replies: [
        {
          text: "Setup stopped. What was already stored (keys, environments) stays; say the setup sentence again to continue where it left off.",
        },
      ],
      transcript: message,
    };
  }
  const facts = state.projectSlug ? await loadFacts(cx, state, state.projectSlug) : null;
  const question =
    facts && state.pending
      ? nextQuestion(facts, state.answers)
      : state.pending === "project"
        ? { slot: "project", text: "" }
        : null;
  if (!question || question.slot !== state.pending) return advance(cx, holder, state, "");
  if (question.secret) return answerSecret(cx, holder, state, question, message);
  if (CREDENTIAL.test(message)) {
    // A key pasted at the wrong question is neither stored nor kept in the transcript.
    return reask(
      holder,
      state,
      question,
      "That looks like a credential, and this question isn't asking for one; it was not stored.",
      "[credential withheld: not stored]",
    );
  }
  const result = applyAnswer(facts ?? emptyFacts(state), state.answers, question.slot, message);
  if (!result.ok) return reask(holder, state, question, `I couldn't use that: ${result.error}.`, message);
  state.answers = result.answers;
  return { ...(await advance(cx, holder, state, "")), transcript: message };
}

/** Stores a secret answer for every environment it serves, after the key rules for each (keys.ts). */
async function answerSecret(
  cx: ControlContext,
  holder: SetupHolder,
  state: SetupState,
  question: SetupQuestion,
  message: string,
): Promise<SetupTurn> {
  const value = message.trim();
  const slug = projectSlugOf(state);
  const envs = state.request.envs;
  const [name, targets] =
    question.slot === "stripe.test"
      ? ["STRIPE_SECRET_KEY", envs.filter((e) => e !== "production")]
      : question.slot === "stripe.live"
        ? ["STRIPE_SECRET_KEY", ["production"]]
        : ["SENDGRID_API_KEY", envs];
  const withheld = "[credential refused: not stored]";
  if (/\s/.test(value))
    return reask(holder, state, question, "Paste only the key, nothing else; it was not stored.", withheld);
  const refusal =
    name === "STRIPE_SECRET_KEY"
      ? (targets.map((env) => stripeKeyRefusal(env, value)).find((r) => r !== null) ?? null)
      : SENDGRID_KEY.test(value)
        ? null
        : "not a SendGrid API key (they start with SG.)";
  if (refusal) return reask(holder, state, question, `I can't use that key: ${refusal}. It was not stored.`, withheld);
  try {
    for (const env of targets) await setSecret(cx, `${slug}:${env}`, name, value);
  } catch (e) {
    if (e instanceof AppError)
      return reask(holder, state, question, `I couldn't store it: ${e.message}. It was not stored.`, withheld);
    throw e;
  }
  const refs = targets.map((env) => `secretref://${slug}/${env}/${name}`);
  state.answers = { ...state.answers, secretRefs: { ...state.answers.secretRefs, [question.slot]: refs } };
  const turn = await advance(cx, holder, state, `Stored encrypted as ${refs.join(", ")}.`);
  return { ...turn, transcript: refs.join(" ") };
}

function reask(
  holder: SetupHolder,
  state: SetupState,
  question: SetupQuestion,
  why: string,
  transcript: string,
): SetupTurn {
  holder.setup = state;
  return {
    replies: [
      {
        text: `${why}\n${question.text}`,
        question: {
          slot: question.slot,
          text: question.text,
          ...(question.options ? { options: question.options } : {}),
        },
      },
    ],
    transcript,
  };
}

/** Makes sure the project and environments exist once named, then asks the next question or finishes. */
async function advance(
  cx: ControlContext,
  holder: SetupHolder,
  state: SetupState,
  preface: string,
): Promise<SetupTurn> {
  const name = state.answers.project ?? state.request.projectName;
  if (name && !state.projectSlug) await ensureProject(cx, state, name);
  const facts = state.projectSlug ? await loadFacts(cx, state, state.projectSlug) : emptyFacts(state);
  const question = state.projectSlug
    ? nextQuestion(facts, state.answers)
    : { slot: "project", text: "What is the project called?" };
  const lead = preface ? `${preface}\n` : "";
  if (question) {
    state.pending = question.slot;
    if (!state.asked.includes(question.slot)) state.asked.push(question.slot);
    if (question.secret)
      await markPendingAuth(cx, projectSlugOf(state), question.slot.startsWith("stripe") ? "stripe" : "sendgrid");
    holder.setup = state;
    return {
      replies: [
        {
          text: `${lead}${question.text}`,
          question: {
            slot: question.slot,
            text: question.text,
            ...(question.options ? { options: question.options } : {}),
          },
        },
      ],
      transcript: "",
    };
  }
  delete holder.setup;
  const replies = await finish(cx, holder, state);
  if (lead) replies.unshift({ text: lead.trim() });
  return { replies, transcript: "" };
}

async function ensureProject(cx: ControlContext, state: SetupState, name: string): Promise<void> {
  const slug = slugify(name);
  const existing = await projectBySlug(cx.db, slug);
  const project = existing ?? (await createProject(cx, { name, template: "invoice-perfect" }));
  const have = new Set((await listEnvs(cx.db, project.id)).map((e) => e.name));
  state.preexisting = state.request.envs.filter((e) => have.has(e));
  for (const env of state.request.envs) if (!have.has(env)) await createEnvironment(cx, project.slug, { name: env });
  state.projectSlug = project.slug;
}

/** What the control plane already knows about the project: its specs, stored secret names, connection settings. */
async function loadFacts(cx: ControlContext, state: SetupState, slug: string): Promise<SetupFacts> {
  const project = await projectBySlug(cx.db, slug);
  if (!project) throw new AppError("not_found", `project ${slug} not found`);
  const envs = await listEnvs(cx.db, project.id);
  const specs = Object.fromEntries(
    await Promise.all(envs.map(async (e) => [e.name, (await specAt(cx.db, e.id)).spec] as const)),
  );
  const storedSecrets = Object.fromEntries(
    await Promise.all(envs.map(async (e) => [e.name, (await listSecrets(cx.db, e.id)).map((s) => s.name)] as const)),
  );
  const template = specs.staging ?? invoicePerfectSpec("staging");
  const sendgrid = await connectionOf(cx.db, project.id, "sendgrid");
  const senderDomain = z
    .object({ senderDomain: z.string().optional() })
    .loose()
    .safeParse(sendgrid?.metadata ?? {}).data?.senderDomain;
  // An environment that existed before this conversation already has a shape: its sources, domains and components are known.
  const shapeKnown = state.request.envs.every((e) => state.preexisting.includes(e));
  return {
    request: state.request,
    services: shapeKnown
      ? {}
      : Object.fromEntries(
          Object.entries(template.services).map(([n, s]) => [
            n,
            { repo: s.source.repo, branch: s.source.branch, build: s.build },
          ]),
        ),
    defaultDomains: Object.fromEntries(SETUP_ENVS.map((e) => [e, specs[e]?.domains ?? invoicePerfectSpec(e).domains])),
    storedSecrets,
    ...(senderDomain ? { senderDomain } : {}),
    productionPhones: specs.production?.policies.notify ?? [],
    knownDomains: state.preexisting,
    knownComponents: shapeKnown,
  };
}

/** The project being set up: named before any question about its connections is asked. */
function projectSlugOf(state: SetupState): string {
  if (!state.projectSlug) throw new Error("the setup conversation has no project yet");
  return state.projectSlug;
}

function emptyFacts(state: SetupState): SetupFacts {
  return { request: state.request, services: {}, defaultDomains: {}, storedSecrets: {}, productionPhones: [] };
}

/** pending-auth: credentials were asked for and not given yet (never downgrades a configured connection). */
async function markPendingAuth(cx: ControlContext, slug: string, provider: "stripe" | "sendgrid"): Promise<void> {
  const project = await projectBySlug(cx.db, slug);
  if (!project) return;
  await markConnectionPendingAuth(cx.db, project.id, provider, new Date(cx.now()).toISOString());
}

/** The answers as a new revision of each environment's desired state, the connections checked, and one setup plan per environment. */
async function finish(cx: ControlContext, holder: SetupHolder, state: SetupState): Promise<ChatReply[]> {
  const slug = projectSlugOf(state);
  const project = await projectBySlug(cx.db, slug);
  if (!project) throw new AppError("not_found", `project ${slug} not found`);
  const envs = (await listEnvs(cx.db, project.id)).filter((e) => (state.request.envs as string[]).includes(e.name));
  for (const env of envs) {
    const current = await specAt(cx.db, env.id);
    const next = EnvironmentSpec.parse(desiredSpec(current.spec, env.name, state));
    await insertRevision(
      cx.db,
      env.id,
      current,
      next,
      cx.actor.id,
      "setup conversation answers",
      new Date(cx.now()).toISOString(),
    );
  }
  if (state.answers.senderDomain) await setSenderDomain(cx.db, project.id, state.answers.senderDomain);
  const checked = await verifyConnections(cx, slug);
  const replies: ChatReply[] = [
    {
      text: `Everything I need is known. Connections: ${checked.map((c) => `${c.provider} ${c.status}`).join(", ")}. One setup plan per environment follows.`,
    },
  ];
  holder.pendingPlanIds = [];
  for (const name of SETUP_ENVS.filter((e) => (state.request.envs as string[]).includes(e))) {
    try {
      const plan = await createPlan(cx, `${slug}:${name}`, { type: "setup", params: { fresh: true } });
      if (plan.autoApply) {
        const run = await applyPlan(cx, plan.id);
        holder.lastRunId = run.id;
        replies.push({
          text: `${renderPlan(plan)}\n\n${plan.env} auto-applies by policy: run ${run.id} started.`,
          plan: publicPlan(plan),
          run: await runView(cx, run.id),
        });
      } else {
        holder.pendingPlanIds.push(plan.id);
        replies.push({ text: `${renderPlan(plan)}\n\n${renderNextStep(plan, false)}`, plan: publicPlan(plan) });
      }
    } catch (e) {
      if (!(e instanceof AppError) || e.code === "internal") throw e;
      replies.push({ text: `I can't set up ${slug}:${name}: ${e.message}` });
    }
  }
  return replies;
}

/** An environment's spec with the conversation's answers applied (sources, domains, components, alert phones, webhook secret). */
function desiredSpec(spec: EnvironmentSpec, envName: string, state: SetupState): EnvironmentSpec {
  const next = structuredClone(spec);
  const { answers } = state;
  for (const [name, source] of Object.entries(answers.sources)) {
    const service = next.services[name];
    if (!service) continue;
    service.source = { ...service.source, repo: source.repo, branch: source.branch };
    service.build = source.build;
  }
  if (answers.domains[envName]) next.domains = { ...answers.domains[envName] };
  if (answers.components) {
    if (answers.components.redis) next.components.redis = next.components.redis ?? { type: "redis", size: "small" };
    else delete next.components.redis;
    if (answers.components.storage)
      next.components.storage = next.components.storage ?? { type: "storage", size: "small" };
    else delete next.components.storage;
  }
  if (envName === "production" && answers.sms?.length)
    next.policies.notify = [...new Set([...next.policies.notify, ...answers.sms])];
  // The api verifies Stripe's deliveries with the endpoint's signing secret, which setup stores under this name.
  const api = next.services.api;
  if (api && state.request.connections.includes("stripe") && next.connections.includes("stripe"))
    api.env.STRIPE_WEBHOOK_SECRET = { secret: "STRIPE_WEBHOOK_SECRET" };
  return next;
}
