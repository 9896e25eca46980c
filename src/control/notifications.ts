/**
 * Texts a run or an incident sent and what became of each (Twilio's status callbacks): shown with the run
 * and the incident, phones masked (viewers see runs and incidents, not people's phones).
 */
import { textsOf, type OutboundText } from "../db/texts";
import type { ControlContext } from "./context";
import { maskPhone } from "../notify/texts";

/** One text as the API shows it. */
export function notificationView(t: OutboundText) {
  return {
    to: maskPhone(t.toPhone),
    purpose: t.purpose,
    level: t.level,
    status: t.status,
    ...(t.errorCode ? { errorCode: t.errorCode } : {}),
    ...(t.escalatedTo ? { escalatedTo: t.escalatedTo === "none" ? null : maskPhone(t.escalatedTo) } : {}),
    sentAt: t.createdAt,
    updatedAt: t.updatedAt,
  };
}

/** The texts of a run, or of an incident, oldest first. */
export async function notificationsOf(cx: Pick<ControlContext, "db">, of: { runId?: string; incidentId?: string }) {
  const texts = await textsOf(cx.db, {
    ...(of.runId ? { runIds: [of.runId] } : {}),
    ...(of.incidentId ? { incidentIds: [of.incidentId] } : {}),
  });
  return texts.map(notificationView);
}
