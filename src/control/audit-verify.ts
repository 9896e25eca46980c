/**
 * Verifying the audit log against its anchors outside D1, and exporting a chain with them for offline
 * verification (src/cli/verify-audit.mjs). A chain is intact when its events recompute (sequence, links,
 * keyed hashes), its checkpoint in the Durable Object and its latest R2 digest are genuine and agree with
 * D1, and its writer never saw D1 contradict a checkpoint. The anchors are read before D1, so an append
 * racing the verification can only put D1 ahead of them, never behind.
 */
import type { AnchorState } from "../audit/anchor";
import type { Checkpoint } from "../audit/checkpoints";
import { Digest, checkpointForgery, contradiction, digestForgery, digestHash } from "../audit/checkpoints";
import { auditChainNames, chainEvents, chainHead, hashesAt, verifyChainEvents } from "../db/audit";
import { allEnvIds, findEnv } from "../db/environments";
import { requireRole } from "../security/roles";
import { GLOBAL_CHAIN } from "./audit";
import type { ControlContext } from "./context";
import { resolveEnvName } from "./environments";

/** One chain's verdict. */
export interface ChainVerdict {
  chain: string;
  ok: boolean;
  events: number;
  brokenAt?: string;
  reason?: string;
  head: { seq: number; hash: string } | null;
  /** The checkpoint checked (Durable Object storage), if the chain has one yet. */
  checkpoint: (Checkpoint & { source: "durable-object" }) | null;
  /** The latest hourly digest checked (R2), if one has been written yet. */
  digest: (Digest & { source: "r2"; key: string }) | null;
}

/** The verdict over one chain or all of them: the first problem found, and the last checkpoint checked. */
export async function verifyAuditChain(cx: ControlContext, envRef?: string) {
  requireRole(cx.actor.role, "read");
  const chains = envRef ? [await chainOf(cx, envRef)] : await everyChain(cx);
  const verdicts: ChainVerdict[] = [];
  for (const chain of chains) verdicts.push(await verifyChain(cx, chain));
  const broken = verdicts.find((v) => !v.ok);
  const checkpoints = verdicts.flatMap((v) => (v.checkpoint ? [v.checkpoint] : []));
  return {
    ok: !broken,
    events: verdicts.reduce((n, v) => n + v.events, 0),
    ...(broken ? { brokenAt: broken.brokenAt, reason: broken.reason, chain: broken.chain } : {}),
    checkpoint: checkpoints.sort((a, b) => (a.at < b.at ? 1 : -1))[0] ?? null,
    chains: verdicts,
  };
}

/** One chain against its anchors. */
export async function verifyChain(cx: ControlContext, chain: string): Promise<ChainVerdict> {
  const anchors = await cx.environment(chain).auditAnchors();
  const digest = await latestDigest(cx, chain, anchors);
  const head = await chainHead(cx.db, chain);
  const watched = [anchors.checkpoint?.seq, digest?.digest.seq].filter((s): s is number => s !== undefined);
  const hashes = await hashesAt(cx.db, chain, watched);
  const events = await verifyChainEvents(cx.db, chain, cx.auditKeys);
  const verdict: ChainVerdict = {
    chain,
    ok: events.ok,
    events: events.events,
    ...(events.ok ? {} : { brokenAt: events.brokenAt, reason: events.reason }),
    head,
    checkpoint: anchors.checkpoint ? { ...anchors.checkpoint, source: "durable-object" } : null,
    digest: digest ? { ...digest.digest, key: digest.key, source: "r2" } : null,
  };
  if (!verdict.ok) return verdict;
  const reason = await anchorProblem(cx, chain, anchors, digest, head?.seq ?? 0, hashes);
  return reason ? { ...verdict, ok: false, reason } : verdict;
}

async function anchorProblem(
  cx: ControlContext,
  chain: string,
  anchors: AnchorState,
  digest: LatestDigest | null,
  headSeq: number,
  hashes: Map<number, string>,
): Promise<string | null> {
  const { checkpoint, breach } = anchors;
  if (breach) return `${breach.reason} (noticed by the chain's writer at ${breach.detectedAt})`;
  if (!checkpoint && digest)
    return `chain ${chain} has R2 digests but its Durable Object holds no checkpoint (the object's storage was reset)`;
  if (checkpoint) {
    const problem =
      (await checkpointForgery(cx.auditKeys, checkpoint)) ??
      (checkpoint.chain === chain ? null : `the checkpoint of chain ${chain} names chain ${checkpoint.chain}`) ??
      contradiction("checkpoint", checkpoint, headSeq, hashes.get(checkpoint.seq));
    if (problem) return problem;
  }
  if (digest) {
    const problem =
      digest.problem ??
      (await digestForgery(cx.auditKeys, digest.digest)) ??
      contradiction("R2 digest", digest.digest, headSeq, hashes.get(digest.digest.seq));
    if (problem) return problem;
  }
  return null;
}

