import { z } from "zod";
import { AppError } from "../domain/errors";
import { newId } from "../domain/ids";
import type { Database } from "../db/client";
import { getToken, insertUser, listUserRows, revokeTokenRow, tokenByHash, userByPhone } from "../db/users";
import type { Actor } from "../policy/approval";
import { Role, can, requireRole } from "../security/roles";
import { generateToken, hashToken } from "../security/tokens";
import type { ControlContext } from "./context";
import { recordGlobal } from "./audit";

export const CreateUser = z
  .object({
    name: z.string().trim().min(1).max(100),
    role: Role,
    phone: z
      .string()
      .regex(/^\+[1-9]\d{6,14}$/, "E.164, e.g. +15550000001")
      .optional(),
  })
  .strict();

/** Creates a user and their first API token (shown once). */
export async function createUser(cx: ControlContext, input: z.infer<typeof CreateUser>) {
  requireRole(cx.actor.role, "manage-users");
  const result = await insertUserWithToken(cx.db, input, new Date(cx.now()).toISOString());
  await recordGlobal(cx, [
    { actor: cx.actor.id, action: "user.created", details: { userId: result.user.id, role: input.role } },
  ]);
  return result;
}

/**
 * Inserts a user and a fresh token together; the token's hash is all that is stored. A phone belongs to
 * one user (409 otherwise): an SMS must act as exactly one person.
 */
export async function insertUserWithToken(
  db: Database,
  input: z.infer<typeof CreateUser>,
  now: string,
  token = generateToken(),
) {
  if (input.phone && (await userByPhone(db, input.phone)))
    throw new AppError("conflict", `phone ${input.phone} already belongs to another user`, { phone: input.phone });
  const user = { id: newId("usr"), name: input.name, role: input.role, phone: input.phone ?? null, createdAt: now };
  const tokenId = newId("tok");
  await insertUser(db, user, { id: tokenId, userId: user.id, tokenHash: await hashToken(token), createdAt: now });
  return { user: { id: user.id, name: user.name, role: user.role, phone: user.phone }, token, tokenId };
}

/** Users without any token material; viewers see names and roles, not phones (API.md "Users and tokens"). */
export async function listUsers(cx: ControlContext) {
  requireRole(cx.actor.role, "read");
  const rows = await listUserRows(cx.db);
  const phones = seesPhones(cx.actor.role);
  return rows.map((u) => ({
    id: u.id,
    name: u.name,
    role: u.role,
    ...(phones ? { phone: u.phone } : {}),
    createdAt: u.createdAt,
  }));
}

/** Whether a role may see people's phone numbers (viewers may not). */
export function seesPhones(role: Role): boolean {
  return can(role, "plan");
}

/** A phone as a viewer sees it: country code and last two digits ("+1•••••••01"). */
export function maskedPhone(phone: string): string {
  return phone.length > 5 ? `${phone.slice(0, 2)}${"•".repeat(phone.length - 4)}${phone.slice(-2)}` : "•••";
}

/** Revokes a token: its owner or an admin may. */
export async function revokeToken(cx: ControlContext, tokenId: string): Promise<void> {
  const row = await getToken(cx.db, tokenId);
  if (!row) throw new AppError("not_found", `token ${tokenId} not found`);
  if (row.userId !== cx.actor.id) requireRole(cx.actor.role, "manage-users");
  await revokeTokenRow(cx.db, tokenId, new Date(cx.now()).toISOString());
  await recordGlobal(cx, [{ actor: cx.actor.id, action: "token.revoked", details: { tokenId } }]);
}

/** The actor behind a bearer token, or null when the token is unknown, revoked or expired. */
export async function actorForToken(db: Database, token: string, now: number): Promise<Actor | null> {
  const row = await tokenByHash(db, await hashToken(token));
  if (!row || row.token.revokedAt) return null;
  // An expiry that does not parse denies: "not a date" must not read as "never expires".
  if (row.token.expiresAt !== null && !(Date.parse(row.token.expiresAt) > now)) return null;
  const role = Role.safeParse(row.user.role);
  return role.success ? { id: row.user.id, name: row.user.name, role: role.data } : null;
}
