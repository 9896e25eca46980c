import { and, desc, eq, inArray } from "drizzle-orm";
import { z } from "zod";
import { helpText } from "../chat/help";
import { fallbackFor } from "../chat/language/fallback";
import { renderDiff, renderPlan, renderRun, renderStatus } from "../chat/render";
import { withChainOverview } from "../chat/chain";
import { planQuestion } from "../chat/prompts";
import { sinceInstant } from "../chat/since";
import { diffSpecs } from "../domain/spec";
import { lastChange, reviseSpec } from "./revisions";
import { localBootstrap } from "./bootstrap";
import { findEnv } from "../db/environments";
import { getRun, listRuns } from "../db/runs";
import { conversations, messages, runs, users } from "../db/schema";
import { subscribe } from "../db/alerts";
import { AppError } from "../domain/errors";
import { newId } from "../domain/ids";
import type { Intent } from "../domain/intent";
import { isTerminal } from "../domain/run";
import type { Plan, RunStatus } from "../domain/run";
import { redactorFor } from "../wiring";
import { auditEvents } from "./audit";
import type { ControlContext } from "./context";
import { draftMissingEnvironment } from "./draft-environment";
import { createEnvironment, envView, resolveEnvName } from "./environments";
import { interpret, type Interpretation } from "./interpret";
import { setupTurn } from "./setup-conversation";
import { applyPlan, createPlan, publicPlan } from "./plans";
import { actOnRun, codeFor, runView } from "./runs";
import { monitoringReply, remediateParams, remediationRefusal } from "./incident-chat";

export const ChatRequest = z
  .object({
    message: z.string().trim().min(1).max(4000),
    conversationId: z.string().max(100).optional(),
  })
  .strict();

interface ConversationState {
  /** Plans waiting for "apply", in the order they were made (one per environment named). */
  pendingPlanIds?: string[];
  lastRunId?: string;
  /** The run of the plan made last: a chained plan ("…; then do production") starts only after it. */
  lastPlannedRunId?: string;
  /** The project the user's own words last named; the LLM interpreter may not leave it (interpret.ts). */
  project?: string;
  /** An unfinished setup conversation (setup-conversation.ts): its next message is an answer. */
  setup?: unknown;
}

export interface ChatReply {
  text: string;
  question?: { slot: string; options?: string[] };
  plan?: ReturnType<typeof publicPlan>;
  run?: Awaited<ReturnType<typeof runView>>;
}

/** How long a chat reply waits for a started run to finish before answering "still running". */
const RUN_WAIT_MS = 10_000;

/** Handles one chat message: intent → policy → plan/apply, replying with plans and run outcomes. */
export async function handleChat(cx: ControlContext, input: z.infer<typeof ChatRequest>, waitMs = RUN_WAIT_MS) {
  const conversation = await loadConversation(cx, input.conversationId);
  const state = conversation.state as ConversationState;
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
      replies.push(...(await respond(cx, intent, state, waitMs)));
    } catch (e) {
      if (!(e instanceof AppError) || e.code === "internal") throw e;
      replies.push({ text: `I can't do that: ${e.message}` });
    }
  }
  const redact = await redactorFor(cx.env, cx.db);
  // "…; then do production": one overview of the chain before the plans it is made of.
  const chained = intents.some((i) => i.kind === "backfill" && i.chained);
  const safe = (chained ? withChainOverview(replies) : replies).map((r) => ({ ...r, text: redact(r.text) }));
  const now = new Date(cx.now()).toISOString();
  await cx.db.batch([
    conversation.stored
      ? cx.db.update(conversations).set({ state, updatedAt: now }).where(eq(conversations.id, conversation.id))
      : cx.db.insert(conversations).values({ ...conversation.row, state, updatedAt: now }),
    cx.db.insert(messages).values({
      id: newId("msg"),
      conversationId: conversation.id,
      role: "user",
      text: redact(setup?.transcript ?? input.message),
      createdAt: now,
    }),
    ...safe.map((r, i) =>
      cx.db.insert(messages).values({
        id: newId("msg"),
        conversationId: conversation.id,
        role: "assistant",
        text: r.text,
        createdAt: `${now.slice(0, -1)}${i + 1}Z`,
      }),
    ),
  ]);
  return { conversationId: conversation.id, replies: safe, interpretedBy: interpretation.source };
}

