/**
 * Twilio's status callbacks (`POST /webhooks/twilio/status`): what became of each text Infra Chat sent.
 * Only with a valid X-Twilio-Signature; a status only moves forward, so a repeated or late callback changes
 * nothing; and an alert Twilio could not deliver (undelivered, failed) escalates once, through the
 * environment's object, which owns its incidents and runs.
 */
import { applyTextStatus, claimEscalation } from "../db/texts";
import { verifyTwilioSignature } from "../security/twilio-signature";
import type { Services } from "./services";

/** Twilio statuses that mean the text will never arrive. */
const UNDELIVERED = new Set(["undelivered", "failed"]);
/** Texts whose loss must reach someone else: alerts (a resolution notice or an approval request is only recorded). */
const ESCALATES = new Set(["incident", "escalation", "rolled-back", "halted", "failed", "approval-needed"]);

export interface StatusOutcome {
  status: 204 | 400 | 403 | 503;
}

export async function handleTextStatus(
  services: Services,
  urls: string[],
  pairs: [string, string][],
  signature: string | undefined,
): Promise<StatusOutcome> {
  const token = services.twilioAuthToken;
  if (!token) return { status: 503 };
  const signed = signature ? await Promise.all(urls.map((u) => verifyTwilioSignature(token, u, pairs, signature))) : [];
  if (!signed.some(Boolean)) return { status: 403 };
  const params = Object.fromEntries(pairs);
  const sid = params.MessageSid;
  const status = params.MessageStatus ?? params.SmsStatus;
  if (!sid || !status) return { status: 400 };
  const now = new Date(services.now()).toISOString();
  const applied = await applyTextStatus(services.db, sid, status, params.ErrorCode || null, now);
  // A SID this control plane did not send, or a callback that changes nothing: answered, and done.
  if (!applied?.changed || !UNDELIVERED.has(status) || !ESCALATES.has(applied.text.purpose)) return { status: 204 };
  if (!(await claimEscalation(services.db, sid, now))) return { status: 204 };
  const result = await services.environment(applied.text.envId).textUndelivered(sid);
  if (!result.ok) console.error("undelivered text not escalated", sid, result.message);
  return { status: 204 };
}
