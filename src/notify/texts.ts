import { errorText } from "../domain/errors";
import type { AlertSender } from "../monitor/types";
import type { SmsApi } from "../providers/twilio/api";

/** One SMS to send. */
export interface Text {
  to: string;
  body: string;
}

/**
 * Sends each text in turn and returns the ones that went out. A failed SMS is logged and skipped: telling
 * people about a run or an incident never fails the run or the check.
 */
export async function sendTexts(sms: SmsApi | null, texts: Text[]): Promise<Text[]> {
  if (!sms) return [];
  const sent: Text[] = [];
  for (const text of texts) {
    try {
      await sms.send(text);
      sent.push(text);
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

/** The monitor's alert sender: one text to each phone. */
export function createAlertSender(sms: SmsApi | null): AlertSender {
  return {
    async text(phones, body) {
      return (
        await sendTexts(
          sms,
          phones.map((to) => ({ to, body: typeof body === "string" ? body : body(to) })),
        )
      ).map((t) => t.to);
    },
  };
}
