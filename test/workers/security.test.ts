import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { AppError } from "../../src/domain/errors";
import { REDACTED, createRedactor, redactDeep, redactUrlCredentials } from "../../src/security/redact";
import { Action, Role, approvalAction, can, requireRole } from "../../src/security/roles";
import { SecretBoxError, createSecretBox, type SealedSecret } from "../../src/security/secrets";
import { generateToken, hashToken, isWellFormedToken, timingSafeEqualHex } from "../../src/security/tokens";

/** base64 of 32 bytes, all equal to `fill`, for second and third keys in rotation tests. */
const keyOf = (fill: number) => btoa(String.fromCharCode(...new Uint8Array(32).fill(fill)));
const AAD = "env_staging/STRIPE_SECRET_KEY";

/** Flips one bit of a base64 field, keeping it valid base64 of the same length. */
function flipBit(b64: string, byte = 0): string {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  bytes[byte] ^= 0x01;
  return btoa(String.fromCharCode(...bytes));
}

async function expectDecryptFailure(promise: Promise<unknown>, reason: SecretBoxError["reason"]): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SecretBoxError);
  expect((error as SecretBoxError).reason).toBe(reason);
}

describe("secret box (AES-256-GCM)", () => {
  const box = createSecretBox(env.SECRETS_MASTER_KEY, env.SECRETS_KEY_ID ?? "test1");

  it("round-trips text, including empty, unicode and 64 KiB values", async () => {
    for (const plaintext of ["sk_test_51H…abc", "", "pässwörd 🔑 \u{FEFF}bom", "x".repeat(64 * 1024)]) {
      const sealed = await box.encrypt(plaintext, AAD);
      expect(await box.decrypt(sealed, AAD)).toBe(plaintext);
    }
  });

  it("records the key id, uses a fresh 12-byte IV each time and never stores the plaintext", async () => {
    const a = await box.encrypt("same value", AAD);
    const b = await box.encrypt("same value", AAD);
    expect(a.keyId).toBe("test1");
    expect(atob(a.iv)).toHaveLength(12);
    expect(a.iv).not.toBe(b.iv);
    expect(a.ciphertext).not.toBe(b.ciphertext);
    expect(JSON.stringify(a)).not.toContain("same value");
  });

  it("refuses a tampered ciphertext, tag or IV", async () => {
    const sealed = await box.encrypt("hunter2-hunter2", AAD);
    const tagStart = atob(sealed.ciphertext).length - 16;
    await expectDecryptFailure(
      box.decrypt({ ...sealed, ciphertext: flipBit(sealed.ciphertext) }, AAD),
      "decrypt_failed",
    );
    await expectDecryptFailure(
      box.decrypt({ ...sealed, ciphertext: flipBit(sealed.ciphertext, tagStart) }, AAD),
      "decrypt_failed",
    );
    await expectDecryptFailure(box.decrypt({ ...sealed, iv: flipBit(sealed.iv) }, AAD), "decrypt_failed");
    await expectDecryptFailure(
      box.decrypt({ ...sealed, ciphertext: sealed.ciphertext.slice(0, 8) }, AAD),
      "decrypt_failed",
    );
    await expectDecryptFailure(box.decrypt({ ...sealed, iv: "not base64!" }, AAD), "decrypt_failed");
    await expectDecryptFailure(box.decrypt({ ...sealed, iv: btoa("short") }, AAD), "decrypt_failed");
  });

  it("binds a ciphertext to its location: copied to another secret it does not decrypt", async () => {
    const sealed = await box.encrypt("db-password-123", "env_staging/DATABASE_PASSWORD");
    await expectDecryptFailure(box.decrypt(sealed, "env_production/DATABASE_PASSWORD"), "decrypt_failed");
    await expectDecryptFailure(box.decrypt(sealed, "env_staging/OTHER_NAME"), "decrypt_failed");
    await expect(box.encrypt("x", "")).rejects.toThrow(/must not be empty/);
  });

  it("refuses to decrypt with a different key under the same key id", async () => {
    const sealed = await box.encrypt("value", AAD);
    const impostor = createSecretBox(keyOf(7), "test1");
    await expectDecryptFailure(impostor.decrypt(sealed, AAD), "decrypt_failed");
  });

  it("rotates: the new key encrypts, previous keys still decrypt, unknown key ids are named", async () => {
    const oldBox = createSecretBox(keyOf(1), "k1");
    const sealedOld = await oldBox.encrypt("rotate me", AAD);
    const newBox = createSecretBox(keyOf(2), "k2", { previous: { k1: keyOf(1) } });
    expect(await newBox.decrypt(sealedOld, AAD)).toBe("rotate me");
    expect(newBox.needsRotation(sealedOld)).toBe(true);
    const resealed = await newBox.encrypt(await newBox.decrypt(sealedOld, AAD), AAD);
    expect(resealed.keyId).toBe("k2");
    expect(newBox.needsRotation(resealed)).toBe(false);
    await expectDecryptFailure(oldBox.decrypt(resealed, AAD), "unknown_key_id");
    await expect(oldBox.decrypt(resealed, AAD)).rejects.toThrow(/no key with id "k2"/);
  });

  it("rejects a master key that is not base64 of exactly 32 bytes, with a clear message and no key material", () => {
    const short = btoa("sixteen-byte-key");
    expect(() => createSecretBox(short, "k1")).toThrow(/"k1" must be base64 of exactly 32 bytes \(got 16\)/);
    expect(() => createSecretBox(btoa("x".repeat(33)), "k1")).toThrow(/got 33/);
    expect(() => createSecretBox("%%% not base64 %%%", "k1")).toThrow(/not valid base64/);
    expect(() => createSecretBox("", "k1")).toThrow(/exactly 32 bytes/);
    expect(() => createSecretBox(keyOf(1), "k2", { previous: { k0: short } })).toThrow(
      /"k0" must be base64 of exactly 32 bytes/,
    );
    expect(() => createSecretBox(keyOf(1), "")).toThrow(SecretBoxError);
    try {
      createSecretBox(short, "k1");
    } catch (error) {
      expect(String(error)).not.toContain(short);
    }
  });

  it("accepts the sealed shape that src/db/secrets.ts stores", async () => {
    const stored: SealedSecret = JSON.parse(JSON.stringify(await box.encrypt("from the db", AAD)));
    expect(Object.keys(stored).sort()).toEqual(["ciphertext", "iv", "keyId"]);
    expect(await box.decrypt(stored, AAD)).toBe("from the db");
  });
});

