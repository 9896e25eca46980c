import { and, eq, sql } from "drizzle-orm";
import type { Database } from "./client";
import { commitBatch } from "./client";
import { connections } from "./schema";

export type ConnectionRow = typeof connections.$inferSelect;
export type ConnectionStatus = ConnectionRow["status"];

/** A project's provider connections, by provider name. */
export async function connectionsOf(db: Database, projectId: string): Promise<ConnectionRow[]> {
  return db.select().from(connections).where(eq(connections.projectId, projectId)).orderBy(connections.provider);
}

/** One connection of a project, or null. */
export async function connectionOf(db: Database, projectId: string, provider: string): Promise<ConnectionRow | null> {
  const rows = await db
    .select()
    .from(connections)
    .where(and(eq(connections.projectId, projectId), eq(connections.provider, provider)))
    .limit(1);
  return rows[0] ?? null;
}

/** Writes each provider's checked status and metadata, together. */
export async function saveConnections(
  db: Database,
  projectId: string,
  checked: { provider: string; status: ConnectionStatus; metadata: Record<string, unknown> }[],
  now: string,
): Promise<void> {
  await commitBatch(
    db,
    checked.map(({ provider, status, metadata }) =>
      db
        .insert(connections)
        .values({ projectId, provider, status, metadata, updatedAt: now })
        .onConflictDoUpdate({
          target: [connections.projectId, connections.provider],
          set: { status, metadata, updatedAt: now },
        }),
    ),
  );
}

/** pending-auth: credentials were asked for and not given yet (never downgrades a connection past unconfigured). */
export async function markPendingAuth(db: Database, projectId: string, provider: string, now: string): Promise<void> {
  await db
    .update(connections)
    .set({ status: "pending-auth", updatedAt: now })
    .where(
      and(
        eq(connections.projectId, projectId),
        eq(connections.provider, provider),
        eq(connections.status, "unconfigured"),
      ),
    );
}

/** Records the project's SendGrid sender domain on its connection, keeping the rest of the metadata. */
export async function setSenderDomain(db: Database, projectId: string, domain: string): Promise<void> {
  await db
    .update(connections)
    .set({ metadata: sql`json_set(${connections.metadata}, '$.senderDomain', ${domain})` as never })
    .where(and(eq(connections.projectId, projectId), eq(connections.provider, "sendgrid")));
}
