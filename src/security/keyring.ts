/**
 * HMAC-SHA-256 keys with ids, for the audit chain (AUDIT_KEY) and approval codes (APPROVAL_KEY): the id
 * of the key that signed something is stored beside the signature, so a key can be rotated while older
 * signatures still verify against the previous keys the deployment keeps.
 */
import type { Keyring } from "../domain/keyring";
import { decodeBase64 } from "./base64";

export type { Keyring };

/** A keyring's configuration as the Worker holds it: a base64 key, its id, and older keys by id (JSON). */
export interface KeyringConfig {
  /** The variable people set, named in every error ("AUDIT_KEY"). */
  name: string;
  key: string | undefined;
  keyId: string | undefined;
  /** JSON object keyId → base64 key. */
  previous: string | undefined;
  defaultKeyId: string;
}

/** A misconfigured or missing key; the message names the variable and the fix, never key material. */
export class KeyringError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KeyringError";
  }
}

const MIN_KEY_BYTES = 32;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/**
 * A keyring read from configuration on first use: a deployment without the key keeps serving everything
 * that does not sign (chat, status, reads), and what does sign fails with an error naming the variable.
 */
export function lazyKeyring(config: KeyringConfig): Keyring {
  let built: Keyring | undefined;
  const ring = () => {
    built ??= createKeyring(config);
    return built;
  };
  return {
    get currentId() {
      return ring().currentId;
    },
    has: (keyId) => ring().has(keyId),
    sign: (keyId, text) => ring().sign(keyId, text),
  };
}

/** Builds a keyring now; throws KeyringError when a key is missing or not base64 of at least 32 bytes. */
export function createKeyring(config: KeyringConfig): Keyring {
  const { name } = config;
  if (!config.key?.trim())
    throw new KeyringError(`${name} is not configured: generate one with \`openssl rand -base64 32\` and set it`);
  const currentId = config.keyId?.trim() || config.defaultKeyId;
  const raw = new Map<string, Uint8Array>([[currentId, parseKey(name, currentId, config.key)]]);
  for (const [id, value] of Object.entries(parsePrevious(name, config.previous))) {
    if (id !== currentId) raw.set(id, parseKey(`${name}_PREVIOUS_KEYS`, id, value));
  }
  const imported = new Map<string, Promise<CryptoKey>>();
  const keyFor = (keyId: string): Promise<CryptoKey> => {
    const bytes = raw.get(keyId);
    if (!bytes) throw new KeyringError(`no ${name} with id "${keyId}" is configured (add it to ${name}_PREVIOUS_KEYS)`);
    let key = imported.get(keyId);
    if (!key) {
      key = crypto.subtle.importKey("raw", bytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
      imported.set(keyId, key);
    }
    return key;
  };
  const encoder = new TextEncoder();
  return {
    currentId,
    has: (keyId) => raw.has(keyId),
    async sign(keyId, text) {
      const mac = new Uint8Array(await crypto.subtle.sign("HMAC", await keyFor(keyId), encoder.encode(text)));
      let hex = "";
      for (const byte of mac) hex += HEX[byte];
      return hex;
    },
  };
}

function parseKey(name: string, id: string, value: string): Uint8Array {
  const bytes = decodeBase64(value.trim());
  if (!bytes || bytes.length < MIN_KEY_BYTES)
    throw new KeyringError(
      `${name} (key id "${id}") must be base64 of at least ${MIN_KEY_BYTES} random bytes: generate one with \`openssl rand -base64 32\``,
    );
  return bytes;
}

function parsePrevious(name: string, json: string | undefined): Record<string, string> {
  if (!json?.trim()) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new KeyringError(`${name}_PREVIOUS_KEYS must be a JSON object of key id → base64 key`);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed))
    throw new KeyringError(`${name}_PREVIOUS_KEYS must be a JSON object of key id → base64 key`);
  const out: Record<string, string> = {};
  for (const [id, value] of Object.entries(parsed)) {
    if (typeof value !== "string") throw new KeyringError(`${name}_PREVIOUS_KEYS["${id}"] must be a base64 string`);
    out[id] = value;
  }
  return out;
}
