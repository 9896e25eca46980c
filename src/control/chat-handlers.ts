/**
 * What each chat intent does: one handler per intent kind (the mapped type makes a missing one a compile
 * error). Handlers read through db/ and the application services, and reply with the pure renderers.
 */
import { helpText } from "../chat/help";
import { fallbackFor } from "../chat/language/fallback";
import { renderRun, renderStatus } from "../chat/render";
import { renderPromotion, renderUnsubscribed } from "../chat/render-history";
import {
  renderAudit,
  renderAutoApplyPolicy,
  renderBackfillProgress,
  renderBootstrapReady,
  renderComparison,
  renderCreatedEnvironment,
  renderLastChange,
  renderSubscribed,
  renderUnreadableSince,
} from "../chat/render-replies";
import { sinceInstant } from "../chat/since";
import { subscribe, unsubscribe } from "../db/alerts";
import { findEnv, listReleases } from "../db/environments";
import { getRun, latestRunId, listRuns, runsAwaitingApproval, runsInStatus } from "../db/runs";
import { getUser } from "../db/users";
import { envNameOf, parseEnvRef } from "../domain/env-ref";
import { AppError } from "../domain/errors";
import { isTerminal } from "../domain/run";
import { diffSpecs } from "../domain/spec";
import { type Action, requireRole } from "../security/roles";
import { auditEvents } from "./audit";
import { localBootstrap } from "./bootstrap";
import { HISTORY_HANDLERS } from "./chat-history";
import { SECRET_HANDLERS } from "./chat-secrets";
import type { ChatReply, IntentHandlers, IntentKind, IntentOf, Turn } from "./chat-turn";
import { afterPlan, runReply } from "./chat-turn";
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
  const { run } = await getRun(cx.db, found.runId);
  const env = await findEnv(cx.db, run.envId);
  const expected = await codeFor(cx, run, env.env);
  if (intent.code && expected && intent.code !== expected)
    return [{ text: "That code does not match the run waiting for approval." }];
  await actOnRun(cx, run.id, intent.kind);
  return [await runReply(cx, run.id, intent.kind === "approve" ? turn.waitMs : 0)];
};

/**
 * The run an "approve"/"reject" means (API.md "Chat"): this conversation's run while it awaits a decision;
 * otherwise the runs waiting for this person in any conversation — one is acted on, several are listed
 * with this person's code for each ("approve <code>" picks one).
 */
async function runAwaitingDecision(
  { cx, state }: Turn,
  code: string | undefined,
): Promise<{ runId: string } | { reply: ChatReply }> {
  if (state.lastRunId && (await getRun(cx.db, state.lastRunId)).run.status === "awaiting-approval")
    return { runId: state.lastRunId };
  const mine: { id: string; code: string; env: string; type: string }[] = [];
  for (const run of await runsAwaitingApproval(cx.db, 20)) {
    const env = await findEnv(cx.db, run.envId);
    const theirs = await codeFor(cx, run, env.env);
    if (theirs) mine.push({ id: run.id, code: theirs, env: env.env, type: run.type });
  }
  const chosen = code ? mine.filter((r) => r.code === code) : mine;
  if (chosen.length === 1) return { runId: chosen[0].id };
  if (chosen.length === 0)
    return {
      reply: {
        text: code
          ? "That code does not match a run waiting for your approval."
          : "There is no run waiting for your approval.",
      },
    };
  return {
    reply: {
      text: [
        `${chosen.length} runs are waiting for your approval; say "approve <code>" (or "reject <code>"):`,
        ...chosen.map((r) => `  ${r.code}: ${r.type} ${r.env} (${r.id})`),
      ].join("\n"),
      question: {
        slot: "approval",
        text: "Which run do you approve?",
        options: chosen.map((r) => `approve ${r.code}`),
      },
    },
  };
}

/**
 * "promote staging to production": production deployed at the commits staging runs now, service by
 * service (each looked up in its own repository), through the usual deploy plan and its policy.
 */
