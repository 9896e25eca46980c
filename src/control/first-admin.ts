/**
 * The first admin of a real deployment (`POST /api/bootstrap`, `npx infra-chat init`): open only while no
 * admin exists, and only to whoever holds the deployment's BOOTSTRAP_SECRET. Refusals are audited, and a
 * client that keeps guessing is turned away for a while.
 */
import { z } from "zod";
import { countEvents } from "../db/audit";
import { anyAdmin, insertFirstAdmin } from "../db/users";
import { AppError } from "../domain/errors";
import { newId } from "../domain/ids";
import { isoAt } from "../domain/time";
import { generateToken, hashToken, timingSafeEqualHex } from "../security/tokens";
import { GLOBAL_CHAIN, recordGlobal } from "./audit";
import type { Services } from "./services";
import { CreateUser } from "./users";

export const BootstrapRequest = z
  .object({
    secret: z.string().min(1).max(512),
    name: CreateUser.shape.name,
    phone: CreateUser.shape.phone,
  })
  .strict();
export type BootstrapRequest = z.infer<typeof BootstrapRequest>;

/** Wrong secrets one client may send per window before it is refused without a comparison. */
export const BOOTSTRAP_MAX_REFUSALS = 5;
export const BOOTSTRAP_WINDOW_MS = 15 * 60_000;

const REFUSED = "bootstrap.refused";

/** Creates the first admin and their token (shown once), or says why not. `client` is the caller's address. */
export async function bootstrapFirstAdmin(
  services: Services,
  input: BootstrapRequest,
  client: string,
  configuredSecret: string | undefined,
) {
  const { db } = services;
  const now = services.now();
  const actor = `ip:${client}`;
  const refusals = await countEvents(db, {
    chain: GLOBAL_CHAIN,
    action: REFUSED,
    actor,
    since: isoAt(now - BOOTSTRAP_WINDOW_MS),
  });
  if (refusals >= BOOTSTRAP_MAX_REFUSALS)
    throw new AppError("rate_limited", "too many wrong bootstrap secrets from this address: try again later", {
      retryAfterSeconds: Math.ceil(BOOTSTRAP_WINDOW_MS / 1000),
    });
  // Once an admin exists the secret is never compared again: nothing is left to guess at.
  if (await anyAdmin(db))
    throw new AppError("conflict", "an admin exists already: ask them for an account (POST /api/users)");
  if (!(await secretMatches(input.secret, configuredSecret))) {
    await recordGlobal(services, [
      {
        actor,
        action: REFUSED,
        details: { reason: configuredSecret ? "wrong secret" : "BOOTSTRAP_SECRET is not set" },
      },
    ]);
    throw new AppError(
      "forbidden",
      configuredSecret
        ? "wrong bootstrap secret"
        : "bootstrap is disabled on this deployment: set the BOOTSTRAP_SECRET secret (npm run deploy generates one)",
    );
  }
  const createdAt = isoAt(now);
  const token = generateToken();
  const user = { id: newId("usr"), name: input.name, role: "admin" as const, phone: input.phone ?? null, createdAt };
  const tokenId = newId("tok");
  const won = await insertFirstAdmin(db, user, {
    id: tokenId,
    userId: user.id,
    tokenHash: await hashToken(token),
    createdAt,
  });
  if (!won) throw new AppError("conflict", "an admin exists already: ask them for an account (POST /api/users)");
  await recordGlobal(services, [
    { actor: user.id, action: "user.bootstrapped", details: { userId: user.id, role: "admin", client } },
  ]);
  return { user: { id: user.id, name: user.name, role: user.role, phone: user.phone }, token, tokenId };
}

/** Constant-time: both sides are hashed first, so neither length nor content leaks through timing. */
async function secretMatches(given: string, configured: string | undefined): Promise<boolean> {
  if (!configured) return false;
  const [a, b] = await Promise.all([hashToken(given), hashToken(configured)]);
  return timingSafeEqualHex(a, b);
}
