import { describe, expect, it } from "vitest";
import {
  SRE_WORKBOOK_RULES,
  alertLevel,
  budgetConsumed,
  burnRate,
  evaluateBurnRules,
} from "../../src/monitor/burn-rate";
import type { BurnEvaluation, ErrorSample } from "../../src/monitor/burn-rate";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const SLO = 0.999;
const RPM = 1000;
// At 1000 req/min a 30-day budget is 43.2M requests × 0.1% = 43,200 errors; 2% of it is 864.
const THREE_DAYS_MIN = 3 * 24 * 60;

interface Segment {
  minutes: number;
  errors: number;
  requestsPerMinute?: number;
}

/** Builds one-minute buckets from segments; a segment's errors are spread as evenly as integers allow. */
function buildSeries(segments: Segment[]): { samples: ErrorSample[]; end: number } {
  const samples: ErrorSample[] = [];
  let at = 0;
  for (const { minutes, errors, requestsPerMinute = RPM } of segments) {
    const perMinute = errors / minutes;
    for (let i = 0; i < minutes; i++) {
      const e = Math.floor((i + 1) * perMinute + 1e-9) - Math.floor(i * perMinute + 1e-9);
      samples.push({ at, requests: requestsPerMinute, errors: e });
      at += MINUTE;
    }
  }
  return { samples, end: at };
}

const cleanDays: Segment = { minutes: THREE_DAYS_MIN, errors: 0 };
const firingRules = (evals: BurnEvaluation[]) => evals.filter((e) => e.firing).map((e) => e.rule);
const byRule = (evals: BurnEvaluation[], rule: string) => evals.find((e) => e.rule === rule);

describe("evaluateBurnRules reproduces the SRE Workbook's multiwindow, multi-burn-rate table", () => {
  const cases: { name: string; segments: Segment[]; level: string; firing: string[] }[] = [
    {
      name: "2% of the budget in 1 h pages (14.4×)",
      segments: [cleanDays, { minutes: 60, errors: 864 }],
      level: "page",
      firing: ["fast-burn-1h"],
    },
    {
      name: "5% of the budget in 6 h pages via the 6× rule",
      segments: [cleanDays, { minutes: 360, errors: 2160 }],
      level: "page",
      firing: ["fast-burn-6h"],
    },
    {
      name: "10% of the budget in 3 d only tickets (1×)",
      segments: [{ minutes: THREE_DAYS_MIN, errors: 4320 }],
      level: "ticket",
      firing: ["slow-burn-3d"],
    },
    {
      name: "during a total outage both windows of both page rules are hot",
      segments: [cleanDays, { minutes: 3, errors: 3 * RPM }],
      level: "page",
      firing: ["fast-burn-1h", "fast-burn-6h"],
    },
    // 3,000 errors are 6.9% of the budget, more than the 6 h rule's 5%: it keeps paging for its 30 min reset.
    {
      name: "10 min after a 3-min outage the 1 h rule has reset but the 6 h rule still pages",
      segments: [cleanDays, { minutes: 3, errors: 3 * RPM }, { minutes: 10, errors: 0 }],
      level: "page",
      firing: ["fast-burn-6h"],
    },
    {
      name: "31 min after a 3-min outage every short window is clean: no alert",
      segments: [cleanDays, { minutes: 3, errors: 3 * RPM }, { minutes: 31, errors: 0 }],
      level: "none",
      firing: [],
    },
    {
      name: "10 min after a 1-min outage nothing pages although the 1 h window alone would",
      segments: [cleanDays, { minutes: 1, errors: RPM }, { minutes: 10, errors: 0 }],
      level: "none",
      firing: [],
    },
    {
      name: "steady 0.05% errors (half the budget rate) does not alert",
      segments: [{ minutes: THREE_DAYS_MIN, errors: THREE_DAYS_MIN / 2 }],
      level: "none",
      firing: [],
    },
    {
      name: "no traffic does not alert",
      segments: [{ minutes: THREE_DAYS_MIN, errors: 0, requestsPerMinute: 0 }],
      level: "none",
      firing: [],
    },
  ];

  it.each(cases)("$name", ({ segments, level, firing }) => {
    const { samples, end } = buildSeries(segments);
    const evals = evaluateBurnRules(samples, end, SLO);
    expect(firingRules(evals)).toEqual(firing);
    expect(alertLevel(evals)).toBe(level);
  });

  it("a recovered spike resets the 1 h rule: long burn is over 14.4× while the clean short window holds it", () => {
    const { samples, end } = buildSeries([cleanDays, { minutes: 3, errors: 3 * RPM }, { minutes: 10, errors: 0 }]);
    const fast = byRule(evaluateBurnRules(samples, end, SLO), "fast-burn-1h");
    expect(fast?.longBurn).toBeCloseTo(50, 9); // 3000 / 60000 / 0.001
    expect(fast?.shortBurn).toBe(0);
    expect(fast?.firing).toBe(false);
  });

  it("reports the window burns and request counts a page is based on", () => {
    const { samples, end } = buildSeries([cleanDays, { minutes: 60, errors: 864 }]);
    expect(byRule(evaluateBurnRules(samples, end, SLO), "fast-burn-1h")).toMatchObject({
      severity: "page",
      firing: true,
      longBurn: expect.closeTo(14.4, 9),
      shortBurn: expect.closeTo(14.4, 9),
      longRequests: 60 * RPM,
      shortRequests: 5 * RPM,
    });
  });

  it.each([
    { name: "steady 0.05% errors", segments: [cleanDays, { minutes: THREE_DAYS_MIN, errors: THREE_DAYS_MIN / 2 }] },
    { name: "no traffic", segments: [{ minutes: 2 * THREE_DAYS_MIN, errors: 0, requestsPerMinute: 0 }] },
  ])("$name never alerts at any hour", ({ segments }) => {
    const { samples, end } = buildSeries(segments);
    for (let now = HOUR; now <= end; now += HOUR) expect(alertLevel(evaluateBurnRules(samples, now, SLO))).toBe("none");
    expect(alertLevel(evaluateBurnRules([], end, SLO))).toBe("none");
  });

  it("a window with fewer than minRequests requests cannot fire, however bad its ratio", () => {
    const { samples, end } = buildSeries([{ minutes: 60, errors: 60, requestsPerMinute: 1 }]);
    expect(alertLevel(evaluateBurnRules(samples, end, SLO))).toBe("page");
    expect(alertLevel(evaluateBurnRules(samples, end, SLO, SRE_WORKBOOK_RULES, 100))).toBe("none");
  });
});

