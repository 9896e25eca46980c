import { and, eq } from "drizzle-orm";
import type { Database } from "./client";
import { secrets } from "./schema";

/** Encrypts and decrypts secret values (src/security/secrets.ts). */
export interface SecretCipher {
  encrypt(plaintext: string, aad: string): Promise<{ keyId: string; iv: string; ciphertext: string }>;
  decrypt(sealed: { keyId: string; iv: string; ciphertext: string }, aad: string): Promise<string>;
}

/** Binds a ciphertext to where it is stored, so a row copied elsewhere does not decrypt. */
const aadOf = (envId: string, name: string) => `secret:${envId}/${name}`;

/** Stores a secret value encrypted (insert or replace). */
export async function putSecret(db: Database, cipher: SecretCipher, envId: string, name: string, value: string, now: string): Promise<void> {
  const sealed = await cipher.encrypt(value, aadOf(envId, name));
  await db.insert(secrets).values({ envId, name, ...sealed, updatedAt: now })
    .onConflictDoUpdate({ target: [secrets.envId, secrets.name], set: { ...sealed, updatedAt: now } });
}

/** Secret names and update times of an environment — never values. */
export async function listSecrets(db: Database, envId: string): Promise<{ name: string; updatedAt: string }[]> {
  return db.select({ name: secrets.name, updatedAt: secrets.updatedAt }).from(secrets).where(eq(secrets.envId, envId)).orderBy(secrets.name);
}

/** Decrypts one secret; null when it is not set. */
export async function resolveSecret(db: Database, cipher: SecretCipher, envId: string, name: string): Promise<string | null> {
  const row = (await db.select().from(secrets).where(and(eq(secrets.envId, envId), eq(secrets.name, name))).limit(1))[0];
  return row ? cipher.decrypt(row, aadOf(envId, name)) : null;
}

/** Every stored secret value (all environments, or one), for the redactor. */
export async function allSecretValues(db: Database, cipher: SecretCipher, envId?: string): Promise<string[]> {
  const rows = await (envId ? db.select().from(secrets).where(eq(secrets.envId, envId)) : db.select().from(secrets));
  return Promise.all(rows.map((r) => cipher.decrypt(r, aadOf(r.envId, r.name))));
}
