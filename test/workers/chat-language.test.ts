import { describe, expect, it } from "vitest";
import type { LanguageContext } from "../../src/chat/language/context";
import { continueRequest, resolveIntents, type Understanding, understand } from "../../src/chat/language/understand";
import { Intent } from "../../src/domain/intent";

/** The seed of `npm start` (API.md "Seed"), plus a qa environment so "qa2" has a near name. */
const CONTEXT: LanguageContext = {
  project: "invoice-perfect",
  envs: ["local", "staging", "production", "qa"],
  localEnvs: ["local"],
  services: ["api", "web", "cron"],
  repos: { api: "invoice-perfect/api", web: "invoice-perfect/web", cron: "invoice-perfect/cron" },
  jobs: ["backfillTimezone", "fallbackTimezone"],
  secretNames: ["SENDGRID_API_KEY", "STRIPE_SECRET_KEY"],
};

const intents = (u: Understanding) => {
  expect(u.kind, JSON.stringify(u)).toBe("intents");
  return u.kind === "intents" ? u.intents : [];
};
const question = (u: Understanding) => {
  expect(u.kind, JSON.stringify(u)).toBe("question");
  if (u.kind !== "question") throw new Error("no question");
  return u.question;
};

type Expected =
  | { intents: Intent[] }
  | { ask: string; because: string; text?: string | RegExp }
  | { refuse: string; text?: RegExp };

/**
 * Issue #17's first list ("The misses are not exotic"), one row per miss, in the order the issue names them;
 * where the issue names a kind of message ("run history", "components said casually") the row is one such.
 */
const ISSUE_LIST: [miss: string, message: string, expected: Expected][] = [
  [
    "rollback in other words",
    "put prod back on the last release",
    { intents: [{ kind: "rollback", env: "production" }] },
  ],
  ["incidents", "what's broken?", { intents: [{ kind: "incidents" }] }],
  ["run history", "list recent runs", { intents: [{ kind: "runs" }] }],
  [
    "components said casually",
    "can we get a redis cache on staging",
    { intents: [{ kind: "component", action: "add", component: "redis", env: "staging" }] },
  ],
  ["environment cloning", "clone staging as demo", { intents: [{ kind: "create-env", env: "demo", from: "staging" }] }],
  ["local bootstrap", "set me up locally", { intents: [{ kind: "bootstrap", env: "local" }] }],
  [
    "secret rotation",
    "rotate the stripe key on prod",
    { intents: [{ kind: "rotate-secret", env: "production", name: "STRIPE_SECRET_KEY" }] },
  ],
  ["backfill controls", "pause the backfill on staging", { intents: [{ kind: "stop", env: "staging" }] }],
  ["backfill controls", "resume the backfill", { intents: [{ kind: "resume" }] }],
  ["nvm cancel", "nvm cancel", { intents: [{ kind: "cancel" }] }],
  [
    "free words are not refs",
    "push the latest build out to staging",
    { intents: [{ kind: "deploy", env: "staging", params: {} }] },
  ],
  [
    "deploy just the api",
    "deploy just the api to staging",
    { intents: [{ kind: "deploy", env: "staging", params: {}, services: ["api"] }] },
  ],
  [
    "a sha belongs to its service",
    "deploy api at 4e5d6c7 to staging",
    { intents: [{ kind: "deploy", env: "staging", params: { ref: "4e5d6c7" }, services: ["api"] }] },
  ],
  [
    "20% canary then 100%",
    "deploy prod with a 20% canary then 100%",
    { intents: [{ kind: "deploy", env: "production", params: { canary: [20, 100] } }] },
  ],
  [
    "backfill timezones",
    "backfill timezones on staging",
    { intents: [{ kind: "backfill", env: "staging", job: "backfillTimezone" }] },
  ],
  [
    "a phone number in the message",
    "text +1 415 555 0134 if production breaks",
    { intents: [{ kind: "subscribe", env: "production", phone: "+14155550134" }] },
  ],
  ["the audit chain", "is the audit chain intact?", { intents: [{ kind: "audit-verify" }] }],
  [
    "unknown service, never ignored",
    "rollback payments-service in prod",
    { refuse: "unknown-service", text: /There is no service payments-service in invoice-perfect \(api, web, cron\)/ },
  ],
  ["no new environment from 'the other one'", "deploy to the other one", { ask: "env", because: "ambiguous" }],
  [
    "no new environment from a typo",
    "deploy to qa2",
    { ask: "env", because: "unknown", text: "No environment qa2 — did you mean qa? Or say 'create qa2 from staging'." },
  ],
  [
    "a secret is set, never echoed",
    "set STRIPE_SECRET_KEY=sk_test_4eC39HqLyjWDarjtT1zdp7dc on staging",
    {
      intents: [{ kind: "set-secret", env: "staging", name: "STRIPE_SECRET_KEY", valueRef: "pending-secret:1" }],
    },
  ],
  [
    "bare deploy asks",
    "deploy",
    { ask: "env", because: "missing", text: "Which environment? staging · production · qa" },
  ],
  ["bare rollback asks", "rollback", { ask: "env", because: "missing" }],
  ["bare run migrations asks", "run migrations", { ask: "env", because: "missing" }],
];

