import { and, count, eq, max } from "drizzle-orm";
import type { Database } from "./client";
import { commitBatch } from "./client";
import { secrets } from "./schema";

/** Encrypts and decrypts secret values (src/security/secrets.ts). */
export interface SecretCipher {
  encrypt(plaintext: string, aad: string): Promise<{ keyId: string; iv: string; ciphertext: string }>;
  decrypt(sealed: { keyId: string; iv: string; ciphertext: string }, aad: string): Promise<string>;
}

/** Binds a ciphertext to where it is stored, so a row copied elsewhere does not decrypt. */
const aadOf = (envId: string, name: string) => `secret:${envId}/${name}`;

/** Stores a secret value encrypted (insert or replace). */
export async function putSecret(
  db: Database,
  cipher: SecretCipher,
  envId: string,
  name: string,
  value: string,
  now: string,
): Promise<void> {
  const sealed = await cipher.encrypt(value, aadOf(envId, name));
  await db
    .insert(secrets)
    .values({ envId, name, ...sealed, updatedAt: now })
    .onConflictDoUpdate({ target: [secrets.envId, secrets.name], set: { ...sealed, updatedAt: now } });
}

/** Rotation keeps the incoming value as NAME@next and the outgoing one as NAME@previous until the run ends. */
export const STAGED = { next: "@next", previous: "@previous" } as const;

/** Secret names and update times of an environment — never values, never rotation internals. */
export async function listSecrets(db: Database, envId: string): Promise<{ name: string; updatedAt: string }[]> {
  const rows = await db
    .select({ name: secrets.name, updatedAt: secrets.updatedAt })
    .from(secrets)
    .where(eq(secrets.envId, envId))
    .orderBy(secrets.name);
  return rows.filter((r) => !r.name.includes("@"));
}

/**
 * Rotation's swap, in one batch: NAME takes the staged value, the old value is kept as NAME@previous
 * (re-sealed for its own location) until the run finishes. Idempotent: with nothing staged it is done.
 */
export async function swapStagedSecret(
  db: Database,
  cipher: SecretCipher,
  envId: string,
  name: string,
  now: string,
): Promise<"swapped" | "already"> {
  const next = await resolveSecret(db, cipher, envId, `${name}${STAGED.next}`);
  if (next === null) return "already";
  const current = await resolveSecret(db, cipher, envId, name);
  const sealedNext = await cipher.encrypt(next, aadOf(envId, name));
  const statements = [
    db
      .insert(secrets)
      .values({ envId, name, ...sealedNext, updatedAt: now })
      .onConflictDoUpdate({ target: [secrets.envId, secrets.name], set: { ...sealedNext, updatedAt: now } }),
    db.delete(secrets).where(and(eq(secrets.envId, envId), eq(secrets.name, `${name}${STAGED.next}`))),
  ];
  if (current !== null) {
    const sealedPrevious = await cipher.encrypt(current, aadOf(envId, `${name}${STAGED.previous}`));
    statements.push(
      db
        .insert(secrets)
        .values({ envId, name: `${name}${STAGED.previous}`, ...sealedPrevious, updatedAt: now })
        .onConflictDoUpdate({ target: [secrets.envId, secrets.name], set: { ...sealedPrevious, updatedAt: now } }),
    );
  }
  await commitBatch(db, statements);
  return "swapped";
}

/** Destroys the outgoing value once the rotation has been rolled out. */
export async function destroyPreviousSecret(db: Database, envId: string, name: string): Promise<void> {
  await db.delete(secrets).where(and(eq(secrets.envId, envId), eq(secrets.name, `${name}${STAGED.previous}`)));
}

/** Decrypts one secret; null when it is not set. */
export async function resolveSecret(
  db: Database,
  cipher: SecretCipher,
  envId: string,
  name: string,
): Promise<string | null> {
  const row = (
    await db
      .select()
      .from(secrets)
      .where(and(eq(secrets.envId, envId), eq(secrets.name, name)))
      .limit(1)
  )[0];
  return row ? cipher.decrypt(row, aadOf(envId, name)) : null;
}

/** Every stored secret value (all environments, or one), for the redactor. */
export async function allSecretValues(db: Database, cipher: SecretCipher, envId?: string): Promise<string[]> {
  const rows = await (envId ? db.select().from(secrets).where(eq(secrets.envId, envId)) : db.select().from(secrets));
  return Promise.all(rows.map((r) => cipher.decrypt(r, aadOf(r.envId, r.name))));
}

/** Environments holding a secret of this name. */
export async function envsWithSecret(db: Database, name: string): Promise<string[]> {
  return (await db.select({ envId: secrets.envId }).from(secrets).where(eq(secrets.name, name))).map((r) => r.envId);
}

/**
 * A stamp that changes whenever the stored secrets (of one environment, or all) change: their count and
 * newest update time. Cheap to read, so a cached redactor can be checked on every use.
 */
export async function secretsStamp(db: Database, envId?: string): Promise<string> {
  const rows = await db
    .select({ n: count(), t: max(secrets.updatedAt) })
    .from(secrets)
    .where(envId ? eq(secrets.envId, envId) : undefined);
  return `${rows[0]?.n ?? 0}/${rows[0]?.t ?? ""}`;
}