async function respond(
  cx: ControlContext,
  intent: Intent,
  state: ConversationState,
  waitMs: number,
): Promise<ChatReply[]> {
  switch (intent.kind) {
    case "backfill": {
      const params = {
        job: intent.job,
        ...(intent.ratePerMinute ? { ratePerMinute: intent.ratePerMinute } : {}),
        ...(intent.dryRun ? { dryRun: true } : {}),
        ...(intent.chained && state.lastPlannedRunId ? { after: state.lastPlannedRunId } : {}),
      };
      const plan = await createPlan(cx, await resolveEnvName(cx, intent.env), { type: "backfill", params });
      return [await afterPlan(cx, plan, state, 0)];
    }
    case "progress": {
      const runId = intent.env
        ? await latestRunOf(cx, await resolveEnvName(cx, intent.env), "backfill")
        : state.lastRunId;
      if (!runId) return [{ text: "There is no backfill to report on yet." }];
      const run = await runView(cx, runId);
      const p = run.progress as
        | {
            processed?: number;
            total?: number | null;
            failed?: number;
            ratePerMinute?: number;
            etaSeconds?: number | null;
            note?: string;
            failureSamples?: { id: unknown; reason: string }[];
          }
        | undefined;
      if (!p) return [{ text: renderRun(run) }];
      const reasons = [...new Set((p.failureSamples ?? []).map((f) => f.reason))].join(", ");
      return [
        {
          text: `Backfill ${run.id} is ${run.status}: ${p.processed ?? 0}${p.total ? ` of ${p.total}` : ""} processed, ${p.failed ?? 0} failed${reasons ? ` (${reasons})` : ""}, ${p.ratePerMinute ?? "?"} rows/min${p.etaSeconds ? `, about ${Math.ceil(p.etaSeconds / 60)} min left` : ""}.${p.note ? ` ${p.note}.` : ""}`,
          run,
        },
      ];
    }
    case "setup": {
      const envRef = await resolveEnvName(cx, intent.env);
      const plan = await createPlan(cx, envRef, {
        type: "setup",
        params: intent.from ? { from: intent.from.split(":").pop()! } : {},
      });
      return [await afterPlan(cx, plan, state, waitMs)];
    }
    case "component": {
      const plan = await createPlan(cx, await resolveEnvName(cx, intent.env), {
        type: "reconcile",
        params: { action: intent.action, component: intent.component, ...(intent.size ? { size: intent.size } : {}) },
      });
      return [await afterPlan(cx, plan, state, waitMs)];
    }
    case "policy": {
      const envRef = await resolveEnvName(cx, intent.env);
      const { revision, diff } = await reviseSpec(
        cx,
        envRef,
        (spec) => ({ ...spec, policies: { ...spec.policies, autoApply: intent.autoApply } }),
        `auto-apply ${intent.autoApply ? "on" : "off"} (chat)`,
      );
      if (diff.length === 0)
        return [
          { text: `${envRef} already ${intent.autoApply ? "auto-applies" : 'waits for "apply"'}; nothing changed.` },
        ];
      return [
        {
          text: `${envRef} revision ${revision}: plans now ${intent.autoApply ? "apply themselves where approval isn't required" : 'wait for "apply"'}.`,
        },
      ];
    }
    case "deploy":
    case "migrate":
    case "rollback": {
      // Deploying only some services needs the planner's service filter; until then, never deploy them all.
      if (intent.kind === "deploy" && intent.services)
        return [
          { text: `Deploying only ${intent.services.join(", ")} isn't available in chat yet; nothing was planned.` },
        ];
      const envRef = await resolveEnvName(cx, intent.env).catch(async (e: unknown) => {
        if (intent.kind !== "deploy" || !(e instanceof AppError) || e.code !== "not_found") throw e;
        return null;
      });
      if (envRef === null) {
        // Deploying somewhere that doesn't exist yet: draft it from the closest environment, for approval.
        const draft = await draftMissingEnvironment(cx, intent.env, state.project);
        const reply = await afterPlan(cx, { ...draft.plan, autoApply: false }, state, waitMs);
        const overrides = draft.changes.length
          ? `its own ${draft.changes.length} override${draft.changes.length > 1 ? "s" : ""}: ${draft.changes.slice(0, 8).join(", ")}`
          : "no overrides";
        return [
          {
            ...reply,
            text: `${draft.plan.env} doesn't exist yet. I drafted its desired state from ${draft.from} (same services and components; ${overrides}) and planned its setup.\n\n${reply.text}\n\nOnce it has succeeded, "deploy ${intent.env}" deploys to it.`,
          },
        ];
      }
      const params =
        intent.kind === "deploy"
          ? intent.params
          : intent.kind === "rollback" && intent.toRelease
            ? { toRelease: intent.toRelease }
            : intent.kind === "migrate" && intent.expandOnly
              ? { expandOnly: true }
              : {};
      const plan = await createPlan(cx, envRef, { type: intent.kind, params });
      return [await afterPlan(cx, plan, state, waitMs)];
    }
    case "apply": {
      const pending = state.pendingPlanIds ?? [];
      if (pending.length === 0) return [{ text: 'There is no plan waiting to be applied. Try "deploy staging".' }];
      state.pendingPlanIds = [];
      const replies: ChatReply[] = [];
      for (const planId of pending) {
        const run = await applyPlan(cx, planId);
        state.lastRunId = run.id;
        replies.push(await runReply(cx, run.id, waitMs));
      }
      return replies;
    }
    case "approve":
    case "reject": {
      const runId = state.lastRunId;
      if (!runId) return [{ text: "There is no run in this conversation waiting for approval." }];
      const { run } = await getRun(cx.db, runId);
      const env = await findEnv(cx.db, run.envId);
      const expected = await codeFor(cx, run, env.name);
      if (intent.code && expected && intent.code !== expected)
        return [{ text: "That code does not match the run waiting for approval." }];
      await actOnRun(cx, runId, intent.kind);
      return [await runReply(cx, runId, intent.kind === "approve" ? waitMs : 0)];
    }
    case "cancel": {
      if (state.pendingPlanIds?.length) {
        state.pendingPlanIds = [];
        return [{ text: "Dropped the pending plan; nothing was changed." }];
      }
      if (state.lastRunId) {
        const { run } = await getRun(cx.db, state.lastRunId);
        if (!isTerminal(run.status as RunStatus)) {
          await actOnRun(cx, run.id, "cancel");
          return [await runReply(cx, run.id, 0)];
        }
      }
      return [{ text: "Nothing to cancel." }];
    }
    case "status": {
      const envRef = await resolveEnvName(cx, intent.env);
      const view = await envView(cx, envRef);
      const recent = await listRuns(cx.db, view.id, undefined, 5);
      return [{ text: renderStatus(view, recent) }];
    }
    case "audit": {
      const env = intent.env ? await resolveEnvName(cx, intent.env) : undefined;
      const since = intent.since ? sinceInstant(intent.since, cx.now()) : undefined;
      if (intent.since && !since)
        return [
          {
            text: `I can't tell when "${intent.since.slice(0, 60)}" is. Try "since yesterday", "in the last 24h", "since monday" or a date like 2026-11-01.`,
          },
        ];
      const events = await auditEvents(cx, { env, since, limit: 20 });
      const lines = events.map(
        (e) =>
          `  ${e.at.slice(0, 19).replace("T", " ")} ${e.actor} ${e.action}${e.runId ? ` ${e.runId}` : ""}${e.diffSummary ? ` — ${e.diffSummary}` : ""}`,
      );
      return [
        {
          text: events.length
            ? [`Audit${env ? ` for ${env}` : ""} (newest first):`, ...lines].join("\n")
            : "No audit events in that window.",
        },
      ];
    }
    case "subscribe": {
      if (intent.phone) return [{ text: "Texting another number isn't available in chat yet; nothing changed." }];
      const envRef = await resolveEnvName(cx, intent.env ?? "production");
      const env = await findEnv(cx.db, envRef);
      const me = (await cx.db.select().from(users).where(eq(users.id, cx.actor.id)).limit(1))[0];
      if (!me?.phone) return [{ text: "You have no phone number on file; an admin can add one to your user." }];
      await subscribe(cx.db, env.id, me.id, me.phone, new Date(cx.now()).toISOString());
      return [
        {
          text: `I'll text ${me.phone} about ${env.env}: canary anomalies, rollbacks, failed deploys and approvals you can give.`,
        },
      ];
    }
    case "promote":
    case "stop":
    case "resume": {
      const runId = intent.env ? await activeRunOf(cx, await resolveEnvName(cx, intent.env)) : state.lastRunId;
      if (!runId)
        return [
          { text: `There is no run to ${intent.kind}${intent.env ? ` on ${intent.env}` : " in this conversation"}.` },
        ];
      await actOnRun(cx, runId, intent.kind);
      return [await runReply(cx, runId, 0)];
    }
    case "create-env": {
      const source = await resolveEnvName(cx, intent.from);
      const [slug] = source.split(":");
      const target = intent.env.includes(":") ? intent.env.split(":")[1] : intent.env;
      const created = await createEnvironment(cx, slug, { name: target, from: source.split(":")[1] });
      return [
        {
          text: [
            `Created ${created.env} from ${source} (desired state, revision ${created.revision}). Overrides:`,
            ...renderDiff(created.diff),
            `Nothing is provisioned yet: a setup run creates it at the providers.`,
          ].join("\n"),
        },
      ];
    }
    case "bootstrap": {
      const envRef = await resolveEnvName(cx, intent.env);
      const archive = await localBootstrap(cx, envRef);
      const url = `${cx.env.PUBLIC_URL.replace(/\/$/, "")}/api/envs/${envRef}/bootstrap`;
      return [
        {
          text: [
            `Local stack for ${envRef} is ready (${Math.round(archive.bytes.length / 102.4) / 10} KiB): compose.yaml (Postgres, MinIO, Mailpit, the apps), .env.local with staging's variable names and secretref:// placeholders, a Cloudflare Tunnel config for the Stripe and Twilio webhooks, seed scripts and a README.`,
            `Write it into a folder: curl -s -H "authorization: Bearer $TOKEN" ${url} | tar xz`,
          ].join("\n"),
        },
      ];
    }
    case "last-change": {
      const envRef = await resolveEnvName(cx, intent.env);
      const change = await lastChange(cx, envRef);
      if (change.diff.length === 0)
        return [{ text: `${envRef} is at revision ${change.revision}; nothing has changed since it was created.` }];
      return [{ text: [`Revision ${change.revision} of ${envRef} changed:`, ...renderDiff(change.diff)].join("\n") }];
    }
    case "compare": {
      const [a, b] = [await resolveEnvName(cx, intent.env), await resolveEnvName(cx, intent.other)];
      const [left, right] = [await envView(cx, a), await envView(cx, b)];
      const diff = diffSpecs(left.spec, right.spec);
      return [
        {
          text: diff.length
            ? [`${a} → ${b} (${diff.length} difference${diff.length > 1 ? "s" : ""}):`, ...renderDiff(diff)].join("\n")
            : `${a} and ${b} have the same desired state.`,
        },
      ];
    }
    case "incidents":
    case "incident":
    case "ack":
    case "monitor-rule":
      return monitoringReply(cx, intent);
    case "drift": {
      if (intent.choice === "adopt") return monitoringReply(cx, intent);
      const plan = await createPlan(cx, await resolveEnvName(cx, intent.env), {
        type: "reconcile",
        params: { action: "revert-drift" },
      });
      return [await afterPlan(cx, plan, state, waitMs)];
    }
    case "remediate": {
      const refused = remediationRefusal(intent.action);
      if (refused) return [{ text: refused }];
      const plan = await createPlan(cx, await resolveEnvName(cx, intent.env), {
        type: "remediate",
        params: remediateParams(intent),
      });
      return [await afterPlan(cx, plan, state, waitMs)];
    }
    case "promote-release":
    case "runs":
    case "explain-failure":
    case "audit-verify":
    case "set-secret":
    case "rotate-secret":
    case "secrets":
    case "unsubscribe":
      // Only an LLM reading produces these today; their handlers come with the chat's handler table.
      return [{ text: "I understood that, but it isn't available in chat yet; nothing changed." }];
    case "help":
      return [{ text: helpText() }];
    case "unknown":
      // Never the message back: at most the words not understood, after redaction (src/chat/language/fallback.ts).
      return [{ text: fallbackFor(intent.text).text }];
  }
}

