/** Chat replies about monitoring: incidents, ACK, drift adoption, monitoring rules, remediation refusals. */
import type { Intent } from "../domain/intent";
import { RemediationAction } from "../domain/monitoring";
import { refusal } from "../plan/remediate";
import type { ControlContext } from "./context";
import { resolveEnvName } from "./environments";
import { ackByCode, adoptEnvDrift, incidentDetail, incidentList, setMonitorRule } from "./incidents";

type MonitoringIntent = Extract<Intent, { kind: "incidents" | "incident" | "ack" | "monitor-rule" | "drift" }>;

/** The refusal for a remediation outside the bounded set, or null when the action is in it. */
export function remediationRefusal(action: string): string | null {
  return (RemediationAction.options as string[]).includes(action) ? null : `I won't do that: ${refusal(action)}`;
}

/** The remediate params a chat intent asks for. */
export function remediateParams(intent: Extract<Intent, { kind: "remediate" }>): Record<string, unknown> {
  return {
    action: intent.action,
    ...(intent.service ? { service: intent.service } : {}),
    ...(intent.replicas !== undefined ? { replicas: intent.replicas } : {}),
  };
}

/** Replies to a monitoring intent that plans nothing. */
export async function monitoringReply(cx: ControlContext, intent: MonitoringIntent): Promise<{ text: string }[]> {
  switch (intent.kind) {
    case "incidents": {
      const env = intent.env ? await resolveEnvName(cx, intent.env) : undefined;
      const list = await incidentList(cx, { env, status: "open", limit: 20 });
      if (!list.length) return [{ text: `No open incidents${env ? ` on ${env}` : ""}.` }];
      return [
        {
          text: [
            `Open incidents${env ? ` on ${env}` : ""}:`,
            ...list.map(
              (i) =>
                `  ${i.id} ${i.env} ${i.severity} since ${i.openedAt.slice(0, 16).replace("T", " ")} — ${i.title}${i.runIds.length ? ` (runs ${i.runIds.join(", ")})` : ""}`,
            ),
          ].join("\n"),
        },
      ];
    }
    case "incident": {
      const i = await incidentDetail(cx, intent.id);
      return [
        {
          text: [
            `Incident ${i.id} on ${i.env} (${i.status}, ${i.severity}): ${i.title}`,
            `Opened ${i.openedAt}, last seen ${i.lastSeenAt}, ${i.checks} check(s).${i.resolution ? ` ${i.resolution}` : ""}`,
            i.runIds.length ? `Runs: ${i.runIds.join(", ")}` : "No remediation run.",
            i.acknowledged
              ? `Acknowledged by ${i.acknowledged.by} at ${i.acknowledged.at}.`
              : `Not acknowledged (escalation level ${i.escalationLevel + 1}).`,
            `Bundle: ${i.bundle.files.map((f) => `/api/incidents/${i.id}/bundle/${f}`).join(", ") || "(none)"}`,
          ].join("\n"),
        },
      ];
    }
    case "ack":
      // A bare "ack" (which alerts are paging this person?) lands with the chat's handler table.
      if (!intent.code) return [{ text: 'Say "ack" with the code from the text message, e.g. "ack 482193".' }];
      return [{ text: await ackByCode(cx, intent.code) }];
    case "drift": {
      if (intent.choice !== "adopt")
        return [{ text: 'Reverting drift plans a reconcile run: say "revert drift on <env>".' }];
      const adopted = await adoptEnvDrift(cx, intent.env);
      return [
        {
          text: `Adopted into ${adopted.env} revision ${adopted.revision}: ${adopted.adopted.map((c) => `${c.path} ${String(c.from)} → ${String(c.to)}`).join(", ")}. Incident ${adopted.incident} resolved.`,
        },
      ];
    }
    case "monitor-rule": {
      const then = RemediationAction.safeParse(intent.then);
      if (!then.success) return [{ text: `I won't store that rule: ${refusal(intent.then)}` }];
      const stored = await setMonitorRule(cx, await resolveEnvName(cx, intent.env), {
        when: intent.when,
        then: then.data,
        text: intent.text,
      });
      return [
        {
          text: `Stored for ${stored.env} (revision ${stored.revision}): when repeated 5xx follow a deploy, ${then.data} and open an incident bundle with logs, metrics and the diff since the last good release. Policy decides whether it applies by itself (auto-rollback) or waits for approval.`,
        },
      ];
    }
  }
}
