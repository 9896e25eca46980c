import { and, desc, eq } from "drizzle-orm";
import type { Database, Statement } from "./client";
import { incidents } from "./schema";

export type IncidentRow = typeof incidents.$inferSelect;

/** Open incidents of one environment. */
export async function openIncidents(db: Database, envId: string): Promise<IncidentRow[]> {
  return db
    .select()
    .from(incidents)
    .where(and(eq(incidents.envId, envId), eq(incidents.status, "open")));
}

/** One incident, or null. */
export async function getIncident(db: Database, id: string): Promise<IncidentRow | null> {
  return (await db.select().from(incidents).where(eq(incidents.id, id)).limit(1))[0] ?? null;
}

/** Incidents, newest first, optionally of one environment and status. */
export async function listIncidents(
  db: Database,
  filter: { envId?: string; status?: "open" | "resolved"; limit: number },
): Promise<IncidentRow[]> {
  const where = and(
    filter.envId ? eq(incidents.envId, filter.envId) : undefined,
    filter.status ? eq(incidents.status, filter.status) : undefined,
  );
  return db.select().from(incidents).where(where).orderBy(desc(incidents.openedAt)).limit(filter.limit);
}

/** Open, unacknowledged incidents whose ACK code is `code`. */
export async function incidentsByAckCode(db: Database, code: string): Promise<IncidentRow[]> {
  return db
    .select()
    .from(incidents)
    .where(and(eq(incidents.ackCode, code), eq(incidents.status, "open")));
}

/** Statement inserting a new incident (batched with its audit event). */
export function insertIncidentStatement(db: Database, row: IncidentRow): Statement {
  return db.insert(incidents).values(row);
}

/** Statement updating some fields of an incident. */
export function updateIncidentStatement(
  db: Database,
  id: string,
  fields: Partial<Omit<IncidentRow, "id" | "envId">>,
): Statement {
  return db.update(incidents).set(fields).where(eq(incidents.id, id));
}
