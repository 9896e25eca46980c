/**
 * Twilio's delivery status callbacks (providers/twilio.md "Status callbacks"): a message sent with a
 * `StatusCallback` URL gets a form POST there each time its status changes — queued, sent, delivered (or
 * undelivered with an ErrorCode, or failed) — signed with X-Twilio-Signature exactly as Twilio signs
 * webhooks, with the account's primary Auth Token.
 *
 * The world plans each callback when the message is accepted, due when its status is reached (the same
 * timing as deliveryOf), and the SandboxDO sends the due ones from its alarm to a target the composition
 * gives it: in-process to the Worker itself for URLs under PUBLIC_URL (the sandbox is local-only and a
 * deployed Worker could not call its own hostname), nowhere for any other URL. Every callback and what
 * became of it stays in the world for `GET /sandbox/state`.
 */
import { computeTwilioSignature } from "../../security/twilio-signature";
import { iso, parseJson, type World } from "../world/store";
import { deliverySteps, fateOf, type MessageRow } from "./outbox";

/** Where due callbacks go: a request in, the webhook's answer out; null when nothing serves that URL. */
export type CallbackTarget = (request: Request) => Promise<Response> | null;

type CallbackRow = {
  seq: number;
  sid: string;
  url: string;
  status: string;
  params: string;
  due_at: number;
  sent_at: number | null;
  response_status: number | null;
  note: string | null;
};

/** One callback as `GET /sandbox/state` shows it (`twilio.statusCallbacks`). */
export interface StatusCallbackView {
  sid: string;
  url: string;
  status: string;
  errorCode: string | null;
  dueAt: string;
  sentAt: string | null;
  /** The webhook's HTTP status, or null when it was not delivered (see note). */
  responseStatus: number | null;
  note: string | null;
}

/** The form parameters Twilio posts for one status of one message (order as Twilio sends them). */
function callbackParams(m: MessageRow, status: string, errorCode: number | null): [string, string][] {
  const params: [string, string][] = [
    ["SmsSid", m.sid],
    ["SmsStatus", status],
    ["MessageStatus", status],
    ["To", m.to_number],
  ];
  if (m.messaging_service_sid) params.push(["MessagingServiceSid", m.messaging_service_sid]);
  params.push(["MessageSid", m.sid], ["AccountSid", m.account_sid]);
  if (m.from_number) params.push(["From", m.from_number]);
  params.push(["ApiVersion", "2010-04-01"]);
  if (errorCode !== null && (status === "undelivered" || status === "failed"))
    params.push(["ErrorCode", String(errorCode)]);
  return params;
}

// Twilio sends no callback for "sending": it is a transient state between queued and sent.
const CALLBACK_STATUSES = new Set(["queued", "accepted", "sent", "delivered", "undelivered", "failed"]);

/** Plans every status callback of a just-accepted message. */
export function planCallbacks(world: World, m: MessageRow, url: string): void {
  const fate = fateOf(world, m.sid);
  for (const step of deliverySteps(m, fate)) {
    if (!CALLBACK_STATUSES.has(step.status)) continue;
    world.run(
      "INSERT INTO twilio_status_callbacks (sid, url, status, params, due_at) VALUES (?, ?, ?, ?, ?)",
      m.sid,
      url,
      step.status,
      JSON.stringify(callbackParams(m, step.status, fate.errorCode)),
      m.created_at + step.step * world.phaseMs,
    );
  }
}

/** When the next unsent callback is due, or null. */
export function nextCallbackAt(world: World): number | null {
  return (
    world.first<{ at: number | null }>("SELECT MIN(due_at) AS at FROM twilio_status_callbacks WHERE sent_at IS NULL")
      ?.at ?? null
  );
}

/**
 * Sends every due callback, oldest first, one at a time (Twilio's order per message). Each is claimed
 * before its request goes out, so an overlapping call never sends it twice. Without an Auth Token nothing
 * can be signed, so nothing is sent. Returns how many were attempted.
 */
export async function sendDueCallbacks(
  world: World,
  target: CallbackTarget,
  authToken: string | undefined,
): Promise<number> {
  let attempted = 0;
  for (;;) {
    const row = world.first<CallbackRow>(
      "SELECT * FROM twilio_status_callbacks WHERE sent_at IS NULL AND due_at <= ? ORDER BY due_at, seq LIMIT 1",
      world.now(),
    );
    if (!row) return attempted;
    attempted++;
    world.run("UPDATE twilio_status_callbacks SET sent_at = ? WHERE seq = ?", world.now(), row.seq);
    const outcome = await send(row, target, authToken);
    world.run(
      "UPDATE twilio_status_callbacks SET response_status = ?, note = ? WHERE seq = ?",
      outcome.status,
      outcome.note,
      row.seq,
    );
  }
}

async function send(
  row: CallbackRow,
  target: CallbackTarget,
  authToken: string | undefined,
): Promise<{ status: number | null; note: string | null }> {
  if (!authToken) return { status: null, note: "not sent: no TWILIO_AUTH_TOKEN to sign it with" };
  const params = parseJson<[string, string][]>(row.params);
  const request = new Request(row.url, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      "x-twilio-signature": await computeTwilioSignature(authToken, row.url, params),
      "user-agent": "TwilioProxy/1.1",
    },
    body: new URLSearchParams(params).toString(),
  });
  try {
    const pending = target(request);
    if (!pending) return { status: null, note: "not sent: the URL is outside the sandbox" };
    const response = await pending;
    await response.body?.cancel();
    return { status: response.status, note: null };
  } catch (error) {
    return { status: null, note: `not delivered: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** Every callback, newest first. */
export function callbackViews(world: World): StatusCallbackView[] {
  return world.rows<CallbackRow>("SELECT * FROM twilio_status_callbacks ORDER BY seq DESC").map((r) => {
    const params = new Map(parseJson<[string, string][]>(r.params));
    return {
      sid: r.sid,
      url: r.url,
      status: r.status,
      errorCode: params.get("ErrorCode") ?? null,
      dueAt: iso(r.due_at),
      sentAt: r.sent_at === null ? null : iso(r.sent_at),
      responseStatus: r.response_status,
      note: r.note,
    };
  });
}
