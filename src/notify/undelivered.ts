/**
 * A run's alert text that Twilio could not deliver (its status callback said undelivered or failed): the
 * run records it, and the alert goes to the next destination of the environment's escalation chain — the
 * first phone not yet texted about this run. Approval texts are personal (they carry the approver's code)
 * and are only recorded, never forwarded.
 */
import type { AuditInput } from "../audit/chain";
import type { SmsApi } from "../providers/twilio/api";
import type { Receipt } from "../providers/types";
import type { Commit } from "../runs/types";
import type { RunRecord } from "../runs/store";
import { sendTexts, type SentText } from "./texts";

/** The failed text as recorded when it was sent (db/texts.ts). */
export interface FailedText {
  sid: string;
  envId: string;
  runId: string;
  toPhone: string;
  purpose: string;
  level: number;
  body: string | null;
  status: string;
  errorCode: string | null;
}

export interface ForwardDeps {
  run(runId: string): RunRecord | null;
  /** The environment's escalation chain (policies.monitoring.escalation.chain). */
  chain(envId: string): Promise<string[]>;
  /** Phones already texted about the run. */
  texted(runId: string): Promise<string[]>;
  sms(envId: string, onReceipt: (r: Receipt) => void): Promise<SmsApi | null>;
  statusCallback?: string;
  recordTexts(texts: SentText[]): Promise<void>;
  /** Where the escalation went (null: nowhere left). */
  recordEscalation(sid: string, to: string | null): Promise<void>;
  commit(change: Commit): Promise<void>;
  mask(phone: string): string;
}

/** The first phone of the chain not texted yet, or null. */
export function nextDestination(chain: string[], texted: string[]): string | null {
  return chain.find((phone) => !texted.includes(phone)) ?? null;
}

/** Forwards a run's undelivered alert where the chain allows, and records it with the run either way. */
export async function forwardRunAlert(deps: ForwardDeps, text: FailedText): Promise<{ escalatedTo: string | null }> {
  const run = deps.run(text.runId);
  if (!run) return { escalatedTo: null };
  const forwardable = text.body !== null && text.purpose !== "approval-needed";
  const next = forwardable ? nextDestination(await deps.chain(text.envId), await deps.texted(text.runId)) : null;
  const receipts: Receipt[] = [];
  let delivered: string | null = null;
  if (next && text.body) {
    const sms = await deps.sms(text.envId, (r) => receipts.push(r));
    const why = `${text.status}${text.errorCode ? `, Twilio error ${text.errorCode}` : ""}`;
    const [accepted] = await sendTexts(
      sms,
      [{ to: next, body: `(Not delivered to ${deps.mask(text.toPhone)}: ${why}.) ${text.body}` }],
      deps.statusCallback,
    );
    if (accepted) {
      delivered = next;
      await deps.recordTexts([
        {
          sid: accepted.sid,
          envId: text.envId,
          runId: text.runId,
          to: next,
          purpose: text.purpose,
          level: text.level + 1,
          body: text.body,
          status: accepted.status,
        },
      ]);
    }
  }
  await deps.recordEscalation(text.sid, delivered);
  const audit: AuditInput = {
    actor: "infra-chat",
    action: "notify.undelivered",
    runId: run.id,
    diffSummary: `${text.purpose} text to ${deps.mask(text.toPhone)} ${text.status}${text.errorCode ? ` (Twilio error ${text.errorCode})` : ""}: ${delivered ? `forwarded to ${deps.mask(delivered)}` : forwardable ? "no further destination in the escalation chain" : "an approval text is not forwarded"}`,
    details: { purpose: text.purpose, level: text.level, errorCode: text.errorCode, forwarded: delivered !== null },
  };
  await deps.commit({
    run,
    steps: [],
    receipts: receipts.map((receipt) => ({ stepId: "notify", receipt })),
    audit: [audit],
  });
  return { escalatedTo: delivered };
}
