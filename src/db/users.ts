import { and, eq, isNull } from "drizzle-orm";
import type { Database } from "./client";
import { apiTokens, users } from "./schema";

export type UserRow = typeof users.$inferSelect;
export type TokenRow = typeof apiTokens.$inferSelect;

/** Inserts a user and their first token together. */
export async function insertUser(db: Database, user: UserRow, token: Omit<TokenRow, "expiresAt" | "revokedAt">) {
  await db.batch([db.insert(users).values(user), db.insert(apiTokens).values(token)]);
}

/** Users, oldest first. */
export async function listUserRows(db: Database): Promise<UserRow[]> {
  return db.select().from(users).orderBy(users.createdAt);
}

/** One user, or null. */
export async function getUser(db: Database, id: string): Promise<UserRow | null> {
  return (await db.select().from(users).where(eq(users.id, id)).limit(1))[0] ?? null;
}

/** The user whose phone this is, or null. */
export async function userByPhone(db: Database, phone: string): Promise<UserRow | null> {
  return (await db.select().from(users).where(eq(users.phone, phone)).limit(1))[0] ?? null;
}

/** One token, or null. */
export async function getToken(db: Database, id: string): Promise<TokenRow | null> {
  return (await db.select().from(apiTokens).where(eq(apiTokens.id, id)).limit(1))[0] ?? null;
}

/** The token with this hash and its user, or null. */
export async function tokenByHash(db: Database, tokenHash: string): Promise<{ user: UserRow; token: TokenRow } | null> {
  const rows = await db
    .select({ user: users, token: apiTokens })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(eq(apiTokens.tokenHash, tokenHash))
    .limit(1);
  return rows[0] ?? null;
}

/** Revokes a token (a revoked one keeps its first revocation time). */
export async function revokeTokenRow(db: Database, id: string, now: string): Promise<void> {
  await db
    .update(apiTokens)
    .set({ revokedAt: now })
    .where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt)));
}

/** Whether any admin exists (the first-admin bootstrap is open only until one does). */
export async function anyAdmin(db: Database): Promise<boolean> {
  return (await db.select({ id: users.id }).from(users).where(eq(users.role, "admin")).limit(1)).length > 0;
}

/**
 * Inserts the first admin and their token only while no admin exists, in one batch: two bootstraps racing
 * each other cannot both win. Returns whether this one did.
 */
export async function insertFirstAdmin(
  db: Database,
  user: UserRow,
  token: Omit<TokenRow, "expiresAt" | "revokedAt">,
): Promise<boolean> {
  // Conditional INSERT … SELECT has no drizzle builder; plain D1 statements in one batch (one transaction).
  const d1 = db.$client;
  const [inserted] = await d1.batch([
    d1
      .prepare(
        `INSERT INTO users (id, name, role, phone, created_at) SELECT ?, ?, 'admin', ?, ?
         WHERE NOT EXISTS (SELECT 1 FROM users WHERE role = 'admin')`,
      )
      .bind(user.id, user.name, user.phone, user.createdAt),
    d1
      .prepare(
        `INSERT INTO api_tokens (id, user_id, token_hash, created_at) SELECT ?, ?, ?, ?
         WHERE EXISTS (SELECT 1 FROM users WHERE id = ?)`,
      )
      .bind(token.id, token.userId, token.tokenHash, token.createdAt, user.id),
  ]);
  return (inserted.meta.changes ?? 0) > 0;
}
