/** Chat intents about monitoring: incidents, ACK, drift, monitoring rules and bounded remediation. */
import {
  renderAckChoice,
  renderAcknowledged,
  renderAdoptedDrift,
  renderIncident,
  renderIncidentList,
  renderStoredRule,
} from "../chat/render-incidents";
import { RemediationAction } from "../domain/monitoring";
import { refusal } from "../plan/remediate";
import type { IntentHandlers } from "./chat-turn";
import { afterPlan } from "./chat-turn";
import { resolveEnvName } from "./environments";
import {
  ackByCode,
  ackCodes,
  ackIncident,
  adoptEnvDrift,
  incidentDetail,
  incidentList,
  setMonitorRule,
} from "./incidents";
import { createPlan } from "./plans";

export const MONITORING_HANDLERS: IntentHandlers<
  "incidents" | "incident" | "ack" | "monitor-rule" | "drift" | "remediate"
> = {
  async incidents({ cx }, intent) {
    const env = intent.env ? await resolveEnvName(cx, intent.env) : undefined;
    return [{ text: renderIncidentList(env, await incidentList(cx, { env, status: "open", limit: 20 })) }];
  },
  incident: async ({ cx }, intent) => [{ text: renderIncident(await incidentDetail(cx, intent.id)) }],
  async ack({ cx }, intent) {
    if (intent.code) return [{ text: await ackByCode(cx, intent.code) }];
    // A bare "ack": the one incident still paging people is acknowledged; several are asked about.
    const paging = (await incidentList(cx, { status: "open", limit: 20 })).filter((i) => !i.acknowledged);
    if (paging.length === 1) return [{ text: renderAcknowledged(await ackIncident(cx, paging[0].id)) }];
    if (paging.length === 0) return [{ text: "Nothing is paging: no open incident waits for an acknowledgement." }];
    const codes = await ackCodes(
      cx,
      paging.map((i) => i.id),
    );
    const text = renderAckChoice(paging, codes);
    return [{ text, question: { slot: "ack", text, options: paging.map((i) => `ack ${codes.get(i.id) ?? i.id}`) } }];
  },
  async drift(turn, intent) {
    if (intent.choice === "adopt") return [{ text: renderAdoptedDrift(await adoptEnvDrift(turn.cx, intent.env)) }];
    const plan = await createPlan(turn.cx, await resolveEnvName(turn.cx, intent.env), {
      type: "reconcile",
      params: { action: "revert-drift" },
    });
    return [await afterPlan(turn, plan)];
  },
  async "monitor-rule"({ cx }, intent) {
    const then = RemediationAction.safeParse(intent.then);
    if (!then.success) return [{ text: `I won't store that rule: ${refusal(intent.then)}` }];
    const stored = await setMonitorRule(cx, await resolveEnvName(cx, intent.env), {
      when: intent.when,
      then: then.data,
      text: intent.text,
    });
    return [{ text: renderStoredRule(stored, then.data) }];
  },
  async remediate(turn, intent) {
    if (!RemediationAction.safeParse(intent.action).success)
      return [{ text: `I won't do that: ${refusal(intent.action)}` }];
    const plan = await createPlan(turn.cx, await resolveEnvName(turn.cx, intent.env), {
      type: "remediate",
      params: {
        action: intent.action,
        ...(intent.service ? { service: intent.service } : {}),
        ...(intent.replicas !== undefined ? { replicas: intent.replicas } : {}),
      },
    });
    return [await afterPlan(turn, plan)];
  },
};
