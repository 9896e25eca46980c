/**
 * How the environment's object sends texts, in one place for runs, incidents and forwarded alerts: every
 * text passes the redactor, carries Twilio's StatusCallback (when PUBLIC_URL is absolute) and is recorded in
 * D1, so a text Twilio reports undelivered can be escalated or forwarded.
 */
import type { Providers, Services } from "../src/control/services";
import { recordTexts } from "../src/db/texts";
import type { AlertSender } from "../src/monitor/types";
import { createAlertSender, redactingSms, statusCallbackUrl, type SentText } from "../src/notify/texts";
import type { SmsApi } from "../src/providers/twilio/api";
import type { Receipt } from "../src/providers/types";

type ProvidersFor = (onReceipt: (r: Receipt) => void, envId?: string) => Promise<Providers>;

export interface Texting {
  statusCallback: string | undefined;
  /** The environment's SMS client, redacting what it sends (null without Twilio). */
  sms(envId: string | undefined, onReceipt: (r: Receipt) => void): Promise<SmsApi | null>;
  /** Records texts that went out. */
  record(texts: SentText[]): Promise<void>;
  /** The monitor's alert sender: one text per phone, each recorded with its incident and level. */
  alerts(envId: string | undefined, onReceipt: (r: Receipt) => void): Promise<AlertSender>;
}

export function createTexting(services: Services, providers: ProvidersFor): Texting {
  const statusCallback = statusCallbackUrl(services.publicUrl);
  const record = (texts: SentText[]) => recordTexts(services.db, texts, new Date().toISOString());
  const sms = async (envId: string | undefined, onReceipt: (r: Receipt) => void) =>
    redactingSms((await providers(onReceipt, envId)).sms, await services.redactor(envId));
  return {
    statusCallback,
    sms,
    record,
    async alerts(envId, onReceipt) {
      return createAlertSender(await sms(envId, onReceipt), {
        statusCallback,
        record: (sent, context) =>
          record(
            sent.map((t) => ({
              sid: t.sid,
              envId: context.envId,
              incidentId: context.incidentId,
              to: t.to,
              purpose: context.purpose,
              level: context.level,
              status: t.status,
              // A resolution is never forwarded: its body need not be kept.
              ...(context.purpose === "resolved" ? {} : { body: t.body }),
            })),
          ),
      });
    },
  };
}
