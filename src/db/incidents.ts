import { and, desc, eq, isNull } from "drizzle-orm";
import type { ChainWriter } from "../audit/chain-writer";
import type { Incident, IncidentStore } from "../monitor/types";
import type { Database, Statement } from "./client";
import { receiptStatements } from "./runs";
import { incidents } from "./schema";

/**
 * The monitor's incident store: rows in D1, each write batched with its audit events (sealed by the
 * environment's chain writer) and the receipt rows of the provider calls made for it.
 */
export function createIncidentStore(db: Database, chain: ChainWriter<Statement>): IncidentStore {
  return {
    get: (id) => getIncident(db, id),
    open: (envId) => openIncidents(db, envId),
    async insert(incident, audit, receipts = []) {
      chain.bind(incident.envId);
      await chain.append(audit, [
        db.insert(incidents).values(incident),
        ...receiptStatements(db, incident.id, receipts),
      ]);
    },
    async update({ id, envId }, fields, audit, receipts = []) {
      chain.bind(envId);
      await chain.append(audit, [
        db.update(incidents).set(fields).where(eq(incidents.id, id)),
        ...receiptStatements(db, id, receipts),
      ]);
    },
  };
}

/** Open incidents of one environment. */
export async function openIncidents(db: Database, envId: string): Promise<Incident[]> {
  return db
    .select()
    .from(incidents)
    .where(and(eq(incidents.envId, envId), eq(incidents.status, "open")));
}

/** One incident, or null. */
export async function getIncident(db: Database, id: string): Promise<Incident | null> {
  return (await db.select().from(incidents).where(eq(incidents.id, id)).limit(1))[0] ?? null;
}

/** Incidents, newest first, optionally of one environment and status. */
export async function listIncidents(
  db: Database,
  filter: { envId?: string; status?: "open" | "resolved"; limit: number },
): Promise<Incident[]> {
  const where = and(
    filter.envId ? eq(incidents.envId, filter.envId) : undefined,
    filter.status ? eq(incidents.status, filter.status) : undefined,
  );
  return db.select().from(incidents).where(where).orderBy(desc(incidents.openedAt)).limit(filter.limit);
}

/** Open incidents not yet acknowledged, in every environment (an "ACK <code>" may be for any of them). */
export async function unacknowledgedIncidents(db: Database): Promise<Incident[]> {
  return db
    .select()
    .from(incidents)
    .where(and(eq(incidents.status, "open"), isNull(incidents.ackedAt)));
}