interface LatestDigest {
  key: string;
  digest: Digest;
  /** Set when the digest cannot be trusted on its own terms (unreadable, or its predecessor is gone). */
  problem?: string;
}

/** The chain's newest digest (the writer's pointer, else R2's listing) and whether it links to the one before. */
async function latestDigest(cx: ControlContext, chain: string, anchors: AnchorState): Promise<LatestDigest | null> {
  const key = anchors.digest?.key ?? (await cx.auditDigests.list(chain)).at(-1);
  if (!key) return null;
  const text = await cx.auditDigests.get(key);
  const parsed = text === null ? null : parseDigest(text);
  if (!text || !parsed) {
    const problem = `the R2 digest ${key} of chain ${chain} is ${text === null ? "missing" : "unreadable"}`;
    return anchors.checkpoint ? { key, digest: { ...anchors.checkpoint, previous: null }, problem } : null;
  }
  if (anchors.digest && (await digestHash(text)) !== anchors.digest.sha256)
    return { key, digest: parsed, problem: `the R2 digest ${key} of chain ${chain} was replaced` };
  if (parsed.previous) {
    const before = await cx.auditDigests.get(parsed.previous.key);
    if (before === null || (await digestHash(before)) !== parsed.previous.sha256)
      return {
        key,
        digest: parsed,
        problem: `the R2 digest ${parsed.previous.key} of chain ${chain} was ${before === null ? "deleted" : "replaced"}`,
      };
  }
  return { key, digest: parsed };
}

function parseDigest(text: string): Digest | null {
  try {
    const parsed = Digest.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The chain an API caller names: an environment (id, `<project>:<env>` or a bare name), or "global". */
async function chainOf(cx: ControlContext, envRef: string): Promise<string> {
  if (envRef === GLOBAL_CHAIN) return GLOBAL_CHAIN;
  const ref = envRef.includes(":") || envRef.startsWith("env_") ? envRef : await resolveEnvName(cx, envRef);
  return (await findEnv(cx.db, ref)).id;
}

/** Every chain any record knows of: D1's, every environment's, the global one, and R2's digests. */
async function everyChain(cx: ControlContext): Promise<string[]> {
  const [inD1, envs, inR2] = await Promise.all([auditChainNames(cx.db), allEnvIds(cx.db), cx.auditDigests.chains()]);
  return [...new Set([GLOBAL_CHAIN, ...envs, ...inD1, ...inR2])].sort();
}

/** The export format's name; the offline verifier refuses anything else. */
export const EXPORT_FORMAT = "infra-chat/audit-export/1";

/**
 * One chain with its anchors as a JSON document streamed page by page: the checkpoint and breach record
 * from the Durable Object, every R2 digest as stored (their SHA-256 links cover the exact text), then the
 * events in sequence order.
 */
export async function exportAuditChain(
  cx: ControlContext,
  envRef: string,
): Promise<{ chain: string; body: ReadableStream }> {
  requireRole(cx.actor.role, "read");
  const chain = await chainOf(cx, envRef);
  const anchors = await cx.environment(chain).auditAnchors();
  const digests = [];
  for (const key of await cx.auditDigests.list(chain)) digests.push({ key, text: await cx.auditDigests.get(key) });
  const header = {
    format: EXPORT_FORMAT,
    chain,
    exportedAt: new Date(cx.now()).toISOString(),
    checkpoint: anchors.checkpoint,
    breach: anchors.breach,
    digests,
  };
  const encoder = new TextEncoder();
  const pages = chainEvents(cx.db, chain);
  let first = true;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(`${JSON.stringify(header).slice(0, -1)},"events":[`));
    },
    async pull(controller) {
      const next = await pages.next();
      if (next.done) {
        controller.enqueue(encoder.encode("]}\n"));
        controller.close();
        return;
      }
      const text = next.value.map((e) => JSON.stringify(e)).join(",\n");
      controller.enqueue(encoder.encode(`${first ? "\n" : ",\n"}${text}`));
      first = false;
    },
  });
  return { chain, body };
}
