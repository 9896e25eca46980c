/** Types of the standalone offline audit verifier (verify-audit.mjs), for the tests that import it. */
export declare const EXPORT_FORMAT: string;
export interface OfflineKeyring {
  has(id: string): boolean;
  sign(id: string, text: string): Promise<string>;
}
export interface OfflineVerdict {
  ok: boolean;
  chain?: string;
  events: number;
  reason?: string;
  brokenAt?: string;
  checkpoint?: unknown;
  digests?: number;
}
export declare function canonicalJson(value: unknown): string;
export declare function keyringFrom(keys: Record<string, string>): OfflineKeyring;
export declare function verifyExport(doc: unknown, keys: OfflineKeyring): Promise<OfflineVerdict>;