describe("burnRate", () => {
  it("is the error ratio over the allowed ratio, counting buckets that start in [from, to)", () => {
    const samples = [
      { at: 0, requests: 1000, errors: 5 },
      { at: MINUTE, requests: 1000, errors: 1 },
      { at: 2 * MINUTE, requests: 1000, errors: 100 },
    ];
    const result = burnRate(samples, 0, 2 * MINUTE, SLO);
    expect(result).toMatchObject({ requests: 2000, errors: 6 });
    expect(result.burn).toBeCloseTo(3, 9); // 6 / 2000 / 0.001
  });

  it("is 0 when there were no requests", () => {
    expect(burnRate([], 0, HOUR, SLO)).toEqual({ burn: 0, requests: 0, errors: 0 });
    expect(burnRate([{ at: 0, requests: 0, errors: 0 }], 0, HOUR, SLO).burn).toBe(0);
  });

  it("rejects an SLO target that leaves no error budget", () => {
    expect(() => burnRate([], 0, HOUR, 1)).toThrow(RangeError);
    expect(() => burnRate([], 0, HOUR, 0)).toThrow(RangeError);
  });
});

describe("budgetConsumed", () => {
  const cases = [
    { name: "864 errors in 1 h is 2%", segments: [{ minutes: 60, errors: 864 }], expected: 0.02 },
    { name: "2,160 errors in 6 h is 5%", segments: [{ minutes: 360, errors: 2160 }], expected: 0.05 },
    { name: "4,320 errors in 3 d is 10%", segments: [{ minutes: THREE_DAYS_MIN, errors: 4320 }], expected: 0.1 },
    { name: "a 3-min total outage is 3000/43200", segments: [{ minutes: 3, errors: 3000 }], expected: 3000 / 43_200 },
    { name: "no traffic is 0", segments: [{ minutes: 60, errors: 0, requestsPerMinute: 0 }], expected: 0 },
  ];

  it.each(cases)("$name of the 30-day budget", ({ segments, expected }) => {
    const { samples, end } = buildSeries(segments);
    expect(budgetConsumed(samples, 0, end, SLO)).toBeCloseTo(expected, 12);
  });

  it("scales to a custom period and is 0 for an empty window", () => {
    const { samples, end } = buildSeries([{ minutes: 60, errors: 864 }]);
    expect(budgetConsumed(samples, 0, end, SLO, 7 * DAY)).toBeCloseTo((14.4 * 1) / (7 * 24), 12);
    expect(budgetConsumed(samples, end, end, SLO)).toBe(0);
  });
});

describe("alertLevel", () => {
  const evaluation = (severity: "page" | "ticket", firing: boolean): BurnEvaluation => ({
    rule: severity,
    severity,
    firing,
    longBurn: 0,
    shortBurn: 0,
    longRequests: 0,
    shortRequests: 0,
  });

  it.each([
    { evals: [evaluation("ticket", true), evaluation("page", true)], level: "page" },
    { evals: [evaluation("ticket", true), evaluation("page", false)], level: "ticket" },
    { evals: [evaluation("ticket", false), evaluation("page", false)], level: "none" },
    { evals: [], level: "none" },
  ])("returns $level for the most severe firing rule", ({ evals, level }) => {
    expect(alertLevel(evals)).toBe(level);
  });
});