async function afterPlan(cx: ControlContext, plan: Plan, state: ConversationState, waitMs: number): Promise<ChatReply> {
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
  const next = plan.requiresApproval
    ? 'Say "apply" to queue it; an admin other than you must then approve it.'
    : 'Say "apply" to run it, or "cancel".';
  const question = planQuestion(plan);
  return { text: `${text}\n\n${next}`, plan: publicPlan(plan), ...(question ? { question } : {}) };
}

async function runReply(cx: ControlContext, runId: string, waitMs: number): Promise<ChatReply> {
  const deadline = cx.now() + waitMs;
  let run = await runView(cx, runId);
  while (cx.now() < deadline && !isTerminal(run.status as RunStatus) && run.status !== "awaiting-approval") {
    await new Promise((r) => setTimeout(r, 150));
    run = await runView(cx, runId);
  }
  const tail =
    run.status === "awaiting-approval"
      ? `\nWaiting for approval by ${run.requestedBy === cx.actor.id ? "an admin other than you" : "an admin"}${run.approvals?.code ? `; your code is ${run.approvals.code}` : ""}.`
      : isTerminal(run.status as RunStatus)
        ? ""
        : `\nStill going — ask "status" or watch GET /api/runs/${run.id}.`;
  return { text: renderRun(run) + tail, run };
}

