#!/usr/bin/env node
// Verifies an audit export (`npx infra-chat audit export --env production`) offline, with nothing but
// Node and the audit key: every event's sequence, link and HMAC, the Durable Object checkpoint and every
// hourly R2 digest (signatures, and each digest's link to the one before), and that the events still hold
// what those anchors vouch for. Standalone on purpose — no import from the control plane, so a reviewer
// can read all of it — and WebCrypto only, so the test suite runs the same code inside workerd.
//
//   AUDIT_KEY=<base64> [AUDIT_KEY_ID=<id>] [AUDIT_PREVIOUS_KEYS='{"id":"base64"}'] \
//     node src/cli/verify-audit.mjs audit-production.json [--key <id>=<base64>]...
//
// Exit codes: 0 intact, 1 tampered (the reason is printed), 2 the file or the keys could not be used.

export const EXPORT_FORMAT = "infra-chat/audit-export/1";
const GENESIS_HASH = "0".repeat(64);
const CHECKPOINT_KIND = "infra-chat/audit-checkpoint/1";
const DIGEST_KIND = "infra-chat/audit-digest/1";
const HASHED_FIELDS = [
  "action",
  "actor",
  "at",
  "chain",
  "details",
  "diffSummary",
  "id",
  "intent",
  "keyId",
  "planId",
  "prevHash",
  "receiptHash",
  "runId",
  "seq",
];

