import { and, count, eq, max, ne } from "drizzle-orm";
import { AppError } from "../domain/errors";
import type { ReencryptBatch } from "../runs/context";
import type { Database } from "./client";
import { commitBatch } from "./client";
import { environments, projects, secrets } from "./schema";

/** Encrypts and decrypts secret values (src/security/secrets.ts). */
export interface SecretCipher {
  /** The id of the master key new ciphertexts are sealed with. */
  readonly keyId: string;
  encrypt(plaintext: string, aad: string): Promise<{ keyId: string; iv: string; ciphertext: string }>;
  decrypt(sealed: { keyId: string; iv: string; ciphertext: string }, aad: string): Promise<string>;
}

/**
 * A stored secret that does not open: refused by its location check (AAD), sealed with a key this
 * deployment lacks, or tampered. Names the secret, its environment and the fix — never key material.
 */
export class UnreadableSecretError extends AppError {
  constructor(
    readonly secret: string,
    readonly env: string,
    readonly keyId: string,
    unknownKey: boolean,
  ) {
    super(
      "conflict",
      `secret ${secret} of ${env} cannot be decrypted: ${
        unknownKey
          ? `it was sealed with key "${keyId}", which is not configured`
          : `it does not open with key "${keyId}" (a different key under that id, a value copied from another secret, or tampered data)`
      }. Fix: set it again (PUT /api/envs/${env}/secrets/${secret}), or — after a master-key rotation — add the key it was sealed with to SECRETS_PREVIOUS_KEYS as "${keyId}".`,
      { secret, env, keyId },
    );
  }
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
  return row ? open(db, cipher, row) : null;
}

type SecretRow = typeof secrets.$inferSelect;

/** A row's value, or an UnreadableSecretError naming it. */
async function open(db: Database, cipher: SecretCipher, row: SecretRow): Promise<string> {
  try {
    return await cipher.decrypt(row, aadOf(row.envId, row.name));
  } catch (e) {
    const reason = (e as { reason?: string }).reason;
    if (reason !== "decrypt_failed" && reason !== "unknown_key_id") throw e;
    throw new UnreadableSecretError(row.name, await envLabel(db, row.envId), row.keyId, reason === "unknown_key_id");
  }
}

/** "<project>:<env>" for an environment id (the id itself if the row is gone). */
async function envLabel(db: Database, envId: string): Promise<string> {
  const row = (
    await db
      .select({ slug: projects.slug, name: environments.name })
      .from(environments)
      .innerJoin(projects, eq(projects.id, environments.projectId))
      .where(eq(environments.id, envId))
      .limit(1)
  )[0];
  return row ? `${row.slug}:${row.name}` : envId;
}

/**
 * Every stored secret value that can be read (all environments, or one), for the redactor. A row that
 * does not open is left out and logged by name: the redactor cannot hide a value nobody can read, and
 * refusing to build it would take every reply, artifact and log line down with one bad row.
 */
export async function allSecretValues(db: Database, cipher: SecretCipher, envId?: string): Promise<string[]> {
  const rows = await (envId ? db.select().from(secrets).where(eq(secrets.envId, envId)) : db.select().from(secrets));
  const values = await Promise.all(
    rows.map((r) =>
      open(db, cipher, r).catch((e: unknown) => {
        if (!(e instanceof UnreadableSecretError)) throw e;
        console.error("redactor: skipping an unreadable secret", e.secret, e.env, e.keyId);
        return null;
      }),
    ),
  );
  return values.filter((v): v is string => v !== null);
}

/**
 * Re-seals up to `batch` of an environment's secrets that an older master key sealed, with the current
 * one. Idempotent and resumable: a row is picked only while its key id is old, and written only if it
 * still holds the ciphertext read, so a value set meanwhile is never overwritten with the old one.
 * `skip` names rows already found unreadable.
 */
export async function reencryptSecrets(
  db: Database,
  cipher: SecretCipher,
  envId: string,
  batch: number,
  skip: string[] = [],
): Promise<ReencryptBatch> {
  const stale = (
    await db
      .select()
      .from(secrets)
      .where(and(eq(secrets.envId, envId), ne(secrets.keyId, cipher.keyId)))
      .orderBy(secrets.name)
  ).filter((r) => !skip.includes(r.name));
  const reencrypted: string[] = [];
  const unreadable: ReencryptBatch["unreadable"] = [];
  for (const row of stale.slice(0, batch)) {
    let value: string;
    try {
      value = await open(db, cipher, row);
    } catch (e) {
      if (!(e instanceof UnreadableSecretError)) throw e;
      unreadable.push({ name: row.name, reason: e.message });
      continue;
    }
    const sealed = await cipher.encrypt(value, aadOf(envId, row.name));
    await db
      .update(secrets)
      .set(sealed)
      .where(and(eq(secrets.envId, envId), eq(secrets.name, row.name), eq(secrets.iv, row.iv)));
    reencrypted.push(row.name);
  }
  return { reencrypted, unreadable, remaining: Math.max(0, stale.length - batch) };
}

/** How many of an environment's secrets are sealed with a master key other than the current one. */
export async function staleSecretCount(db: Database, cipher: SecretCipher, envId: string): Promise<number> {
  const rows = await db
    .select({ n: count() })
    .from(secrets)
    .where(and(eq(secrets.envId, envId), ne(secrets.keyId, cipher.keyId)));
  return rows[0]?.n ?? 0;
}

/** Environments holding any secret. */
export async function envsWithSecrets(db: Database): Promise<string[]> {
  return (await db.selectDistinct({ envId: secrets.envId }).from(secrets)).map((r) => r.envId);
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
