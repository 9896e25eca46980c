import { describe, expect, it } from "vitest";
import { understand } from "../../src/chat/language/understand";
import { readIntents, SEED_CONTEXT } from "./chat-reading";

const parseIntent = (text: string) => readIntents(text)[0];

describe("chat phrases about monitoring", () => {
  it.each([
    ["incidents", { kind: "incidents" }],
    ["show open incidents on production", { kind: "incidents", env: "production" }],
    ["show incident inc_abc123", { kind: "incident", id: "inc_abc123" }],
    ["ACK 123456", { kind: "ack", code: "123456" }],
    ["adopt drift on staging", { kind: "drift", env: "staging", choice: "adopt" }],
    ["revert the drift on production", { kind: "drift", env: "production", choice: "revert" }],
    ["restart api on production", { kind: "remediate", env: "production", action: "restart", service: "api" }],
    ["scale api on staging to 3", { kind: "remediate", env: "staging", action: "scale", service: "api", replicas: 3 }],
    [
      "disable the cron on production",
      { kind: "remediate", env: "production", action: "disable-cron", service: "cron" },
    ],
  ])("%s", (text, intent) => {
    expect(parseIntent(text)).toEqual(intent);
  });

  it("refuses a destructive request outright, naming the bounded set and not the words", () => {
    const read = understand("drop the users table on production", SEED_CONTEXT);
    expect(read).toMatchObject({ kind: "refusal", reason: "destructive" });
    expect(read.kind === "refusal" && read.text).not.toMatch(/users table/);
  });

  it("stores the 5xx-after-deploy sentence as a rule for production by default", () => {
    expect(
      parseIntent("If we see repeated 500s after deploy, rollback and open an incident bundle with logs and diffs"),
    ).toMatchObject({ kind: "monitor-rule", env: "production", when: "repeated-5xx-after-deploy", then: "rollback" });
  });

  it.each(["remove Redis from staging", "drop redis from staging", "pause the backfill", "stop the backfill"])(
    'leaves "%s" to the other rules',
    (text) => {
      expect(["component", "stop"]).toContain(parseIntent(text)?.kind);
    },
  );
});
