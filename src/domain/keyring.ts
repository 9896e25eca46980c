/**
 * HMAC keys with ids (src/security/keyring.ts builds them from configuration): the id of the key that
 * signed something is stored beside the signature, so keys rotate while older signatures still verify.
 */
export interface Keyring {
  /** The id new signatures are made with. */
  readonly currentId: string;
  /** Whether a key with this id is configured. */
  has(keyId: string): boolean;
  /** Lowercase hex HMAC-SHA-256 of `text` under the key `keyId` (throws for an unknown id). */
  sign(keyId: string, text: string): Promise<string>;
}
