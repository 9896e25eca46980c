import { findEnv } from "../db/environments";
import { claimInboundSms, recordSmsOutcome } from "../db/inbound";
import { listRuns, runsAwaitingApproval } from "../db/runs";
import { userByPhone } from "../db/users";
import { AppError, errorText } from "../domain/errors";
import { sha256Hex } from "../domain/hash";
import { renderStatus } from "../chat/render";
import { parseSmsCommand, twiml } from "../notify/sms-commands";
import type { Actor } from "../policy/approval";
import { Role } from "../security/roles";
import { verifyTwilioSignature } from "../security/twilio-signature";
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
 * An inbound SMS (Twilio webhook): only with a valid X-Twilio-Signature, only once per MessageSid, and
 * only from a phone that belongs to a user whose role allows the command. Replies are TwiML.
 */
export async function handleInboundSms(
  services: Services,
  urls: string[],
  pairs: [string, string][],
  signature: string | undefined,
): Promise<SmsOutcome> {
  const token = services.twilioAuthToken;
  if (!token) return { status: 503, body: twiml() };
  const signed = signature ? await Promise.all(urls.map((u) => verifyTwilioSignature(token, u, pairs, signature))) : [];
  if (!signed.some(Boolean)) return { status: 403, body: twiml() };
  const params = Object.fromEntries(pairs);
  const sid = params.MessageSid;
  const from = params.From;
  if (!sid || !from) return { status: 400, body: twiml() };
  const { db } = services;
  const now = new Date().toISOString();
  // Claim the MessageSid first: a redelivery finds it taken and changes nothing.
  const claimed = await claimInboundSms(db, {
    messageSid: sid,
    fromPhone: from,
    bodyHash: await sha256Hex(params.Body ?? ""),
    receivedAt: now,
  });
  if (!claimed) return { status: 200, body: twiml() };
  const row = await userByPhone(db, from);
  const role = Role.safeParse(row?.role);
  let reply: string;
  if (!row || !role.success) reply = "This number is not registered with Infra Chat.";
  else {
    const actor: Actor = { id: row.id, name: row.name, role: role.data };
    reply = await runCommand(controlContext(services, actor), params.Body ?? "").catch((e: unknown) => {
      if (e instanceof AppError) return `Not done: ${e.message}`;
      console.error("sms command failed", errorText(e));
      return "Something went wrong; nothing was changed.";
    });
  }
  await recordSmsOutcome(db, sid, reply.slice(0, 200));
  return { status: 200, body: twiml(reply) };
}

async function runCommand(cx: ControlContext, body: string): Promise<string> {
  const command = parseSmsCommand(body);
  switch (command.kind) {
    case "approve":
    case "reject": {
      const waiting = await runsAwaitingApproval(cx.db, 100);
      for (const run of waiting) {
        const env = await findEnv(cx.db, run.envId);
        if ((await codeFor(cx, run, env.env)) !== command.code) continue;
        await actOnRun(cx, run.id, command.kind);
        return command.kind === "approve"
          ? `Approved: ${run.type} of ${env.env} (run ${run.id}) continues.`
          : `Rejected: run ${run.id} will not run.`;
      }
      return "No run is waiting for your approval with that code.";
    }
    case "rollback": {
      const envRef = await resolveEnvName(cx, command.env);
      const plan = await createPlan(cx, envRef, { type: "rollback", params: {} });
      const run = await applyPlan(cx, plan.id);
      return `Rolling back ${plan.env} (run ${run.id}): ${plan.diff.map((d) => `${d.path.replace("release.", "")} ${String(d.from)}→${String(d.to)}`).join(", ") || "no service changes"}.`;
    }
    case "status": {
      const view = await envView(cx, await resolveEnvName(cx, command.env));
      return renderStatus(view, await listRuns(cx.db, view.id, undefined, 3)).slice(0, 1500);
    }
    case "ack":
      return ackByCode(cx, command.code);
    case "unknown":
      return "Reply YES <code>, NO <code>, ROLLBACK <env>, STATUS <env> or ACK <code>.";
  }
}
