import type { BatchItem } from "drizzle-orm/batch";
import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

/** Drizzle over the D1 binding. */
export function database(d1: D1Database) {
  return drizzle(d1, { schema });
}

export type Database = ReturnType<typeof database>;

/** One write of a D1 batch; callers outside db/ only pass these along, they never build them. */
export type Statement = BatchItem<"sqlite">;

/** Runs statements as one D1 batch (all or none); an empty list writes nothing. */
export async function commitBatch(db: Database, statements: Statement[]): Promise<void> {
  const [first, ...rest] = statements;
  if (first) await db.batch([first, ...rest]);
}
