import { errorText } from "../domain/errors";
import type { Actor, ApprovalSubject } from "../policy/approval";
import type { SmsApi } from "../providers/twilio/api";
import type { Receipt } from "../providers/types";
import type { ControlPlanePort } from "../runs/context";
import type { Commit, EngineDeps, RunEvent } from "../runs/types";
import type { RunRecord } from "../runs/store";
import { approvalNeededText, failedText, haltedText, rolledBackText } from "./messages";
import type { RunFacts } from "./messages";
import { sendTexts, type Accepted, type SentText } from "./texts";

export interface NotifierDeps {
  sms: SmsApi | null;
  port: ControlPlanePort;
  publicUrl: string;
  /** The approver's own code for a run, or null when they may not approve it (policy/approval.ts). */
  approvalCode(run: ApprovalSubject, approver: Actor): Promise<string | null>;
  /** Phones subscribed to this environment's alerts ("text me if the canary looks weird"). */
  subscribers(envId: string): Promise<string[]>;
  /** Phones of every admin: approval requests go to whoever can give them, not only to on-call. */
  adminPhones(): Promise<string[]>;
  /** Where Twilio reports each text's fate (statusCallbackUrl). */
  statusCallback?: string;
}

/** Texts the environment's destinations about a run event; returns who was texted (never throws). */
export async function notifyRun(
  deps: NotifierDeps,
  run: RunRecord,
  event: RunEvent,
): Promise<(Accepted & { kind: string })[]> {
  if (!deps.sms) return [];
  const env = await deps.port.loadEnv(run.plan.envId, run.plan.specRevision);
  const approvers = event.kind === "approval-needed" ? await deps.adminPhones() : [];
  const phones = [...new Set([...env.spec.policies.notify, ...(await deps.subscribers(run.plan.envId)), ...approvers])];
  const users = await deps.port.usersByPhone(phones);
  const refs = (run.plan.steps.find((s) => s.kind === "resolve-ref")?.params.refs ?? {}) as Record<
    string,
    { message: string }
  >;
  const facts: RunFacts = {
    env: run.plan.env,
    runId: run.id,
    type: run.type,
    from: env.currentRelease?.version,
    to: Object.values(refs)[0]?.message,
    link: `${deps.publicUrl.replace(/\/$/, "")}/runs/${run.id}`,
  };
  const texts = [];
  for (const phone of phones) {
    const body = await textFor(
      deps,
      run,
      event,
      facts,
      users.find((u) => u.phone === phone),
    );
    if (body) texts.push({ to: phone, body });
  }
  return (await sendTexts(deps.sms, texts, deps.statusCallback)).map((t) => ({ ...t, kind: event.kind }));
}

/** What the run notifier is built from: the SMS client's factory (receipts go to `onReceipt`), and the rest. */
export interface RunNotifierDeps extends Omit<NotifierDeps, "sms"> {
  sms(envId: string, onReceipt: (r: Receipt) => void): Promise<SmsApi | null>;
  /** Records the texts' receipts and audit event with the run. */
  commit(change: Commit): Promise<void>;
  /** Records what was sent, so Twilio's status callbacks can say whether it arrived. */
  recordTexts(texts: SentText[]): Promise<void>;
}

/** The run engine's `notify`: texts people about a run event, then records who was texted and the receipts. */
export function createRunNotifier(deps: RunNotifierDeps): EngineDeps["notify"] {
  return async (run, event) => {
    const receipts: Receipt[] = [];
    const sms = await deps.sms(run.plan.envId, (r) => receipts.push(r));
    const sent = await notifyRun({ ...deps, sms }, run, event).catch((e: unknown) => {
      console.error("notify failed", errorText(e));
      return [];
    });
    if (!sent.length && !receipts.length) return;
    // An alert's body is kept to forward it if it is not delivered; an approval text carries a personal code.
    const forwardable = event.kind !== "approval-needed";
    await deps.recordTexts(
      sent.map((t) => ({
        sid: t.sid,
        envId: run.plan.envId,
        runId: run.id,
        to: t.to,
        purpose: event.kind,
        level: 0,
        status: t.status,
        ...(forwardable ? { body: t.body } : {}),
      })),
    );
    await deps.commit({
      run,
      steps: [],
      receipts: receipts.map((receipt) => ({ stepId: "notify", receipt })),
      audit: [
        {
          actor: "infra-chat",
          action: "notify.sms",
          runId: run.id,
          details: { kind: event.kind, recipients: sent.length },
        },
      ],
    });
  };
}

async function textFor(
  deps: NotifierDeps,
  run: RunRecord,
  event: RunEvent,
  facts: RunFacts,
  user: (Actor & { phone: string }) | undefined,
): Promise<string | null> {
  switch (event.kind) {
    case "approval-needed": {
      // Only people who may approve get a code; a code is theirs alone.
      const subject = { ...run, env: run.plan.env, requiresApproval: run.plan.requiresApproval };
      const code = user && run.approvals ? await deps.approvalCode(subject, user) : null;
      return code && run.approvals ? approvalNeededText(facts, code, run.approvals.expiresAt) : null;
    }
    case "rolled-back":
      return rolledBackText(facts, event.score, event.reason);
    case "halted":
      return haltedText(facts, event.score, event.reason);
    case "failed":
      return failedText(facts, event.error);
  }
}
