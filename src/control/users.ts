/**
 * People and their API tokens (API.md "Users and tokens"): create, change, remove users; create, list and
 * revoke tokens. Revoking a token also closes its live sockets and streams at once.
 */
import { z } from "zod";
import { allEnvIds } from "../db/environments";
import type { Database } from "../db/client";
import {
  activeAdminCount,
  getToken,
  getUser,
  insertToken,
  insertUser,
  listTokenRows,
  listUserRows,
  otherUserWithPhone,
  removeUserRow,
  revokeTokenRow,
  tokenByHash,
  tokenIdsOf,
  touchToken,
  updateUserRow,
} from "../db/users";
import type { TokenRow, UserRow } from "../db/users";
import { AppError } from "../domain/errors";
import { newId } from "../domain/ids";
import type { Actor } from "../policy/approval";
import { Role, can, requireRole } from "../security/roles";
import { generateToken, hashToken } from "../security/tokens";
import { recordGlobal } from "./audit";
import type { ControlContext } from "./context";
import type { Services } from "./services";

const Phone = z.string().regex(/^\+[1-9]\d{6,14}$/, "E.164, e.g. +15550000001");

export const CreateUser = z
  .object({
    name: z.string().trim().min(1).max(100),
    role: Role,
    phone: Phone.optional(),
  })
  .strict();

export const UpdateUser = z
  .object({
    name: z.string().trim().min(1).max(100).optional(),
    role: Role.optional(),
    /** null removes the phone. */
    phone: Phone.nullable().optional(),
  })
  .strict();

export const CreateToken = z
  .object({
    label: z.string().trim().min(1).max(100).optional(),
    expiresInDays: z.number().int().min(1).max(3650).optional(),
  })
  .strict();

/** How often a token's "last used" time is written (one write per token per minute at most). */
const TOUCH_EVERY_MS = 60_000;

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
  if (input.phone) await phoneFree(db, input.phone, "");
  const user = { id: newId("usr"), name: input.name, role: input.role, phone: input.phone ?? null, createdAt: now };
  const tokenId = newId("tok");
  await insertUser(db, user, { id: tokenId, userId: user.id, tokenHash: await hashToken(token), createdAt: now });
  return { user: { id: user.id, name: user.name, role: user.role, phone: user.phone }, token, tokenId };
}

/** A user as the API shows them; viewers see names and roles, not phones (API.md "Users and tokens"). */
function userView(u: UserRow, phones = true) {
  return {
    id: u.id,
    name: u.name,
    role: u.role,
    ...(phones ? { phone: u.phone } : {}),
    createdAt: u.createdAt,
    ...(u.removedAt ? { removedAt: u.removedAt } : {}),
  };
}

/** Users without any token material (removed ones are listed with `removedAt`, so history keeps names). */
export async function listUsers(cx: ControlContext) {
  requireRole(cx.actor.role, "read");
  const phones = seesPhones(cx.actor.role);
  return (await listUserRows(cx.db)).map((u) => userView(u, phones));
}

/** Whether a role may see people's phone numbers (viewers may not). */
export function seesPhones(role: Role): boolean {
  return can(role, "plan");
}

/** A phone as a viewer sees it: country code and last two digits ("+1•••••••01"). */
export function maskedPhone(phone: string): string {
  return phone.length > 5 ? `${phone.slice(0, 2)}${"•".repeat(phone.length - 4)}${phone.slice(-2)}` : "•••";
}

/** Changes a user's role, phone or name (admin). The last admin cannot stop being one. */
export async function updateUser(cx: ControlContext, id: string, input: z.infer<typeof UpdateUser>) {
  requireRole(cx.actor.role, "manage-users");
  const user = await liveUser(cx.db, id);
  if (input.phone) await phoneFree(cx.db, input.phone, id);
  if (input.role && input.role !== "admin" && user.role === "admin" && (await activeAdminCount(cx.db)) <= 1)
    throw new AppError("conflict", `${user.name} is the last admin; make someone else admin first`);
  const fields = {
    ...(input.name !== undefined ? { name: input.name } : {}),
    ...(input.role !== undefined ? { role: input.role } : {}),
    ...(input.phone !== undefined ? { phone: input.phone } : {}),
  };
  await updateUserRow(cx.db, id, fields);
  await recordGlobal(cx, [
    {
      actor: cx.actor.id,
      action: "user.updated",
      details: {
        userId: id,
        ...(input.role ? { role: { from: user.role, to: input.role } } : {}),
        ...(input.phone !== undefined ? { phone: input.phone ? "changed" : "removed" } : {}),
        ...(input.name ? { name: input.name } : {}),
      },
    },
  ]);
  return userView({ ...user, ...fields });
}

