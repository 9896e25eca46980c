import type { RunEvent } from "../runs/engine";
import type { ControlPlanePort } from "../runs/context";
import type { RunRecord } from "../runs/store";
import type { SmsApi } from "../providers/twilio/api";
import { approvalRefusal } from "../policy/approval";
import type { Actor } from "../policy/approval";
import { approvalNeededText, failedText, haltedText, rolledBackText } from "./messages";
import type { RunFacts } from "./messages";
import { errorText } from "../domain/errors";

export interface NotifierDeps {
  sms: SmsApi | null;
  port: ControlPlanePort;
  publicUrl: string;
  /** The approver's own code for a run (policy/approval.ts). */
  approvalCode(run: RunRecord, approverId: string): Promise<string>;
  /** Phones subscribed to this environment's alerts ("text me if the canary looks weird"). */
  subscribers(envId: string): Promise<string[]>;
  /** Phones of every admin: approval requests go to whoever can give them, not only to on-call. */
  adminPhones(): Promise<string[]>;
}

/** Texts the environment's destinations about a run event; returns who was texted (never throws). */
export async function notifyRun(
  deps: NotifierDeps,
  run: RunRecord,
  event: RunEvent,
): Promise<{ to: string; kind: string }[]> {
  if (!deps.sms) return [];
  const env = await deps.port.loadEnv(run.plan.envId, run.plan.specRevision);
  const approvers = event.kind === "approval-needed" ? await deps.adminPhones() : [];
  const phones = [...new Set([...env.spec.policies.notify, ...(await deps.subscribers(run.plan.envId)), ...approvers])];
  const users = await deps.port.usersByPhone(phones);
  const refs = run.plan.steps.find((s) => s.kind === "resolve-ref")?.params.refs ?? {};
  const facts: RunFacts = {
    env: run.plan.env,
    runId: run.id,
    type: run.type,
    from: env.currentRelease?.version,
    to: Object.values(refs)[0]?.message,
    link: `${deps.publicUrl.replace(/\/$/, "")}/api/runs/${run.id}`,
  };
  const sent: { to: string; kind: string }[] = [];
  for (const phone of phones) {
    const text = await textFor(
      deps,
      run,
      event,
      facts,
      users.find((u) => u.phone === phone),
    );
    if (!text) continue;
    try {
      await deps.sms.send({ to: phone, body: text });
      sent.push({ to: phone, kind: event.kind });
    } catch (e) {
      console.error("sms failed", errorText(e));
    }
  }
  return sent;
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
      if (!user || !run.approvals) return null;
      if (
        approvalRefusal({
          production: run.plan.env.endsWith(":production") || run.plan.requiresApproval,
          requestedBy: run.requestedBy,
          approver: user,
        })
      )
        return null;
      return approvalNeededText(facts, await deps.approvalCode(run, user.id), run.approvals.expiresAt);
    }
    case "rolled-back":
      return rolledBackText(facts, event.score, event.reason);
    case "halted":
      return haltedText(facts, event.score, event.reason);
    case "failed":
      return failedText(facts, event.error);
  }
}
