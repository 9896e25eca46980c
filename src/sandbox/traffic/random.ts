/**
 * Deterministic randomness for simulated traffic. Math.random would make two samples of the same window
 * differ; every draw here is a function of a seed built from stable ids and the request's coordinates.
 */

/** FNV-1a of a string (32-bit), the stable root of every seed. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/** murmur3's finalizer: spreads nearby inputs (second n and n+1) over the whole 32-bit range. */
export function mix32(value: number): number {
  let h = value >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Seed for one request: a stream root (hash of an id), the second since the epoch and the index within it. */
export function requestSeed(root: number, second: number, index: number): number {
  // Seconds exceed 2^32 ms but not 2^32 s; split anyway so the formula survives any clock.
  const hi = Math.floor(second / 0x1_0000_0000);
  return mix32(root ^ mix32(second >>> 0) ^ mix32(hi + 0x9e3779b9) ^ Math.imul(index + 1, 0x27d4eb2f));
}

/** A uniform [0, 1) generator (mulberry32): tiny, fast, and good enough for load shapes. */
export function uniforms(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
}

/** The first value `uniforms(seed)` would return, without allocating a generator (hot path: routing draws). */
export function firstUniform(seed: number): number {
  let t = (seed + 0x6d2b79f5) >>> 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
}

/** One standard normal draw from two uniforms (Box–Muller); `u1` is nudged off 0 so the log is finite. */
export function standardNormal(u1: number, u2: number): number {
  return Math.sqrt(-2 * Math.log(Math.max(u1, 1e-12))) * Math.cos(2 * Math.PI * u2);
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

/** `length` URL-safe characters drawn from a seed (request ids). */
export function seededToken(seed: number, length: number): string {
  const next = uniforms(seed);
  let out = "";
  for (let i = 0; i < length; i++) out += ALPHABET[Math.floor(next() * ALPHABET.length)];
  return out;
}
