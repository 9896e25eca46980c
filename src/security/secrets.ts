/**
 * Secret encryption at rest: AES-256-GCM (WebCrypto) under a master key held in a Worker secret.
 * Each ciphertext records the id of the key that sealed it, so the master key can be rotated: the box
 * encrypts with the current key and still opens ciphertexts sealed by the previous keys it is given.
 */
import { decodeBase64, encodeBase64 } from "./base64";

/** A sealed secret as stored: every field is safe to persist and to show in a debugger. */
export interface SealedSecret {
  keyId: string;
  /** base64 of the 12-byte GCM nonce */
  iv: string;
  /** base64 of ciphertext || 16-byte tag */
  ciphertext: string;
}

export interface SecretBox {
  /** Id of the key new ciphertexts are sealed with. */
  readonly keyId: string;
  encrypt(plaintext: string, aad: string): Promise<SealedSecret>;
  decrypt(sealed: SealedSecret, aad: string): Promise<string>;
  /** Whether a ciphertext was sealed by an older key and should be re-encrypted. */
  needsRotation(sealed: SealedSecret): boolean;
}

export interface SecretBoxOptions {
  /** Older keys (key id → base64 of 32 bytes) that may still open existing ciphertexts. */
  previous?: Record<string, string>;
}

/** Why a secret could not be sealed or opened; messages never contain key material or plaintext. */
export class SecretBoxError extends Error {
  constructor(
    readonly reason: "bad_key" | "unknown_key_id" | "bad_aad" | "decrypt_failed",
    message: string,
  ) {
    super(message);
    this.name = "SecretBoxError";
  }
}

const KEY_BYTES = 32;
const IV_BYTES = 12;

/** Builds the AES-256-GCM box; throws SecretBoxError("bad_key") at once if any key is not 32 bytes. */
export function createSecretBox(masterKeyB64: string, keyId: string, options: SecretBoxOptions = {}): SecretBox {
  if (!keyId) throw new SecretBoxError("bad_key", "secret key id must not be empty");
  // Validate every key eagerly so a misconfigured deploy fails at startup, not at the first decrypt.
  const rawKeys = new Map<string, Uint8Array>([[keyId, parseKey(masterKeyB64, keyId)]]);
  for (const [id, b64] of Object.entries(options.previous ?? {})) {
    if (id === keyId) {
      if (b64 !== masterKeyB64)
        throw new SecretBoxError("bad_key", `key id "${id}" is both current and previous with different keys`);
      continue;
    }
    rawKeys.set(id, parseKey(b64, id));
  }
  const imported = new Map<string, Promise<CryptoKey>>();
  const keyFor = (id: string): Promise<CryptoKey> => {
    const raw = rawKeys.get(id);
    if (!raw) return Promise.reject(new SecretBoxError("unknown_key_id", `no key with id "${id}" is configured`));
    let key = imported.get(id);
    if (!key) {
      key = crypto.subtle.importKey("raw", raw, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
      imported.set(id, key);
    }
    return key;
  };

  return {
    keyId,
    async encrypt(plaintext, aad) {
      const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
      const sealed = await crypto.subtle.encrypt(
        { name: "AES-GCM", iv, additionalData: aadBytes(aad) },
        await keyFor(keyId),
        new TextEncoder().encode(plaintext),
      );
      return { keyId, iv: encodeBase64(iv), ciphertext: encodeBase64(new Uint8Array(sealed)) };
    },
    async decrypt(sealed, aad) {
      const additionalData = aadBytes(aad);
      const key = await keyFor(sealed.keyId);
      const iv = decodeBase64(sealed.iv);
      const ciphertext = decodeBase64(sealed.ciphertext);
      if (!iv || iv.length !== IV_BYTES || !ciphertext) throw decryptFailed(sealed.keyId);
      try {
        const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData }, key, ciphertext);
        // ignoreBOM keeps a leading U+FEFF that was part of the secret instead of silently dropping it.
        return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(plain);
      } catch {
        throw decryptFailed(sealed.keyId);
      }
    },
    needsRotation(sealed) {
      return sealed.keyId !== keyId;
    },
  };
}

function parseKey(b64: string, id: string): Uint8Array {
  const bytes = decodeBase64(b64.trim());
  if (!bytes)
    throw new SecretBoxError(
      "bad_key",
      `secret key "${id}" must be base64 of exactly ${KEY_BYTES} bytes (value is not valid base64)`,
    );
  if (bytes.length !== KEY_BYTES) {
    throw new SecretBoxError(
      "bad_key",
      `secret key "${id}" must be base64 of exactly ${KEY_BYTES} bytes (got ${bytes.length}); generate one with: openssl rand -base64 32`,
    );
  }
  return bytes;
}

function aadBytes(aad: string): Uint8Array {
  // An empty AAD would silently drop the location binding that stops ciphertexts being swapped between rows.
  if (!aad) throw new SecretBoxError("bad_aad", "additional data (the secret's location) must not be empty");
  return new TextEncoder().encode(aad);
}

function decryptFailed(keyId: string): SecretBoxError {
  return new SecretBoxError(
    "decrypt_failed",
    `secret could not be decrypted with key "${keyId}": wrong key, wrong location, or tampered data`,
  );
}
