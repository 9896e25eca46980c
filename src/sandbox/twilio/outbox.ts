/** The sandbox Twilio's outbox: every accepted message, its Message resource, and its delivery progress. */
import { randomHex, type World } from "../world/store";

export type MessageRow = {
  sid: string;
  seq: number;
  account_sid: string;
  to_number: string;
  from_number: string | null;
  messaging_service_sid: string | null;
  body: string;
  num_media: number;
  created_at: number;
};

/** One message as `SandboxDO.sms()` lists it. */
export interface SentSms {
  sid: string;
  to: string;
  /** The sender number, or the Messaging Service sid when Twilio picked the sender. */
  from: string;
  body: string;
  at: string;
  /** Delivery status now (queued … delivered, or undelivered/failed under a twilio delivery fault). */
  status: Delivery;
  errorCode: number | null;
}

/** How a message ends: delivered, or (under a delivery fault) undelivered by the carrier or failed at Twilio. */
export interface MessageFate {
  outcome: "delivered" | "undelivered" | "failed";
  errorCode: number | null;
}

const DELIVERED: MessageFate = { outcome: "delivered", errorCode: null };

/** Twilio's error_message for the error codes a delivery fault uses (Twilio's error catalogue). */
export const DELIVERY_ERRORS: Record<number, string> = {
  30003: "Unreachable destination handset",
  30005: "Unknown destination handset",
  30006: "Landline or unreachable carrier",
  30007: "Message filtered",
  30008: "Unknown error",
  30034: "Message from an unregistered number",
};

/** Stores an accepted message and how it will end. */
export function recordMessage(
  world: World,
  input: Omit<MessageRow, "sid" | "seq" | "created_at">,
  fate: MessageFate = DELIVERED,
): MessageRow {
  const row: MessageRow = { ...input, sid: `SM${randomHex(16)}`, seq: world.nextSeq("sms"), created_at: world.now() };
  if (fate.outcome !== "delivered")
    world.run("INSERT INTO twilio_fates VALUES (?, ?, ?)", row.sid, fate.outcome, fate.errorCode);
  world.run(
    "INSERT INTO twilio_messages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    row.sid,
    row.seq,
    row.account_sid,
    row.to_number,
    row.from_number,
    row.messaging_service_sid,
    row.body,
    row.num_media,
    row.created_at,
  );
  return row;
}

/** One message of an account, or null. */
export function getMessage(world: World, accountSid: string, sid: string): MessageRow | null {
  return world.first<MessageRow>("SELECT * FROM twilio_messages WHERE account_sid = ? AND sid = ?", accountSid, sid);
}

/** Messages, newest first; of one account, or of every account. */
export function listMessages(world: World, accountSid: string | null = null): MessageRow[] {
  return world.rows<MessageRow>(
    "SELECT * FROM twilio_messages WHERE (?1 IS NULL OR account_sid = ?1) ORDER BY seq DESC",
    accountSid,
  );
}

/** How a message will end (delivered unless a delivery fault doomed it). */
export function fateOf(world: World, sid: string): MessageFate {
  const row = world.first<{ outcome: MessageFate["outcome"]; error_code: number | null }>(
    "SELECT outcome, error_code FROM twilio_fates WHERE sid = ?",
    sid,
  );
  return row ? { outcome: row.outcome, errorCode: row.error_code } : DELIVERED;
}

/** The outbox, newest first. */
export function outbox(world: World): SentSms[] {
  return listMessages(world).map((m) => {
    const { status } = deliveryOf(world, m);
    return {
      sid: m.sid,
      to: m.to_number,
      from: m.from_number ?? m.messaging_service_sid ?? "",
      body: m.body,
      at: new Date(m.created_at).toISOString(),
      status,
      errorCode: status === "undelivered" || status === "failed" ? fateOf(world, m.sid).errorCode : null,
    };
  });
}

/** RFC 2822 in GMT, as Twilio writes dates ("Thu, 24 Aug 2023 05:01:45 +0000"). */
export function rfc2822(ms: number): string {
  return new Date(ms).toUTCString().replace(/GMT$/, "+0000");
}

// Characters of the GSM 03.38 basic set; anything else forces UCS-2 and shorter segments.
const GSM = /^[A-Za-z0-9 @£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ!"#¤%&'()*+,\-./:;<=>?¡ÄÖÑÜ§¿äöñüà^{}\\[~\]|€]*$/;

/** How many SMS segments a body takes (160/153 GSM-7 characters, 70/67 UCS-2). */
export function segmentCount(body: string): number {
  const [single, multi] = GSM.test(body) ? [160, 153] : [70, 67];
  const length = [...body].length;
  return length <= single ? 1 : Math.ceil(length / multi);
}

export type Delivery = "queued" | "accepted" | "sending" | "sent" | "delivered" | "undelivered" | "failed";

/** When each status is reached, in phase lengths after creation (a failed message never leaves Twilio). */
export function deliverySteps(m: MessageRow, fate: MessageFate): { status: Delivery; step: number }[] {
  const first: Delivery = m.from_number ? "queued" : "accepted";
  if (fate.outcome === "failed")
    return [
      { status: first, step: 0 },
      { status: "failed", step: 1 },
    ];
  return [
    { status: first, step: 0 },
    { status: "sending", step: 1 },
    { status: "sent", step: 2 },
    { status: fate.outcome, step: 3 },
  ];
}

/**
 * Delivery progresses with time like deployments do (one phase length per step), computed on read so
 * nothing runs in the background: queued (accepted, for a Messaging Service send) → sending → sent →
 * delivered, or undelivered at the carrier, or failed right away.
 */
export function deliveryOf(
  world: World,
  m: MessageRow,
  fresh = false,
): { status: Delivery; sentAt: number | null; updatedAt: number } {
  const steps = deliverySteps(m, fateOf(world, m.sid));
  const step = world.phaseMs;
  const age = world.now() - m.created_at;
  const reached = fresh ? steps[0] : (steps.filter((s) => age >= s.step * step).at(-1) ?? steps[0]);
  const sent = steps.find((s) => s.status === "sent");
  const sentAt = sent && reached.step >= sent.step ? m.created_at + sent.step * step : null;
  return { status: reached.status, sentAt, updatedAt: m.created_at + reached.step * step };
}

/** The Message resource (api.v2010.account.message) as Twilio returns it. */
export function messageView(world: World, m: MessageRow, fresh = false) {
  const delivery = deliveryOf(world, m, fresh);
  const fate = fateOf(world, m.sid);
  const failedNow = delivery.status === "undelivered" || delivery.status === "failed";
  const uri = `/2010-04-01/Accounts/${m.account_sid}/Messages/${m.sid}`;
  return {
    account_sid: m.account_sid,
    api_version: "2010-04-01",
    body: m.body,
    date_created: rfc2822(m.created_at),
    date_sent: delivery.sentAt === null ? null : rfc2822(delivery.sentAt),
    date_updated: rfc2822(delivery.updatedAt),
    direction: "outbound-api",
    error_code: failedNow ? fate.errorCode : null,
    error_message: failedNow && fate.errorCode !== null ? (DELIVERY_ERRORS[fate.errorCode] ?? null) : null,
    from: m.from_number,
    messaging_service_sid: m.messaging_service_sid,
    num_media: String(m.num_media),
    num_segments: String(segmentCount(m.body)),
    price: null,
    price_unit: "USD",
    sid: m.sid,
    status: delivery.status,
    subresource_uris: { media: `${uri}/Media.json`, feedback: `${uri}/Feedback.json` },
    to: m.to_number,
    uri: `${uri}.json`,
  };
}