describe("issue #17's first list, at the language level", () => {
  it.each(ISSUE_LIST)("%s: %j", (_miss, message, expected) => {
    const u = understand(message, CONTEXT);
    if ("intents" in expected) {
      expect(intents(u)).toEqual(expected.intents);
      for (const intent of intents(u)) expect(Intent.parse(intent)).toEqual(intent);
    } else if ("ask" in expected) {
      const q = question(u);
      expect([q.pending.slot, q.pending.because]).toEqual([expected.ask, expected.because]);
      if (typeof expected.text === "string") expect(q.text).toBe(expected.text);
    } else {
      expect(u.kind).toBe("refusal");
      if (u.kind === "refusal") {
        expect(u.reason).toBe(expected.refuse);
        if (expected.text) expect(u.text).toMatch(expected.text);
      }
    }
  });

  it("attaches a sha to the service it names, whose repository it is looked up in", () => {
    const [deploy] = intents(understand("deploy api at 4e5d6c7 to staging", CONTEXT));
    expect(deploy.kind === "deploy" && CONTEXT.repos?.[deploy.services?.[0] ?? ""]).toBe("invoice-perfect/api");
  });

  it("carries a rotation's new value out of band too", () => {
    const u = understand("rotate STRIPE_SECRET_KEY on prod to sk_live_51RotatedValue000aaaa", CONTEXT);
    expect(intents(u)).toEqual([
      { kind: "rotate-secret", env: "production", name: "STRIPE_SECRET_KEY", valueRef: "pending-secret:1" },
    ]);
    expect(u.kind === "intents" && u.secrets.map((s) => s.value)).toEqual(["sk_live_51RotatedValue000aaaa"]);
  });

  it("keeps the secret's value out of the intent and hands it out of band", () => {
    const u = understand("set STRIPE_SECRET_KEY=sk_test_4eC39HqLyjWDarjtT1zdp7dc on staging", CONTEXT);
    expect(u.kind === "intents" && u.secrets).toEqual([
      { ref: "pending-secret:1", value: "sk_test_4eC39HqLyjWDarjtT1zdp7dc", name: "STRIPE_SECRET_KEY" },
    ]);
    expect(JSON.stringify(intents(u))).not.toContain("sk_test_4eC39");
  });
});

