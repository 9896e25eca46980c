import { describe, expect, it } from "vitest";
import { sinceInstant } from "../../src/chat/since";
import { Intent } from "../../src/domain/intent";
import { API_EXAMPLES, PHRASINGS } from "./chat-phrasings.table";
import { readIntents as parseIntents } from "./chat-reading";

describe("chat phrasings (SPEC §3 user stories, API.md Chat)", () => {
  it("covers every user story several times and every API.md example", () => {
    expect(PHRASINGS.length).toBeGreaterThanOrEqual(60);
    const perStory = new Map<string, number>();
    for (const p of PHRASINGS) perStory.set(p.story, (perStory.get(p.story) ?? 0) + 1);
    for (const story of [
      "setup",
      "deploy",
      "migrate",
      "backfill",
      "rollback",
      "infra edit",
      "alerting",
      "remediation",
      "status",
      "audit",
      "approve",
    ]) {
      expect(perStory.get(story) ?? 0, story).toBeGreaterThanOrEqual(3);
    }
    const texts = new Set(PHRASINGS.map((p) => p.text));
    for (const example of API_EXAMPLES) expect(texts.has(example), example).toBe(true);
    expect(texts.size, "no duplicate rows").toBe(PHRASINGS.length);
  });

  it.each(PHRASINGS.map((p) => [p.story, p.text, p.intents] as const))(
    "%s: the language layer reads %j",
    (_story, text, expected) => {
      const intents = parseIntents(text);
      expect(intents).toEqual(expected);
      for (const intent of intents) expect(Intent.parse(intent)).toEqual(intent);
    },
  );
});

describe("relative times in audit requests", () => {
  // Thursday 2026-11-26 15:30 UTC.
  const now = Date.parse("2026-11-26T15:30:00Z");
  const at = (text: string) => sinceInstant(text, now);

  it("reads every window the phrasing table produces as an instant before now", () => {
    const windows = PHRASINGS.flatMap((p) =>
      p.intents.flatMap((i) => (i.kind === "audit" && i.since ? [i.since] : [])),
    );
    expect(windows.length).toBeGreaterThanOrEqual(6);
    for (const since of windows) {
      const instant = at(since);
      expect(instant, since).toBeDefined();
      expect(Date.parse(instant!), since).toBeLessThan(now);
    }
  });

  it("means calendar days in UTC for day words and weekdays", () => {
    expect(at("today")).toBe("2026-11-26T00:00:00.000Z");
    expect(at("yesterday")).toBe("2026-11-25T00:00:00.000Z");
    expect(at("monday")).toBe("2026-11-23T00:00:00.000Z");
    expect(at("thursday")).toBe("2026-11-26T00:00:00.000Z");
    expect(at("last thursday")).toBe("2026-11-19T00:00:00.000Z");
  });

  it("counts durations back from now", () => {
    expect(at("24h")).toBe("2026-11-25T15:30:00.000Z");
    expect(at("2 days ago")).toBe("2026-11-24T15:30:00.000Z");
    expect(at("3 days")).toBe("2026-11-23T15:30:00.000Z");
    expect(at("90 minutes")).toBe("2026-11-26T14:00:00.000Z");
    expect(at("last week")).toBe("2026-11-19T15:30:00.000Z");
    expect(at("2026-11-01")).toBe("2026-11-01T00:00:00.000Z");
    expect(at("2026-11-01T10:00:00Z")).toBe("2026-11-01T10:00:00.000Z");
  });

  it("reads nothing into windows it can't place, so the audit can say so instead of showing everything", () => {
    for (const text of ["last deploy", "yday", "soon", "3 fortnights", "2026-13-45", ""])
      expect(at(text), text).toBeUndefined();
  });
});
