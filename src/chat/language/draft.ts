/**
 * A draft is an intent as the message said it, before it is checked against what exists: names as typed
 * ("qa2", "payments-service", "timezones"), slots possibly missing. resolve.ts turns drafts into intents, a
 * question or a refusal; a question keeps the drafts (JSON, in the conversation's state) so the answer can
 * complete them. Both interpreters end here: the rule grammar produces drafts, and an LLM's intents are
 * read back as drafts (draftsFromIntents), so the model's output meets the same checks and questions.
 */
import { z } from "zod";
import type { Intent } from "../../domain/intent";

const Name = z.string().min(1).max(100);

/** An environment slot: what was said, the environment it names (when one exists), or "the other one". */
export const EnvSlot = z.object({ said: Name.optional(), env: Name.optional(), ambiguous: z.boolean().optional() });
export type EnvSlot = z.infer<typeof EnvSlot>;

export const Draft = z.object({
  kind: z.string().min(1).max(40),
  env: EnvSlot.optional(),
  from: EnvSlot.optional(),
  other: EnvSlot.optional(),
  /** services named that exist (canonical), in deploy order */
  services: z.array(Name).max(20).optional(),
  /** services named that don't exist, as typed */
  unknownServices: z.array(Name).max(20).optional(),
  job: Name.optional(),
  unknownJob: Name.optional(),
  /** jobs the words fit equally well */
  jobOptions: z.array(Name).max(20).optional(),
  /** every other slot, already in the intent's shape (params, toRelease, code, since, phone, …) */
  fields: z.record(z.string(), z.unknown()),
  /** a number outside its allowed range, described for the refusal ("canary weights must be 1–100") */
  outOfRange: z.string().max(300).optional(),
});
export type Draft = z.infer<typeof Draft>;

/** A draft of `kind` with the given fields and no names yet. */
export function draft(kind: Intent["kind"], fields: Record<string, unknown> = {}): Draft {
  return { kind, fields };
}

/** Slots an intent kind must have before it can be planned or answered. */
export const REQUIRES_ENV = new Set<string>([
  "deploy",
  "promote-release",
  "migrate",
  "rollback",
  "status",
  "last-change",
  "create-env",
  "component",
  "backfill",
  "setup",
  "bootstrap",
  "compare",
  "drift",
  "monitor-rule",
  "remediate",
  "policy",
  "set-secret",
  "rotate-secret",
  "secrets",
]);

/** Kinds that may name services: the rest act on a whole environment. */
export const TAKES_SERVICES = new Set<string>(["deploy", "remediate"]);

/**
 * Kinds that change something (a plan, a spec revision, a stored secret, a subscription, a run's course).
 * A message in a destructive, off-topic or unknown-name category must never produce one.
 */
export const ACTING_KINDS = new Set<string>([
  "deploy",
  "promote-release",
  "migrate",
  "rollback",
  "create-env",
  "component",
  "backfill",
  "setup",
  "drift",
  "monitor-rule",
  "remediate",
  "policy",
  "set-secret",
  "rotate-secret",
  "subscribe",
  "unsubscribe",
  "apply",
  "approve",
  "reject",
  "cancel",
  "promote",
  "stop",
  "resume",
  "ack",
]);

/** An LLM's (or any other interpreter's) intents as drafts, so they pass the same resolution. */
export function draftsFromIntents(intents: readonly Intent[]): Draft[] {
  return intents.map((intent) => {
    const { kind, ...rest } = intent as Record<string, unknown> & { kind: string };
    const fields: Record<string, unknown> = { ...rest };
    const out: Draft = { kind, fields };
    for (const role of ["env", "from", "other"] as const) {
      if (typeof fields[role] === "string") out[role] = { said: String(fields[role]).toLowerCase() };
      delete fields[role];
    }
    if (Array.isArray(fields.services)) {
      out.unknownServices = fields.services.map((s) => String(s).toLowerCase());
      delete fields.services;
    }
    if (kind === "remediate" && typeof fields.service === "string") {
      out.unknownServices = [fields.service.toLowerCase()];
      delete fields.service;
    }
    if (kind === "backfill" && typeof fields.job === "string") {
      out.unknownJob = fields.job;
      delete fields.job;
    }
    return out;
  });
}