describe("clarifying questions continue the same request", () => {
  it('answers bare "deploy" with the environments, and "staging" completes the deploy', () => {
    const q = question(understand("deploy", CONTEXT));
    expect(q.options).toEqual(["staging", "production", "qa"]);
    expect(intents(continueRequest(q.pending, "staging", CONTEXT))).toEqual([
      { kind: "deploy", env: "staging", params: {} },
    ]);
  });

  it("keeps every slot already given while it asks for the missing one", () => {
    const q = question(understand("deploy v2.1.0 with canary 10/50/100", CONTEXT));
    expect(intents(continueRequest(q.pending, "prod please", CONTEXT))).toEqual([
      { kind: "deploy", env: "production", params: { ref: "v2.1.0", canary: [10, 50, 100] } },
    ]);
  });

  it("offers the near name and the explicit create for an unknown environment, and takes either", () => {
    const q = question(understand("deploy to qa2", CONTEXT));
    expect(q.options).toEqual(["qa", "create qa2 from staging"]);
    expect(intents(continueRequest(q.pending, "qa", CONTEXT))).toEqual([{ kind: "deploy", env: "qa", params: {} }]);
    expect(intents(continueRequest(q.pending, "create qa2 from staging", CONTEXT))).toEqual([
      { kind: "create-env", env: "qa2", from: "staging" },
    ]);
  });

  it("asks again when the answer names another unknown environment, and drops the request on cancel", () => {
    const q = question(understand("rollback", CONTEXT));
    expect(question(continueRequest(q.pending, "qa3", CONTEXT)).pending.because).toBe("unknown");
    expect(intents(continueRequest(q.pending, "nvm", CONTEXT))).toEqual([{ kind: "cancel" }]);
    expect(question(continueRequest(q.pending, "blorp zorp", CONTEXT)).text).toMatch(/^I still need to know: /);
  });

  it("asks which services when one named does not exist, and the answer picks them", () => {
    const q = question(understand("deploy payments-service to staging", CONTEXT));
    expect(q.text).toBe("There is no service payments-service in invoice-perfect (api, web, cron). Which services?");
    expect(intents(continueRequest(q.pending, "api and web", CONTEXT))).toEqual([
      { kind: "deploy", env: "staging", params: {}, services: ["api", "web"] },
    ]);
  });

  it("asks which job for one that does not exist, and for the environment of a job without one", () => {
    const job = question(understand("backfill payments on staging", CONTEXT));
    expect([job.pending.slot, job.pending.because]).toEqual(["job", "unknown"]);
    expect(intents(continueRequest(job.pending, "fallbackTimezone", CONTEXT))).toEqual([
      { kind: "backfill", env: "staging", job: "fallbackTimezone" },
    ]);
    const env = question(understand("backfill timezones at 200/min", CONTEXT));
    expect(intents(continueRequest(env.pending, "production", CONTEXT))).toEqual([
      { kind: "backfill", env: "production", job: "backfillTimezone", ratePerMinute: 200 },
    ]);
  });

  it("never rolls back only part of an environment without saying so", () => {
    const q = question(understand("rollback the api on prod", CONTEXT));
    expect(q.pending.slot).toBe("scope");
    expect(intents(continueRequest(q.pending, "yes", CONTEXT))).toEqual([{ kind: "rollback", env: "production" }]);
  });

  it("lets a later request use the environment an earlier one creates", () => {
    expect(intents(understand("create qa2 from staging, then set it up", CONTEXT))).toEqual([
      { kind: "create-env", env: "qa2", from: "staging" },
      { kind: "setup", env: "qa2" },
    ]);
  });
});

