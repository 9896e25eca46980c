import { errorText } from "../domain/errors";
import type { AlertSender } from "../monitor/types";
import type { SmsApi } from "../providers/twilio/api";

/** One SMS to send. */
export interface Text {
  to: string;
  body: string;
}

/** A text Twilio accepted: its SID (status callbacks name it) and status at creation. */
export interface Accepted extends Text {
  sid: string;
  status: string;
}

/** A text that went out, with what it was about (a run's event, an incident's alert level), as recorded. */
export interface SentText {
  sid: string;
  envId: string;
  runId?: string;
  incidentId?: string;
  to: string;
  purpose: string;
  level: number;
  /** Only for alerts that may be forwarded to the next destination. */
  body?: string;
  status: string;
}

/**
 * Where Twilio reports each text's fate (signed, like inbound SMS): under the control plane's public URL.
 * Without an absolute one there is nowhere Twilio could call (it refuses the text, error 21609): none.
 */
export function statusCallbackUrl(publicUrl: string): string | undefined {
  if (!/^https?:\/\/[^/]/.test(publicUrl)) return undefined;
  return `${publicUrl.replace(/\/$/, "")}/webhooks/twilio/status`;
}

/**
 * Sends each text in turn and returns the ones Twilio accepted. A failed SMS is logged and skipped: telling
 * people about a run or an incident never fails the run or the check. With `statusCallback`, Twilio reports
 * whether each was delivered (carriers block unregistered senders after accepting the text).
 */
export async function sendTexts(sms: SmsApi | null, texts: Text[], statusCallback?: string): Promise<Accepted[]> {
  if (!sms) return [];
  const sent: Accepted[] = [];
  for (const text of texts) {
    try {
      const { sid, status } = await sms.send({ ...text, ...(statusCallback ? { statusCallback } : {}) });
      sent.push({ ...text, sid, status });
    } catch (e) {
      console.error("sms failed", errorText(e));
    }
  }
  return sent;
}

/** An SMS client whose every text passes the redactor first: a run's error or a log line may carry a credential. */
export function redactingSms(sms: SmsApi | null, redact: (text: string) => string): SmsApi | null {
  return sms && { ...sms, send: (message) => sms.send({ ...message, body: redact(message.body) }) };
}

/** The monitor's alert sender: one text to each phone, each reported back by Twilio and recorded. */
export function createAlertSender(
  sms: SmsApi | null,
  options: { statusCallback?: string; record?: (sent: Accepted[], context: AlertContext) => Promise<void> } = {},
): AlertSender {
  return {
    async text(phones, body, context) {
      const sent = await sendTexts(
        sms,
        phones.map((to) => ({ to, body: typeof body === "string" ? body : body(to) })),
        options.statusCallback,
      );
      if (context && options.record) await options.record(sent, context);
      return sent.map((t) => t.to);
    },
  };
}

/** What an alert is about, so a text Twilio could not deliver can move the alert to the next destination. */
export interface AlertContext {
  envId: string;
  incidentId: string;
  level: number;
  purpose: "incident" | "escalation" | "resolved";
}

/** A phone as it is shown beside a run or an incident (viewers see those, not phones): prefix and last four digits. */
export function maskPhone(phone: string): string {
  return phone.length > 6 ? `${phone.slice(0, 2)}…${phone.slice(-4)}` : "…";
}