async function promoteRelease(turn: Turn, intent: IntentOf["promote-release"]): Promise<ChatReply[]> {
  const { cx } = turn;
  const [target, source] = [await resolveEnvName(cx, intent.env), await resolveEnvName(cx, intent.from)];
  if (target === source) throw new AppError("invalid_request", `${target} cannot be promoted to itself`);
  const from = await findEnv(cx.db, source);
  const release = (await listReleases(cx.db, from.id)).find((r) => r.id === from.currentReleaseId);
  if (!release) throw new AppError("conflict", `${source} has no release to promote yet: deploy it first`);
  const spec = (await envView(cx, target)).spec;
  const services = Object.keys(release.services).filter((name) => name in spec.services);
  if (services.length === 0)
    throw new AppError("conflict", `${source}'s release ${release.version} has none of ${target}'s services`);
  const refs = Object.fromEntries(services.map((name) => [name, release.services[name].commitSha]));
  const plan = await createPlan(cx, target, { type: "deploy", params: { refs, services } });
  const reply = await afterPlan(turn, plan);
  return [{ ...reply, text: renderPromotion(source, release.version, target, reply.text) }];
}

/** The least action each intent kind needs, checked before its handler: chat needs what REST needs. */
const INTENT_ACTIONS: { [K in IntentKind]: Action | ((intent: IntentOf[K]) => Action) } = {
  deploy: "plan",
  "promote-release": "plan",
  migrate: "plan",
  rollback: "plan",
  backfill: "plan",
  setup: "plan",
  remediate: "plan",
  // Desired state changes (a component, the apply policy, a new environment, a monitoring rule, adopted
  // drift) need what PUT/PATCH of an environment's desired state needs over REST.
  component: "manage-environments",
  policy: "manage-environments",
  "create-env": "manage-environments",
  "monitor-rule": "manage-environments",
  drift: (intent) => (intent.choice === "adopt" ? "manage-environments" : "plan"),
  "set-secret": "manage-secrets",
  "rotate-secret": "manage-secrets",
  apply: "apply",
  approve: "approve:non-production",
  reject: "approve:non-production",
  stop: "stop",
  resume: "resume",
  promote: "resume",
  ack: "stop",
  cancel: "read",
  progress: "read",
  status: "read",
  audit: "read",
  "audit-verify": "read",
  runs: "read",
  "explain-failure": "read",
  incidents: "read",
  incident: "read",
  secrets: "read",
  subscribe: "read",
  unsubscribe: "read",
  bootstrap: "read",
  "last-change": "read",
  compare: "read",
  help: "read",
  unknown: "read",
};

/** Checks the role an intent needs, then hands it to the handler of its kind. */
export function handleIntent<K extends IntentKind>(turn: Turn, kind: K, intent: IntentOf[K]): Promise<ChatReply[]> {
  const needed = INTENT_ACTIONS[kind] as Action | ((intent: IntentOf[K]) => Action);
  requireRole(turn.cx.actor.role, typeof needed === "function" ? needed(intent) : needed);
  return INTENT_HANDLERS[kind](turn, intent);
}

export const INTENT_HANDLERS: IntentHandlers = {
  ...MONITORING_HANDLERS,
  ...HISTORY_HANDLERS,
  ...SECRET_HANDLERS,
  // "deploy just the api": the services named, in the usual order (the api's migrations with it).
  deploy: (turn, intent) =>
    planAndReply(turn, intent.env, "deploy", {
      ...intent.params,
      ...(intent.services ? { services: intent.services } : {}),
    }),
  "promote-release": promoteRelease,
  migrate: (turn, intent) => planAndReply(turn, intent.env, "migrate", intent.expandOnly ? { expandOnly: true } : {}),
  rollback: (turn, intent) =>
    planAndReply(turn, intent.env, "rollback", intent.toRelease ? { toRelease: intent.toRelease } : {}),
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
    // Another number ("text +1555… about prod") could be anyone's: routing alerts to it is an admin's call.
    if (intent.phone && intent.phone !== me?.phone) requireRole(cx.actor.role, "manage-users");
    const phone = intent.phone ?? me?.phone;
    if (!phone) return [{ text: "You have no phone number on file; an admin can add one to your user." }];
    await subscribe(cx.db, env.id, cx.actor.id, phone, new Date(cx.now()).toISOString());
    return [{ text: renderSubscribed(phone, env.env) }];
  },
  async unsubscribe({ cx }, intent) {
    const env = intent.env ? await findEnv(cx.db, await resolveEnvName(cx, intent.env)) : undefined;
    const me = await getUser(cx.db, cx.actor.id);
    const phones = await unsubscribe(cx.db, { userId: cx.actor.id, phone: me?.phone }, env?.id);
    return [{ text: renderUnsubscribed(env?.env, phones) }];
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
  // Never the message back: at most the words not understood, after redaction (src/chat/language/fallback.ts).
  unknown: async (_turn, intent) => [{ text: fallbackFor(intent.text).text }],
};