describe("refusals and the fallback", () => {
  it.each([
    ["drop the production database", "destructive"],
    ["delete all users", "destructive"],
    ["backfill timezone on staging at 1000000000 users/min", "out-of-range"],
    ["backfill timezone on staging at 0 users/min", "out-of-range"],
    ["don't deploy prod", "negated"],
    ["deploy prod at 5pm", "scheduled"],
    ["show me the stripe key on prod", "secret-value"],
  ])("refuses %j (%s)", (message, reason) => {
    const u = understand(message, CONTEXT);
    expect(u.kind === "refusal" && u.reason).toBe(reason);
  });

  it("names the allowed range of an out-of-range rate", () => {
    const u = understand("backfill timezone on staging at 1000000000 users/min", CONTEXT);
    expect(u.kind === "refusal" && u.text).toBe(
      "Backfill rates must be 1 to 1,000,000 rows per minute; 1,000,000,000 is out of range.",
    );
  });

  it("quotes at most the words it did not understand, never the whole message, and suggests two commands", () => {
    const u = understand("what's the weather in Berlin", CONTEXT);
    expect(u.kind).toBe("fallback");
    if (u.kind !== "fallback") return;
    expect(u.text).toContain('"weather Berlin"');
    expect(u.text).not.toContain("what's the weather in Berlin");
    expect(u.suggestions).toHaveLength(2);
    const alone = understand("flibbertigibbet", CONTEXT);
    expect(alone.kind === "fallback" && alone.text).toMatch(/^I didn't understand that\. /);
  });

  it("suggests commands whose words the message shares", () => {
    const u = understand("staging redis plz", CONTEXT);
    expect(u.kind === "fallback" && u.suggestions[0]).toBe("add redis to staging");
  });
});

describe("another reader's intents go through the same checks", () => {
  it("asks instead of creating or ignoring what a model named", () => {
    const unknownEnv = resolveIntents([{ kind: "deploy", env: "qa2", params: {} }], CONTEXT);
    expect(question(unknownEnv).text).toBe("No environment qa2 — did you mean qa? Or say 'create qa2 from staging'.");
    const unknownService = resolveIntents(
      [{ kind: "deploy", env: "staging", params: {}, services: ["payments"] }],
      CONTEXT,
    );
    expect(question(unknownService).pending.slot).toBe("services");
    const rollback = resolveIntents(
      [{ kind: "remediate", env: "production", action: "drop the users table" }],
      CONTEXT,
    );
    expect(rollback.kind === "refusal" && rollback.reason).toBe("destructive");
  });

  it("canonicalizes names the model wrote in other words", () => {
    expect(
      intents(resolveIntents([{ kind: "deploy", env: "Prod", params: {}, services: ["frontend"] }], CONTEXT)),
    ).toEqual([{ kind: "deploy", env: "production", params: {}, services: ["web"] }]);
    expect(intents(resolveIntents([{ kind: "backfill", env: "stg", job: "backfilltimezone" }], CONTEXT))).toEqual([
      { kind: "backfill", env: "staging", job: "backfillTimezone" },
    ]);
  });
});

describe("robustness", () => {
  it("never throws and always answers with valid intents, even for junk", () => {
    const junk = [
      "",
      "   ",
      "🚀🚀🚀 deploy 🔥",
      "\u0000\u0001",
      "\ud800 lone surrogate",
      "constructor __proto__ toString",
      "deploy constructor:__proto__",
      "deploy to ".repeat(40),
      "x".repeat(5_000),
      "canary ".repeat(60) + "1/".repeat(30),
      "部署 staging",
      "'\";DROP TABLE runs;--",
      ...Array.from({ length: 300 }, (_, i) => randomText(i)),
    ];
    for (const text of junk) {
      const u = understand(text, CONTEXT);
      if (u.kind === "intents") for (const i of u.intents) expect(Intent.safeParse(i).success, text).toBe(true);
      const q = question(understand("deploy", CONTEXT));
      expect(() => continueRequest(q.pending, text, CONTEXT)).not.toThrow();
    }
  });
});

/** Deterministic pseudo-random text over the words operators use. */
function randomText(seed: number): string {
  const alphabet = ["deploy", "prod", "staging", "to", "at", "canary", "10/50", "%", "v3", "api", "web", "then", "and"];
  const more = [
    "rollback",
    "back",
    "roll",
    "ack",
    "123456",
    "drop",
    "users",
    "backfill",
    "timezone",
    ",",
    ";",
    "qa2",
    "?",
  ];
  const words = [...alphabet, ...more];
  let state = seed * 7919 + 17;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state;
  };
  return Array.from({ length: 1 + (next() % 12) }, () => words[next() % words.length]).join(" ");
}