/** Removes a user (admin): their tokens are revoked and their live sockets closed; the last admin stays. */
export async function removeUser(cx: ControlContext, id: string): Promise<void> {
  requireRole(cx.actor.role, "manage-users");
  const user = await liveUser(cx.db, id);
  if (user.role === "admin" && (await activeAdminCount(cx.db)) <= 1)
    throw new AppError("conflict", `${user.name} is the last admin and cannot be removed`);
  await removeUserRow(cx.db, id, new Date(cx.now()).toISOString());
  await recordGlobal(cx, [{ actor: cx.actor.id, action: "user.removed", details: { userId: id } }]);
  await closeLiveConnections(cx, await tokenIdsOf(cx.db, id));
}

/** A token as the API shows it (never the token or its hash). */
function tokenView(t: TokenRow) {
  return {
    id: t.id,
    userId: t.userId,
    ...(t.label ? { label: t.label } : {}),
    createdAt: t.createdAt,
    ...(t.lastUsedAt ? { lastUsedAt: t.lastUsedAt } : {}),
    ...(t.expiresAt ? { expiresAt: t.expiresAt } : {}),
  };
}

/** Live tokens: an admin sees everyone's, anyone else their own. */
export async function listTokens(cx: ControlContext) {
  requireRole(cx.actor.role, "read");
  const rows = await listTokenRows(cx.db, can(cx.actor.role, "manage-users") ? undefined : cx.actor.id);
  return rows.map(tokenView);
}

/** A new token for a user (an admin for anyone, a user for themselves); the token is shown once. */
export async function createToken(cx: ControlContext, userId: string, input: z.infer<typeof CreateToken>) {
  if (userId !== cx.actor.id) requireRole(cx.actor.role, "manage-users");
  await liveUser(cx.db, userId);
  const token = generateToken();
  const now = cx.now();
  const row = {
    id: newId("tok"),
    userId,
    tokenHash: await hashToken(token),
    createdAt: new Date(now).toISOString(),
    label: input.label ?? null,
    expiresAt: input.expiresInDays ? new Date(now + input.expiresInDays * 86_400_000).toISOString() : null,
  };
  await insertToken(cx.db, row);
  await recordGlobal(cx, [
    { actor: cx.actor.id, action: "token.created", details: { tokenId: row.id, userId, label: row.label } },
  ]);
  return { token, tokenId: row.id, ...tokenView({ ...row, revokedAt: null, lastUsedAt: null }) };
}

/** Revokes a token (its owner or an admin may) and closes its live sockets and streams at once. */
export async function revokeToken(cx: ControlContext, tokenId: string): Promise<void> {
  const row = await getToken(cx.db, tokenId);
  if (!row) throw new AppError("not_found", `token ${tokenId} not found`);
  if (row.userId !== cx.actor.id) requireRole(cx.actor.role, "manage-users");
  await revokeTokenRow(cx.db, tokenId, new Date(cx.now()).toISOString());
  await recordGlobal(cx, [{ actor: cx.actor.id, action: "token.revoked", details: { tokenId } }]);
  await closeLiveConnections(cx, [tokenId]);
}

/**
 * Closes the watcher sockets opened with these tokens in every environment's object (the web chat's live
 * sockets, and the feeds chat event streams follow). A stream not following a feed checks its token itself.
 */
async function closeLiveConnections(services: Services, tokenIds: string[]): Promise<void> {
  if (!tokenIds.length) return;
  const ids = await allEnvIds(services.db);
  await Promise.all(ids.map((id) => services.environment(id).closeWatchers(tokenIds)));
}

/** The caller behind a bearer token, or null when the token is unknown, revoked or expired. */
export async function actorForToken(
  db: Database,
  token: string,
  now: number,
): Promise<{ actor: Actor; tokenId: string; touch?: Promise<void> } | null> {
  const row = await tokenByHash(db, await hashToken(token));
  if (!row || row.token.revokedAt || row.user.removedAt) return null;
  if (row.token.expiresAt) {
    const expires = Date.parse(row.token.expiresAt);
    // An unreadable expiry denies: it is not a token anyone meant to last forever.
    if (!Number.isFinite(expires) || expires <= now) return null;
  }
  const role = Role.safeParse(row.user.role);
  if (!role.success) return null;
  const last = row.token.lastUsedAt ? Date.parse(row.token.lastUsedAt) : 0;
  return {
    actor: { id: row.user.id, name: row.user.name, role: role.data },
    tokenId: row.token.id,
    ...(now - last >= TOUCH_EVERY_MS ? { touch: touchToken(db, row.token.id, new Date(now).toISOString()) } : {}),
  };
}

async function liveUser(db: Database, id: string): Promise<UserRow> {
  const user = await getUser(db, id);
  if (!user || user.removedAt) throw new AppError("not_found", `user ${id} not found`);
  return user;
}

async function phoneFree(db: Database, phone: string, exceptId: string): Promise<void> {
  if (await otherUserWithPhone(db, phone, exceptId))
    throw new AppError("conflict", `phone ${phone} already belongs to another user (an SMS must act as one person)`, {
      phone,
    });
}
