/**
 * What each chat intent does: one handler per intent kind (the mapped type makes a missing one a compile
 * error). Handlers read through db/ and the application services, and reply with the pure renderers.
 */
import { helpText } from "../chat/help";
import { fallbackFor } from "../chat/language/fallback";
import { renderRun, renderStatus } from "../chat/render";
import {
  renderAudit,
  renderAutoApplyPolicy,
  renderBackfillProgress,
  renderBootstrapReady,
  renderComparison,
  renderCreatedEnvironment,
  renderDraftedEnvironment,
  renderLastChange,
  renderSubscribed,
  renderUnreadableSince,
} from "../chat/render-replies";
import { sinceInstant } from "../chat/since";
import { subscribe } from "../db/alerts";
import { findEnv } from "../db/environments";
import { getRun, latestRunId, listRuns, runsInStatus } from "../db/runs";
import { getUser } from "../db/users";
import { envNameOf, parseEnvRef } from "../domain/env-ref";
import { AppError } from "../domain/errors";
import { isTerminal } from "../domain/run";
import { diffSpecs } from "../domain/spec";
import { auditEvents } from "./audit";
import { localBootstrap } from "./bootstrap";
import type { ChatReply, IntentHandlers, Turn } from "./chat-turn";
import { afterPlan, runReply } from "./chat-turn";
import { draftMissingEnvironment } from "./draft-environment";
import { createEnvironment, envView, resolveEnvName } from "./environments";
import { MONITORING_HANDLERS } from "./incident-chat";
import { applyPlan, createPlan } from "./plans";
import { lastChange, reviseSpec } from "./revisions";
import { actOnRun, codeFor, runView } from "./runs";

/** Plans a run of `type` on the environment the user named, and replies with the plan (or its run). */
async function planAndReply(
  turn: Turn,
  env: string,
  type: Parameters<typeof createPlan>[2]["type"],
  params: Record<string, unknown>,
  waitMs?: number,
): Promise<ChatReply[]> {
  const plan = await createPlan(turn.cx, await resolveEnvName(turn.cx, env), { type, params });
  return [await afterPlan(turn, plan, waitMs)];
}

/** The run a control intent ("stop", "promote") means: the environment's active one, or the conversation's. */
async function runMeant(turn: Turn, env: string | undefined): Promise<string | undefined> {
  if (!env) return turn.state.lastRunId;
  const [active] = await runsInStatus(
    turn.cx.db,
    (await findEnv(turn.cx.db, await resolveEnvName(turn.cx, env))).id,
    ["running", "stopped"],
    1,
  );
  return active?.id;
}

const controlRun = async (turn: Turn, intent: { kind: "promote" | "stop" | "resume"; env?: string }) => {
  const runId = await runMeant(turn, intent.env);
  if (!runId)
    return [
      { text: `There is no run to ${intent.kind}${intent.env ? ` on ${intent.env}` : " in this conversation"}.` },
    ];
  await actOnRun(turn.cx, runId, intent.kind);
  return [await runReply(turn.cx, runId, 0)];
};

const decideApproval = async (turn: Turn, intent: { kind: "approve" | "reject"; code?: string }) => {
  const { cx, state } = turn;
  const runId = state.lastRunId;
  if (!runId) return [{ text: "There is no run in this conversation waiting for approval." }];
  const { run } = await getRun(cx.db, runId);
  const env = await findEnv(cx.db, run.envId);
  const expected = await codeFor(cx, run, env.env);
  if (intent.code && expected && intent.code !== expected)
    return [{ text: "That code does not match the run waiting for approval." }];
  await actOnRun(cx, runId, intent.kind);
  return [await runReply(cx, runId, intent.kind === "approve" ? turn.waitMs : 0)];
};

/** Deploy, migrate and rollback; deploying somewhere that does not exist yet drafts it first. */
const changeRelease = async (
  turn: Turn,
  intent: { kind: "deploy" | "migrate" | "rollback"; env: string },
  params: Record<string, unknown>,
) => {
  const envRef = await resolveEnvName(turn.cx, intent.env).catch(async (e: unknown) => {
    if (intent.kind !== "deploy" || !(e instanceof AppError) || e.code !== "not_found") throw e;
    return null;
  });
  if (envRef !== null) return planAndReply(turn, envRef, intent.kind, params);
  // Deploying somewhere that doesn't exist yet: draft it from the closest environment, for approval.
  const draft = await draftMissingEnvironment(turn.cx, intent.env, turn.state.project);
  const reply = await afterPlan(turn, { ...draft.plan, autoApply: false });
  return [{ ...reply, text: renderDraftedEnvironment({ ...draft, env: draft.plan.env }, reply.text, intent.env) }];
};

/** Only an LLM reading produces these today; their handlers come with the language layer's integration. */
const notYet = async () => [{ text: "I understood that, but it isn't available in chat yet; nothing changed." }];