/** JSON with object keys sorted and undefined dropped (the control plane's canonicalJson). */
export function canonicalJson(value) {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

function eventCanonicalJson(e) {
  const fields = {};
  for (const key of HASHED_FIELDS) {
    if (key === "keyId" && e.keyId === undefined) continue;
    fields[key] = e[key] ?? null;
  }
  return canonicalJson(fields);
}

const hex = (bytes) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");

async function sha256Hex(text) {
  return hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

/**
 * Audit keys by id from base64 strings (at least 32 bytes each): `{ has(id), sign(id, text) }`.
 * Throws with a message naming the key id when a key is malformed.
 */
export function keyringFrom(keys) {
  const imported = new Map();
  for (const [id, b64] of Object.entries(keys)) {
    const bytes = Uint8Array.from(atob(String(b64).trim()), (c) => c.charCodeAt(0));
    if (bytes.length < 32) throw new Error(`audit key "${id}" must be base64 of at least 32 bytes`);
    imported.set(id, crypto.subtle.importKey("raw", bytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]));
  }
  return {
    has: (id) => imported.has(id),
    async sign(id, text) {
      return hex(await crypto.subtle.sign("HMAC", await imported.get(id), new TextEncoder().encode(text)));
    },
  };
}

/**
 * Verifies a parsed export with `keys` (from keyringFrom). Returns `{ ok, chain, events, reason?, brokenAt?,
 * checkpoint, digests }`: the first problem found, as the control plane's GET /api/audit/verify words it.
 */
export async function verifyExport(doc, keys) {
  if (doc?.format !== EXPORT_FORMAT) return broken(doc, 0, `not an ${EXPORT_FORMAT} file`);
  const events = Array.isArray(doc.events) ? doc.events : [];
  const hashAt = new Map();
  let prevHash = GENESIS_HASH;
  let keyed = false;
  for (const [i, e] of events.entries()) {
    const reason = await eventProblem(e, i + 1, prevHash, keyed, keys);
    if (reason) return broken(doc, events.length, reason, e.id);
    hashAt.set(e.seq, e.hash);
    prevHash = e.hash;
    keyed ||= e.keyId !== undefined;
  }
  const headSeq = events.length ? events[events.length - 1].seq : 0;
  if (doc.breach)
    return broken(
      doc,
      events.length,
      `${doc.breach.reason} (noticed by the chain's writer at ${doc.breach.detectedAt})`,
    );
  const digests = Array.isArray(doc.digests) ? doc.digests : [];
  if (!doc.checkpoint && digests.length)
    return broken(
      doc,
      events.length,
      `chain ${doc.chain} has R2 digests but its Durable Object holds no checkpoint (the object's storage was reset)`,
    );
  if (doc.checkpoint) {
    const reason =
      (await anchorForgery(keys, "checkpoint", CHECKPOINT_KIND, doc.checkpoint)) ??
      (doc.checkpoint.chain === doc.chain
        ? null
        : `the checkpoint of chain ${doc.chain} names chain ${doc.checkpoint.chain}`) ??
      contradiction("checkpoint", doc.checkpoint, headSeq, hashAt.get(doc.checkpoint.seq));
    if (reason) return broken(doc, events.length, reason);
  }
  let previous = null;
  for (const { key, text } of digests) {
    let digest;
    try {
      digest = JSON.parse(text);
    } catch {
      return broken(doc, events.length, `the R2 digest ${key} of chain ${doc.chain} is unreadable`);
    }
    const expectedPrevious = previous ? { key: previous.key, sha256: await sha256Hex(previous.text) } : null;
    const linked =
      (digest.previous === null && expectedPrevious === null) ||
      (digest.previous &&
        expectedPrevious &&
        digest.previous.key === expectedPrevious.key &&
        digest.previous.sha256 === expectedPrevious.sha256);
    const reason =
      (linked ? null : `the R2 digest before ${key} of chain ${doc.chain} was deleted or replaced`) ??
      (await anchorForgery(keys, "digest", DIGEST_KIND, digest)) ??
      contradiction("R2 digest", digest, headSeq, hashAt.get(digest.seq));
    if (reason) return broken(doc, events.length, reason);
    previous = { key, text };
  }
  return {
    ok: true,
    chain: doc.chain,
    events: events.length,
    checkpoint: doc.checkpoint ?? null,
    digests: digests.length,
  };
}

async function eventProblem(e, expectedSeq, prevHash, keyed, keys) {
  if (e.seq !== expectedSeq)
    return `sequence gap in chain ${e.chain}: expected event ${expectedSeq}, found ${e.seq} (events were deleted or inserted)`;
  if (e.prevHash !== prevHash)
    return `event ${e.seq} of chain ${e.chain} does not link to the event before it (an earlier event was changed or replaced)`;
  if (e.keyId === undefined && keyed)
    return `event ${e.seq} of chain ${e.chain} carries a plain hash after keyed events (resealed without the audit key)`;
  if (e.keyId !== undefined && !keys.has(e.keyId))
    return `event ${e.seq} of chain ${e.chain} is signed with audit key "${e.keyId}", which is not configured`;
  const text = eventCanonicalJson(e);
  const expected = e.keyId === undefined ? await sha256Hex(text) : await keys.sign(e.keyId, text);
  if (expected !== e.hash)
    return `event ${e.seq} of chain ${e.chain} does not match its ${e.keyId === undefined ? "hash" : "signature"} (its content was edited)`;
  return null;
}

async function anchorForgery(keys, what, kind, anchor) {
  const { signature, ...unsigned } = anchor;
  if (!keys.has(anchor.keyId))
    return `the ${what} of chain ${anchor.chain} at event ${anchor.seq} is signed with audit key "${anchor.keyId}", which is not configured`;
  if ((await keys.sign(anchor.keyId, canonicalJson({ kind, ...unsigned }))) !== signature)
    return `the ${what} of chain ${anchor.chain} at event ${anchor.seq} has a signature that does not match (forged or edited)`;
  return null;
}

function contradiction(what, anchor, headSeq, hashAtSeq) {
  if (headSeq < anchor.seq)
    return `chain ${anchor.chain} was truncated: D1 ends at event ${headSeq}, but the ${what} of ${anchor.at} vouches for event ${anchor.seq}`;
  if (hashAtSeq !== anchor.hash)
    return `chain ${anchor.chain} was rewritten: event ${anchor.seq} in D1 is not the one the ${what} of ${anchor.at} vouches for`;
  return null;
}

function broken(doc, events, reason, brokenAt) {
  return { ok: false, chain: doc?.chain, events, reason, ...(brokenAt ? { brokenAt } : {}) };
}

/** Keys from the environment (as the Worker reads them) and `--key id=base64` arguments. */
function keysFromArgs(args, env) {
  const keys = {};
  if (env.AUDIT_KEY) keys[env.AUDIT_KEY_ID || "audit1"] = env.AUDIT_KEY;
  if (env.AUDIT_PREVIOUS_KEYS) Object.assign(keys, JSON.parse(env.AUDIT_PREVIOUS_KEYS));
  for (let i = 0; i < args.length; i++) {
    if (args[i] !== "--key") continue;
    const [id, ...rest] = String(args[++i] ?? "").split("=");
    if (!id || !rest.length) throw new Error("--key takes <id>=<base64>");
    keys[id] = rest.join("=");
  }
  return keys;
}

async function main() {
  const args = process.argv.slice(2);
  const file = args.find((a, i) => !a.startsWith("--") && args[i - 1] !== "--key");
  if (!file) {
    console.error("usage: AUDIT_KEY=<base64> node src/cli/verify-audit.mjs <export.json> [--key <id>=<base64>]...");
    process.exit(2);
  }
  let doc;
  let keys;
  try {
    const { readFileSync } = await import("node:fs");
    doc = JSON.parse(readFileSync(file, "utf8"));
    keys = keyringFrom(keysFromArgs(args, process.env));
  } catch (e) {
    console.error(`cannot verify ${file}: ${e.message}`);
    process.exit(2);
  }
  const result = await verifyExport(doc, keys);
  if (result.ok) {
    const cp = result.checkpoint;
    console.log(
      `OK: chain ${result.chain}, ${result.events} events intact${cp ? `; checkpoint at event ${cp.seq} (${cp.at})` : "; no checkpoint yet"}; ${result.digests} R2 digest(s) checked`,
    );
    process.exit(0);
  }
  console.log(`TAMPERED: ${result.reason}${result.brokenAt ? ` (event ${result.brokenAt})` : ""}`);
  process.exit(1);
}

if (
  typeof process !== "undefined" &&
  process.argv?.[1] &&
  import.meta.url === new URL(`file://${process.argv[1]}`).href
)
  await main();
