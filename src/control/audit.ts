import type { AuditInput } from "../audit/chain";
import { findEnv } from "../db/environments";
import { listAudit, verifyAudit } from "../db/audit";
import { requireRole } from "../security/roles";
import type { ControlContext } from "./context";
import type { Services } from "./services";

/** The chain for events that belong to no environment (users, tokens, project settings). */
export const GLOBAL_CHAIN = "global";

/** Appends events to the global chain through its single writer. */
export async function recordGlobal(services: Services, inputs: AuditInput[]): Promise<void> {
  await services.environment(GLOBAL_CHAIN).appendAudit(GLOBAL_CHAIN, inputs);
}

/** Appends events to an environment's chain through its Durable Object. */
export async function recordForEnv(services: Services, envId: string, inputs: AuditInput[]): Promise<void> {
  await services.environment(envId).appendAudit(envId, inputs);
}

/** Audit events, newest first; `env` filters to one environment's chain. */
export async function auditEvents(cx: ControlContext, filter: { env?: string; since?: string; limit: number }) {
  requireRole(cx.actor.role, "read");
  const chain = filter.env ? (await findEnv(cx.db, filter.env)).id : undefined;
  return listAudit(cx.db, { chain, since: filter.since, limit: filter.limit });
}

/** Recomputes the hash chain of one environment, or of everything. */
export async function verifyAuditChain(cx: ControlContext, envRef?: string) {
  requireRole(cx.actor.role, "read");
  const chain = envRef ? (await findEnv(cx.db, envRef)).id : undefined;
  return verifyAudit(cx.db, chain);
}
