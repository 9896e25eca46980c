/**
 * What each chat intent does: one handler per intent kind (the mapped type makes a missing one a compile
 * error). Handlers read through db/ and the application services, and reply with the pure renderers.
 */
import { helpText } from "../chat/help";
import { renderRun, renderStatus } from "../chat/render";
import {
  renderAudit,
  renderApprovalChoices,
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
import { getRun, latestRunId, listRuns, runsAwaitingApproval, runsInStatus } from "../db/runs";
import { getUser, listUserRows } from "../db/users";
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
  const { cx } = turn;
  const found = await runAwaitingDecision(turn, intent.code);
  if ("reply" in found) return [found.reply];
  await actOnRun(cx, found.runId, intent.kind);
  return [await runReply(cx, found.runId, intent.kind === "approve" ? turn.waitMs : 0)];
};

/**
 * The run an "approve"/"reject" means (API.md "Chat"): this conversation's run while it awaits a decision;
 * otherwise the runs waiting for this person anywhere, by the same rule as the API (their own code exists
 * only where they may decide). One is acted on; several become a question listing them.
 */
async function runAwaitingDecision(
  turn: Turn,
  code: string | undefined,
): Promise<{ runId: string } | { reply: ChatReply }> {
  const { cx, state } = turn;
  const waiting: { id: string; code: string; env: string; type: string; requestedBy: string | null }[] = [];
  const own = state.lastRunId ? (await getRun(cx.db, state.lastRunId)).run : null;
  const candidates = own?.status === "awaiting-approval" ? [own] : await runsAwaitingApproval(cx.db, 20);
  for (const run of candidates) {
    const env = await findEnv(cx.db, run.envId);
    const theirs = await codeFor(cx, run, env.env);
    if (theirs) waiting.push({ id: run.id, code: theirs, env: env.env, type: run.type, requestedBy: run.requestedBy });
  }
  if (own?.status === "awaiting-approval" && !waiting.length)
    // Their own run: the API's rule (no self-approval) answers, not "nothing is waiting".
    return { runId: own.id };
  const chosen = code ? waiting.filter((r) => r.code === code) : waiting;
  if (chosen.length === 1) return { runId: chosen[0].id };
  if (chosen.length === 0)
    return {
      reply: {
        text: code
          ? "That code does not match a run waiting for your approval."
          : "There is no run waiting for your approval.",
      },
    };
  const names = new Map((await listUserRows(cx.db)).map((u) => [u.id, u.name]));
  return {
    reply: {
      text: renderApprovalChoices(
        chosen.map((r) => ({
          ...r,
          requestedByName: r.requestedBy ? (names.get(r.requestedBy) ?? r.requestedBy) : null,
        })),
      ),
      question: { slot: "approval", options: chosen.map((r) => `approve ${r.code}`) },
    },
  };
}

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

export const INTENT_HANDLERS: IntentHandlers = {
  ...MONITORING_HANDLERS,
  deploy: (turn, intent) => changeRelease(turn, intent, intent.params),
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
  help: async () => [{ text: helpText() }],
  unknown: async (_turn, intent) => [{ text: `I didn't understand "${intent.text.slice(0, 200)}".\n\n${helpText()}` }],
};
