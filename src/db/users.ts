import { and, eq, isNull, ne, sql } from "drizzle-orm";
import type { Database } from "./client";
import { apiTokens, users } from "./schema";

export type UserRow = typeof users.$inferSelect;
export type TokenRow = typeof apiTokens.$inferSelect;
/** A token as it is first stored (no use, no revocation yet). */
export type NewToken = Pick<TokenRow, "id" | "userId" | "tokenHash" | "createdAt"> &
  Partial<Pick<TokenRow, "label" | "expiresAt">>;

/** Inserts a user and their first token together. */
export async function insertUser(db: Database, user: Omit<UserRow, "removedAt">, token: NewToken) {
  await db.batch([db.insert(users).values(user), db.insert(apiTokens).values(token)]);
}

/** Inserts one more token for a user. */
export async function insertToken(db: Database, token: NewToken): Promise<void> {
  await db.insert(apiTokens).values(token);
}

/** Users, oldest first (removed ones too: history still names them). */
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

/** Another user (not `exceptId`) with this phone, or null. */
export async function otherUserWithPhone(db: Database, phone: string, exceptId: string): Promise<UserRow | null> {
  const rows = await db
    .select()
    .from(users)
    .where(and(eq(users.phone, phone), ne(users.id, exceptId)))
    .limit(1);
  return rows[0] ?? null;
}

/** How many admins are not removed. */
export async function activeAdminCount(db: Database): Promise<number> {
  const rows = await db
    .select({ n: sql<number>`COUNT(*)` })
    .from(users)
    .where(and(eq(users.role, "admin"), isNull(users.removedAt)));
  return Number(rows[0]?.n ?? 0);
}

/** Changes a user's role, phone or name. */
export async function updateUserRow(
  db: Database,
  id: string,
  fields: Partial<Pick<UserRow, "role" | "phone" | "name">>,
): Promise<void> {
  if (Object.keys(fields).length) await db.update(users).set(fields).where(eq(users.id, id));
}

/** Removes a user: the row stays (for names in history) without phone, and every token is revoked, together. */
export async function removeUserRow(db: Database, id: string, now: string): Promise<void> {
  await db.batch([
    db.update(users).set({ removedAt: now, phone: null }).where(eq(users.id, id)),
    db
      .update(apiTokens)
      .set({ revokedAt: now })
      .where(and(eq(apiTokens.userId, id), isNull(apiTokens.revokedAt))),
  ]);
}

/** One token, or null. */
export async function getToken(db: Database, id: string): Promise<TokenRow | null> {
  return (await db.select().from(apiTokens).where(eq(apiTokens.id, id)).limit(1))[0] ?? null;
}

/** Tokens that are not revoked, newest first: all of them, or one user's. */
export async function listTokenRows(db: Database, userId?: string): Promise<TokenRow[]> {
  return db
    .select()
    .from(apiTokens)
    .where(and(isNull(apiTokens.revokedAt), userId ? eq(apiTokens.userId, userId) : undefined))
    .orderBy(sql`${apiTokens.createdAt} DESC`);
}

/** Ids of a user's tokens (revoked ones included: their sockets may still be open). */
export async function tokenIdsOf(db: Database, userId: string): Promise<string[]> {
  const rows = await db.select({ id: apiTokens.id }).from(apiTokens).where(eq(apiTokens.userId, userId));
  return rows.map((r) => r.id);
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

/** Whether a token is still live (not revoked) — what an open stream asks every second. */
export async function tokenRevoked(db: Database, id: string): Promise<boolean> {
  const row = (
    await db.select({ revokedAt: apiTokens.revokedAt }).from(apiTokens).where(eq(apiTokens.id, id)).limit(1)
  )[0];
  return !row || row.revokedAt !== null;
}

/** Records that a token was used (callers throttle: at most once a minute per token). */
export async function touchToken(db: Database, id: string, now: string): Promise<void> {
  await db.update(apiTokens).set({ lastUsedAt: now }).where(eq(apiTokens.id, id));
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
  user: Omit<UserRow, "removedAt">,
  token: NewToken,
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
