import { describe, expect, it } from "vitest";
import type { LanguageContext } from "../../src/chat/language/context";
import { fallbackFor } from "../../src/chat/language/fallback";
import { continueRequest, resolveIntents, understand } from "../../src/chat/language/understand";
import type { Intent } from "../../src/domain/intent";
import { CARRIERS } from "./chat-secret-carriers";

const CONTEXT: LanguageContext = {
  project: "invoice-perfect",
  envs: ["local", "staging", "production"],
  services: ["api", "web", "cron"],
  jobs: ["backfillTimezone", "fallbackTimezone"],
  secretNames: ["SENDGRID_API_KEY", "STRIPE_SECRET_KEY"],
};

/** Everything a caller could show, store or log: the whole reading except the out-of-band secret list. */
function visible(u: ReturnType<typeof understand>): string {
  const { secrets: _outOfBand, ...rest } = u as typeof u & { secrets?: unknown };
  return JSON.stringify(rest);
}

describe("a message carrying a secret never gets it back", () => {
  it.each(CARRIERS)("%s: %j", (branch, message, secret) => {
    const u = understand(message, CONTEXT);
    const kinds: Record<string, string> = {
      intents: "intents",
      "missing env": "question",
      "unknown env": "question",
      "missing name": "question",
      refusal: "refusal",
      fallback: "fallback",
    };
    expect(u.kind, visible(u)).toBe(kinds[branch]);
    expect(visible(u)).not.toContain(secret);
    // The fallback the live chat path uses for its own "unknown" says nothing of it either.
    expect(JSON.stringify(fallbackFor(message, CONTEXT))).not.toContain(secret);
  });

  it("hands a set value out of band only, to be stored at once, and keeps the question's pending request clean", () => {
    const u = understand("set STRIPE_SECRET_KEY=sk_live_51HxxExampleOnly0000aaaa", CONTEXT);
    expect(u.kind === "question" && u.secrets.map((s) => s.value)).toEqual(["sk_live_51HxxExampleOnly0000aaaa"]);
    if (u.kind !== "question") return;
    expect(JSON.stringify(u.question.pending)).not.toContain("sk_live_51Hxx");
    const done = continueRequest(u.question.pending, "staging", CONTEXT);
    expect(done.kind === "intents" && done.intents).toEqual([
      { kind: "set-secret", env: "staging", name: "STRIPE_SECRET_KEY", valueRef: "pending-secret:1" },
    ]);
  });

  it.each(CARRIERS)("answering a question with %s %j returns nothing of it", (_branch, answer, secret) => {
    const asked = understand("deploy", CONTEXT);
    if (asked.kind !== "question") throw new Error("expected a question");
    const u = continueRequest(asked.question.pending, answer, CONTEXT);
    expect(visible(u)).not.toContain(secret);
  });

  it.each(CARRIERS)(
    "a model that copies %s %j into every slot gets nothing of it through",
    (_branch, message, secret) => {
      // A mock model echoing its input: the user's message in every free string it can fill.
      const echoes: Intent[][] = [
        [{ kind: "deploy", env: message.slice(0, 100), params: {} }],
        [{ kind: "deploy", env: secret.toLowerCase().slice(0, 100), params: {} }],
        [{ kind: "deploy", env: "staging", params: {}, services: [secret.toLowerCase().slice(0, 60)] }],
        [{ kind: "backfill", env: "staging", job: secret.slice(0, 60) }],
        [{ kind: "remediate", env: "staging", action: message.slice(0, 200) }],
        [
          {
            kind: "monitor-rule",
            env: "staging",
            when: "repeated-5xx-after-deploy",
            then: "rollback",
            text: message.slice(0, 500),
          },
        ],
        [{ kind: "unknown", text: message }],
      ];
      for (const intents of echoes) {
        const u = resolveIntents(intents, CONTEXT, message);
        expect(visible(u), JSON.stringify(intents[0].kind)).not.toContain(secret);
      }
    },
  );
});