export const INTENT_HANDLERS: IntentHandlers = {
  ...MONITORING_HANDLERS,
  // Deploying only some services needs the planner's service filter; until then, never deploy them all.
  deploy: async (turn, intent) =>
    intent.services
      ? [{ text: `Deploying only ${intent.services.join(", ")} isn't available in chat yet; nothing was planned.` }]
      : changeRelease(turn, intent, intent.params),
  migrate: (turn, intent) => changeRelease(turn, intent, intent.expandOnly ? { expandOnly: true } : {}),
  rollback: (turn, intent) => changeRelease(turn, intent, intent.toRelease ? { toRelease: intent.toRelease } : {}),
  backfill: (turn, intent) =>
    planAndReply(
      turn,
      intent.env,
      "backfill",
      {
        job: intent.job,
        ...(intent.ratePerMinute ? { ratePerMinute: intent.ratePerMinute } : {}),
        ...(intent.dryRun ? { dryRun: true } : {}),
        ...(intent.chained && turn.state.lastPlannedRunId ? { after: turn.state.lastPlannedRunId } : {}),
      },
      0,
    ),
  async progress({ cx, state }, intent) {
    const runId = intent.env
      ? await latestRunId(cx.db, (await findEnv(cx.db, await resolveEnvName(cx, intent.env))).id, "backfill")
      : state.lastRunId;
    if (!runId) return [{ text: "There is no backfill to report on yet." }];
    const run = await runView(cx, runId);
    const p = run.progress;
    return [{ text: p ? renderBackfillProgress(run, p) : renderRun(run), ...(p ? { run } : {}) }];
  },
  setup: (turn, intent) => planAndReply(turn, intent.env, "setup", intent.from ? { from: envNameOf(intent.from) } : {}),
  component: (turn, intent) =>
    planAndReply(turn, intent.env, "reconcile", {
      action: intent.action,
      component: intent.component,
      ...(intent.size ? { size: intent.size } : {}),
    }),
  async policy({ cx }, intent) {
    const envRef = await resolveEnvName(cx, intent.env);
    const { revision, diff } = await reviseSpec(
      cx,
      envRef,
      (spec) => ({ ...spec, policies: { ...spec.policies, autoApply: intent.autoApply } }),
      `auto-apply ${intent.autoApply ? "on" : "off"} (chat)`,
    );
    return [{ text: renderAutoApplyPolicy(envRef, intent.autoApply, diff.length ? { revision } : null) }];
  },
  async apply(turn) {
    const pending = turn.state.pendingPlanIds ?? [];
    if (pending.length === 0) return [{ text: 'There is no plan waiting to be applied. Try "deploy staging".' }];
    turn.state.pendingPlanIds = [];
    const replies: ChatReply[] = [];
    for (const planId of pending) {
      const run = await applyPlan(turn.cx, planId);
      turn.state.lastRunId = run.id;
      replies.push(await runReply(turn.cx, run.id, turn.waitMs));
    }
    return replies;
  },
  approve: decideApproval,
  reject: decideApproval,
  async cancel({ cx, state }) {
    if (state.pendingPlanIds?.length) {
      state.pendingPlanIds = [];
      return [{ text: "Dropped the pending plan; nothing was changed." }];
    }
    if (state.lastRunId) {
      const { run } = await getRun(cx.db, state.lastRunId);
      if (!isTerminal(run.status)) {
        await actOnRun(cx, run.id, "cancel");
        return [await runReply(cx, run.id, 0)];
      }
    }
    return [{ text: "Nothing to cancel." }];
  },
  async status({ cx }, intent) {
    const view = await envView(cx, await resolveEnvName(cx, intent.env));
    return [{ text: renderStatus(view, await listRuns(cx.db, view.id, undefined, 5)) }];
  },
  async audit({ cx }, intent) {
    const env = intent.env ? await resolveEnvName(cx, intent.env) : undefined;
    const since = intent.since ? sinceInstant(intent.since, cx.now()) : undefined;
    if (intent.since && !since) return [{ text: renderUnreadableSince(intent.since) }];
    return [{ text: renderAudit(env, await auditEvents(cx, { env, since, limit: 20 })) }];
  },
  async subscribe({ cx }, intent) {
    if (intent.phone) return [{ text: "Texting another number isn't available in chat yet; nothing changed." }];
    const env = await findEnv(cx.db, await resolveEnvName(cx, intent.env ?? "production"));
    const me = await getUser(cx.db, cx.actor.id);
    if (!me?.phone) return [{ text: "You have no phone number on file; an admin can add one to your user." }];
    await subscribe(cx.db, env.id, me.id, me.phone, new Date(cx.now()).toISOString());
    return [{ text: renderSubscribed(me.phone, env.env) }];
  },
  promote: controlRun,
  stop: controlRun,
  resume: controlRun,
  async "create-env"({ cx }, intent) {
    const source = await resolveEnvName(cx, intent.from);
    const from = parseEnvRef(source);
    const created = await createEnvironment(cx, from.project ?? source, {
      name: envNameOf(intent.env),
      from: from.name,
    });
    return [{ text: renderCreatedEnvironment(created, source) }];
  },
  async bootstrap({ cx }, intent) {
    const envRef = await resolveEnvName(cx, intent.env);
    const archive = await localBootstrap(cx, envRef);
    const url = `${cx.publicUrl.replace(/\/$/, "")}/api/envs/${envRef}/bootstrap`;
    return [{ text: renderBootstrapReady(envRef, archive.bytes.length, url) }];
  },
  async "last-change"({ cx }, intent) {
    const envRef = await resolveEnvName(cx, intent.env);
    return [{ text: renderLastChange(envRef, await lastChange(cx, envRef)) }];
  },
  async compare({ cx }, intent) {
    const [a, b] = [await resolveEnvName(cx, intent.env), await resolveEnvName(cx, intent.other)];
    const [left, right] = [await envView(cx, a), await envView(cx, b)];
    return [{ text: renderComparison(a, b, diffSpecs(left.spec, right.spec)) }];
  },
  "promote-release": notYet,
  runs: notYet,
  "explain-failure": notYet,
  "audit-verify": notYet,
  "set-secret": notYet,
  "rotate-secret": notYet,
  secrets: notYet,
  unsubscribe: notYet,
  help: async () => [{ text: helpText() }],
  // Never the message back: at most the words not understood, after redaction (src/chat/language/fallback.ts).
  unknown: async (_turn, intent) => [{ text: fallbackFor(intent.text).text }],
};