describe("API tokens", () => {
  it("generates ic_-prefixed base64url tokens of 32 random bytes, all distinct", () => {
    const tokens = Array.from({ length: 200 }, generateToken);
    for (const token of tokens) {
      expect(token).toMatch(/^ic_[A-Za-z0-9_-]{43}$/);
      expect(isWellFormedToken(token)).toBe(true);
    }
    expect(new Set(tokens).size).toBe(tokens.length);
    expect(isWellFormedToken("ic_short")).toBe(false);
    expect(isWellFormedToken(`Bearer ${tokens[0]}`)).toBe(false);
  });

  it("hashes to a stable SHA-256 hex digest, distinct per token", async () => {
    expect(await hashToken("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const token = generateToken();
    expect(await hashToken(token)).toBe(await hashToken(token));
    expect(await hashToken(token)).not.toBe(await hashToken(generateToken()));
    expect(await hashToken(token)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("compares hex digests case-insensitively and rejects different lengths or non-hex input", async () => {
    const hash = await hashToken(generateToken());
    expect(timingSafeEqualHex(hash, hash)).toBe(true);
    expect(timingSafeEqualHex(hash, hash.toUpperCase())).toBe(true);
    expect(timingSafeEqualHex(hash, `${hash.slice(0, -1)}${hash.endsWith("0") ? "1" : "0"}`)).toBe(false);
    expect(timingSafeEqualHex(hash, hash.slice(0, -2))).toBe(false);
    expect(timingSafeEqualHex("zz", "zz")).toBe(false);
    expect(timingSafeEqualHex("", "")).toBe(true);
  });
});

describe("redaction", () => {
  it("scrubs secret values inside nested JSON while leaving keys, numbers and the input untouched", () => {
    const redact = createRedactor(["sk_live_abcdef", "hunter22"]);
    const input = {
      sk_live_abcdef: "key names are not values",
      nested: { list: ["ok", "token=sk_live_abcdef;", { deep: "pw hunter22 pw" }], count: 3, flag: true, none: null },
    };
    const snapshot = structuredClone(input);
    expect(redactDeep(input, redact)).toEqual({
      sk_live_abcdef: "key names are not values",
      nested: { list: ["ok", `token=${REDACTED};`, { deep: `pw ${REDACTED} pw` }], count: 3, flag: true, none: null },
    });
    expect(input).toEqual(snapshot);
  });

  it("covers overlapping and nested values completely, longest first", () => {
    const redact = createRedactor(["abcdef12", "ef12ghij", "passw0rd", "passw0rd-extended"]);
    expect(redact("xx abcdef12ghij yy")).toBe(`xx ${REDACTED} yy`);
    expect(redact("passw0rd-extended and passw0rd")).toBe(`${REDACTED} and ${REDACTED}`);
    expect(redact("abcdef12abcdef12")).toBe(`${REDACTED}${REDACTED}`);
  });

  it("ignores values shorter than 4 characters and non-strings", () => {
    const redact = createRedactor(["abc", "", "1234", 5 as unknown as string]);
    expect(redact("abc 1234 5")).toBe(`abc ${REDACTED} 5`);
    expect(createRedactor([])("nothing to hide")).toBe("nothing to hide");
  });

  it("catches a value's JSON-escaped and URL-encoded forms", () => {
    const secret = 'p@ss"w/rd\\x';
    const redact = createRedactor([secret]);
    expect(redact(JSON.stringify({ password: secret }))).toBe(`{"password":"${REDACTED}"}`);
    expect(redact(`https://h/?p=${encodeURIComponent(secret)}`)).toBe(`https://h/?p=${REDACTED}`);
  });

  it("copes with cycles and keeps a __proto__ key as data", () => {
    const redact = createRedactor(["secret-value"]);
    const cyclic: { name: string; self?: unknown } = { name: "secret-value" };
    cyclic.self = cyclic;
    const copy = redactDeep(cyclic, redact) as { name: string; self: { name: string } };
    expect(copy.name).toBe(REDACTED);
    expect(copy.self).toBe(copy);
    const parsed: unknown = JSON.parse('{"__proto__": {"polluted": "secret-value"}}');
    const scrubbed = redactDeep(parsed, redact) as Record<string, unknown>;
    expect(Object.getPrototypeOf(scrubbed)).toBe(Object.prototype);
    expect(JSON.stringify(scrubbed)).toBe(`{"__proto__":{"polluted":"${REDACTED}"}}`);
  });

  it("stays fast with thousands of secrets over a megabyte of text", () => {
    const secrets = Array.from({ length: 5000 }, (_, i) => `secret-${i.toString(36)}-${"q".repeat(i % 7)}z`);
    const redact = createRedactor(secrets);
    const text = "log line without secrets; ".repeat(40_000) + secrets[4321];
    const started = performance.now();
    const out = redact(text);
    expect(out.endsWith(REDACTED)).toBe(true);
    expect(out).not.toContain(secrets[4321]);
    // Generous bound (tens of ms here): it only catches an accidentally quadratic matcher.
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it("hides URL credentials the redactor was never told about", () => {
    expect(redactUrlCredentials("DATABASE_URL=postgres://app:s3cr3t@db.internal:5432/ip")).toBe(
      `DATABASE_URL=postgres://app:${REDACTED}@db.internal:5432/ip`,
    );
    expect(redactUrlCredentials("redis://:pw@cache:6379")).toBe(`redis://:${REDACTED}@cache:6379`);
    expect(redactUrlCredentials("git clone https://ghp_abc123@github.com/o/r")).toBe(
      `git clone https://${REDACTED}@github.com/o/r`,
    );
    expect(redactUrlCredentials("GET /v1?api_key=xyz&page=2&token=t0k")).toBe(
      `GET /v1?api_key=${REDACTED}&page=2&token=${REDACTED}`,
    );
    expect(redactUrlCredentials("see https://example.com/path?page=2 or mail a@b.c")).toBe(
      "see https://example.com/path?page=2 or mail a@b.c",
    );
  });
});

describe("roles", () => {
  /** The whole matrix from API.md Conventions: true = allowed. */
  const MATRIX: Record<Action, Record<Role, boolean>> = {
    read: { viewer: true, deployer: true, admin: true },
    plan: { viewer: false, deployer: true, admin: true },
    apply: { viewer: false, deployer: true, admin: true },
    stop: { viewer: false, deployer: true, admin: true },
    resume: { viewer: false, deployer: true, admin: true },
    cancel: { viewer: false, deployer: true, admin: true },
    "approve:non-production": { viewer: false, deployer: true, admin: true },
    "approve:production": { viewer: false, deployer: false, admin: true },
    "manage-users": { viewer: false, deployer: false, admin: true },
    "manage-secrets": { viewer: false, deployer: false, admin: true },
    "manage-environments": { viewer: false, deployer: false, admin: true },
    "inspect-chat": { viewer: false, deployer: false, admin: true },
  };
  const cases = Action.options.flatMap((action) =>
    Role.options.map((role) => [role, action, MATRIX[action][role]] as const),
  );

  it.each(cases)("%s may %s: %s", (role, action, allowed) => {
    expect(can(role, action)).toBe(allowed);
    if (allowed) expect(() => requireRole(role, action)).not.toThrow();
    else expect(() => requireRole(role, action)).toThrow(AppError);
  });

  it("refuses with a 403 forbidden AppError naming role and action", () => {
    const error = (() => {
      try {
        requireRole("deployer", "approve:production");
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe("forbidden");
    expect((error as AppError).status).toBe(403);
    expect((error as AppError).message).toBe('role "deployer" may not approve:production');
  });

  it("grants nothing to an unknown role or action (e.g. a stale database value)", () => {
    expect(can("owner" as Role, "read")).toBe(false);
    expect(can("admin", "drop-database" as Action)).toBe(false);
    expect(can("constructor" as Role, "read")).toBe(false);
  });

  it("maps an environment to its approval action", () => {
    expect(approvalAction(true)).toBe("approve:production");
    expect(approvalAction(false)).toBe("approve:non-production");
  });
});
