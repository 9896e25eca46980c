import { findEnv } from "../db/environments";
import { claimInboundSms, recordSmsOutcome } from "../db/inbound";
import { listRuns, runsAwaitingApproval } from "../db/runs";
import { userByPhone } from "../db/users";
import { closeConfirmation, insertConfirmation, openConfirmations } from "../db/codes";
import { AppError, errorText } from "../domain/errors";
import { sha256Hex } from "../domain/hash";
import { isoAt } from "../domain/time";
import { renderStatus } from "../chat/render";
import { parseSmsCommand, twiml } from "../notify/sms-commands";
import type { Actor } from "../policy/approval";
import { CONFIRMATION_TTL_MS, confirmationCode, sameCode } from "../policy/approval";
import { Role, requireRole } from "../security/roles";
import { verifyTwilioSignature } from "../security/twilio-signature";
import { codeEntryLocked, wrongCode } from "./code-guard";
import type { CodeSender } from "./code-guard";
import type { ControlContext } from "./context";
import { controlContext } from "./context";
import type { Services } from "./services";
import { envView, resolveEnvName } from "./environments";
import { applyPlan, createPlan } from "./plans";
import { actOnRun, codeFor } from "./runs";
import { ackByCode } from "./incidents";

export interface SmsOutcome {
  status: 200 | 400 | 403 | 503;
  body: string;
}

/**
 * An inbound SMS (Twilio webhook): only with a valid X-Twilio-Signature over `url` (the public URL Twilio
 * was given), only once per MessageSid, and only from a phone that belongs to a user whose role allows the
 * command. Replies are TwiML, which Twilio delivers to the sending number — so a code in a reply reaches
 * the phone's owner, never someone who spoofed its number.
 */
export async function handleInboundSms(
  services: Services,
  url: string,
  pairs: [string, string][],
  signature: string | undefined,
): Promise<SmsOutcome> {
  const token = services.twilioAuthToken;
  if (!token) return { status: 503, body: twiml() };
  if (!(await verifyTwilioSignature(token, url, pairs, signature))) return { status: 403, body: twiml() };
  const params = Object.fromEntries(pairs);
  const sid = params.MessageSid;
  const from = params.From;
  if (!sid || !from) return { status: 400, body: twiml() };
  const { db } = services;
  // Claim the MessageSid first: a redelivery finds it taken and changes nothing.
  const claimed = await claimInboundSms(db, {
    messageSid: sid,
    fromPhone: from,
    bodyHash: await sha256Hex(params.Body ?? ""),
    receivedAt: isoAt(services.now()),
  });
  if (!claimed) return { status: 200, body: twiml() };
  const row = await userByPhone(db, from);
  const role = Role.safeParse(row?.role);
  let reply: string;
  if (!row || !role.success) reply = "This number is not registered with Infra Chat.";
  else {
    const actor: Actor = { id: row.id, name: row.name, role: role.data };
    reply = await runCommand(controlContext(services, actor), params.Body ?? "", from).catch((e: unknown) => {
      if (e instanceof AppError) return `Not done: ${e.message}`;
      console.error("sms command failed", errorText(e));
      return "Something went wrong; nothing was changed.";
    });
  }
  await recordSmsOutcome(db, sid, reply.slice(0, 200));
  return { status: 200, body: twiml(reply) };
}

async function runCommand(cx: ControlContext, body: string, phone: string): Promise<string> {
  const command = parseSmsCommand(body);
  const sender: CodeSender = { userId: cx.actor.id, name: cx.actor.name, phone };
  switch (command.kind) {
    case "approve":
    case "reject":
    case "ack": {
      const locked = await codeEntryLocked(cx, sender);
      if (locked) return locked;
      const answered =
        command.kind === "ack"
          ? await ackByCode(cx, command.code, phone)
          : ((await confirm(cx, command.kind, command.code, phone)) ?? (await decide(cx, command.kind, command.code)));
      if (answered) return answered;
      const refusal =
        command.kind === "ack"
          ? "No open incident has that ACK code for this phone."
          : "No run is waiting for your approval with that code.";
      return wrongCode(cx, sender, refusal);
    }
    case "rollback":
      return planRollback(cx, command.env, phone);
    case "status": {
      const view = await envView(cx, await resolveEnvName(cx, command.env));
      return renderStatus(view, await listRuns(cx.db, view.id, undefined, 3)).slice(0, 1500);
    }
    case "unknown":
      return "Reply YES <code>, NO <code>, ROLLBACK <env>, STATUS <env> or ACK <code>.";
  }
}

/** "YES|NO <code>" for a run waiting for this person's approval; null when no run has that code for them. */
async function decide(cx: ControlContext, kind: "approve" | "reject", code: string): Promise<string | null> {
  for (const run of await runsAwaitingApproval(cx.db, 100)) {
    const env = await findEnv(cx.db, run.envId);
    if (!sameCode(code, await codeFor(cx, run, env.env))) continue;
    await actOnRun(cx, run.id, kind);
    return kind === "approve"
      ? `Approved: ${run.type} of ${env.env} (run ${run.id}) continues.`
      : `Rejected: run ${run.id} will not run.`;
  }
  return null;
}

/**
 * "ROLLBACK <env>": plans the rollback (nothing changes yet) and answers this phone with the code that
 * applies it. The plan is bound to the person, their phone and a five-minute deadline.
 */
async function planRollback(cx: ControlContext, envName: string, phone: string): Promise<string> {
  requireRole(cx.actor.role, "apply");
  const plan = await createPlan(cx, await resolveEnvName(cx, envName), { type: "rollback", params: {} });
  const confirmation = {
    planId: plan.id,
    userId: cx.actor.id,
    phone,
    expiresAt: isoAt(cx.now() + CONFIRMATION_TTL_MS),
    keyId: cx.approvalKeys.currentId,
  };
  await insertConfirmation(cx.db, confirmation);
  const target = plan.steps.find((s) => s.kind === "finalize-release")?.params.toVersion ?? "the previous release";
  const code = await confirmationCode(cx.approvalKeys, confirmation);
  const approval = plan.requiresApproval ? " An admin other than you must then approve it." : "";
  return `Reply YES ${code} within ${CONFIRMATION_TTL_MS / 60_000} minutes to roll ${plan.env} back to ${target} (plan ${plan.id}).${approval} Reply NO ${code} to drop it.`;
}

/** "YES|NO <code>" answering this phone's own pending confirmation; null when none has that code. */
async function confirm(cx: ControlContext, kind: "approve" | "reject", code: string, phone: string) {
  for (const pending of await openConfirmations(cx.db, phone, isoAt(cx.now()))) {
    if (pending.userId !== cx.actor.id) continue;
    if (!sameCode(code, await confirmationCode(cx.approvalKeys, pending))) continue;
    if (!(await closeConfirmation(cx.db, pending.planId, isoAt(cx.now())))) return "That code was already used.";
    if (kind === "reject") return `Dropped: plan ${pending.planId} will not be applied.`;
    const run = await applyPlan(cx, pending.planId);
    return run.status === "awaiting-approval"
      ? `Rollback planned (run ${run.id}); it waits for an admin's approval.`
      : `Rolling back (run ${run.id}).`;
  }
  return null;
}