async function latestRunOf(cx: ControlContext, envRef: string, type: string): Promise<string | undefined> {
  const env = await findEnv(cx.db, envRef);
  const rows = await cx.db
    .select({ id: runs.id })
    .from(runs)
    .where(and(eq(runs.envId, env.id), eq(runs.type, type)))
    .orderBy(desc(runs.createdAt))
    .limit(1);
  return rows[0]?.id;
}

async function activeRunOf(cx: ControlContext, envRef: string): Promise<string | undefined> {
  const env = await findEnv(cx.db, envRef);
  const active = await cx.db
    .select({ id: runs.id })
    .from(runs)
    .where(and(eq(runs.envId, env.id), inArray(runs.status, ["running", "stopped"])))
    .limit(1);
  return active[0]?.id;
}

/** The conversation continued, or a new one: that is written with the turn's messages, in the same batch. */
async function loadConversation(cx: ControlContext, id: string | undefined) {
  if (id) {
    const row = (
      await cx.db
        .select()
        .from(conversations)
        .where(and(eq(conversations.id, id), eq(conversations.userId, cx.actor.id)))
        .limit(1)
    )[0];
    if (!row) throw new AppError("not_found", `conversation ${id} not found`);
    return { id: row.id, state: row.state, stored: true, row };
  }
  const now = new Date(cx.now()).toISOString();
  const row = { id: newId("conv"), userId: cx.actor.id, state: {}, createdAt: now, updatedAt: now };
  return { id: row.id, state: row.state, stored: false, row };
}
