import { and, eq } from "drizzle-orm";
import type { Database } from "./client";
import { appliedMigrations } from "./schema";

export type AppliedMigrationRow = typeof appliedMigrations.$inferSelect;

/** Contract migrations applied in an environment, oldest first. */
export async function appliedContractMigrations(db: Database, envId: string): Promise<AppliedMigrationRow[]> {
  return db
    .select()
    .from(appliedMigrations)
    .where(and(eq(appliedMigrations.envId, envId), eq(appliedMigrations.class, "contract")))
    .orderBy(appliedMigrations.appliedAt);
}
