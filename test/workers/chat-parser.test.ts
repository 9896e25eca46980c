import { describe, expect, it } from "vitest";
import { helpText } from "../../src/chat/help";
import { Intent } from "../../src/domain/intent";
import { readIntents } from "./chat-reading";

const deploy = (env: string, params: Record<string, unknown> = {}): Intent => ({ kind: "deploy", env, params });
/** The first intent a message is read into; undefined when nothing is acted on (a question, refusal, fallback). */
const parseIntent = (text: string): Intent | undefined => readIntents(text)[0];
const parseIntents = readIntents;

/** Every phrasing the rule parser must understand, with the intent it must produce. */
const PHRASINGS: ReadonlyArray<readonly [string, Intent]> = [
  // deploy: spec user stories, politeness, casing, typos, aliases, project:env
  ["deploy staging", deploy("staging")],
  ["Deploy staging.", deploy("staging")],
  ["please deploy staging", deploy("staging")],
  ["can you deploy to staging?", deploy("staging")],
  ["Could you please deploy to STAGING now, thanks!", deploy("staging")],
  ["go ahead and deploy stg", deploy("staging")],
  ["deplpy stagin", deploy("staging")],
  ["depoly prodution", deploy("production")],
  ["deploy prod", deploy("production")],
  ["deploy to stage", deploy("staging")],
  ["deploy dev", deploy("local")],
  // A project-qualified name reads as the environment of the project the message is read against.
  ["deploy invoice-perfect:staging", deploy("staging")],
  ["deploy Invoice-Perfect:prod", deploy("production")],
  ["Deploy production with canary 10/50/100.", deploy("production", { canary: [10, 50, 100] })],
  ["deploy prod canary 5, 25, 100", deploy("production", { canary: [5, 25, 100] })],
  ["deploy production with a canary at 10% → 50% → 100%", deploy("production", { canary: [10, 50, 100] })],
  ["deploy staging at abc1234", deploy("staging", { ref: "abc1234" })],
  ["deploy v3 to staging", deploy("staging", { ref: "v3" })],
  ["deploy staging ref main", deploy("staging", { ref: "main" })],
  ["deploy branch Feature/Login-Form to staging", deploy("staging", { ref: "Feature/Login-Form" })],
  ["deploy main to staging", deploy("staging", { ref: "main" })],
  ["deploy the latest code to staging", deploy("staging")],
  ["Deploy production and run migrations first.", deploy("production", { migrateFirst: true })],
  ["deploy staging, migrate first", deploy("staging", { migrateFirst: true })],
  ["deploy staging without migrations", deploy("staging", { migrateFirst: false })],
  [
    "deploy v1.4.2 to prod with canary 10/50/100 and run migrations first",
    deploy("production", { ref: "v1.4.2", canary: [10, 50, 100], migrateFirst: true }),
  ],
  ["ship staging", deploy("staging")],
  // migrate
  ["Run migrations on staging.", { kind: "migrate", env: "staging" }],
  ["migrate staging", { kind: "migrate", env: "staging" }],
  ["apply the migrations to prod please", { kind: "migrate", env: "production" }],
  ["run the db migratons in production", { kind: "migrate", env: "production" }],
  // rollback
  ["Rollback production to the previous release.", { kind: "rollback", env: "production" }],
  ["roll back staging", { kind: "rollback", env: "staging" }],
  ["rollbak prod", { kind: "rollback", env: "production" }],
  ["rollback production to v3", { kind: "rollback", env: "production", toRelease: "v3" }],
  ["can you roll back prod to release 42?", { kind: "rollback", env: "production", toRelease: "42" }],
  ["revert staging", { kind: "rollback", env: "staging" }],
  ["rollback the deploy on production", { kind: "rollback", env: "production" }],
  // status
  ["status of production", { kind: "status", env: "production" }],
  ["how is staging?", { kind: "status", env: "staging" }],
  ["what's running in prod", { kind: "status", env: "production" }],
  ["is production healthy?", { kind: "status", env: "production" }],
  ["did the deploy to staging work?", { kind: "status", env: "staging" }],
  ["deploy status of staging", { kind: "status", env: "staging" }],
  ["staging?", { kind: "status", env: "staging" }],
  ["STATUS production", { kind: "status", env: "production" }],
  ["hey bot, what's the status of staging?", { kind: "status", env: "staging" }],
  // audit
  ["Show the audit for production since yesterday.", { kind: "audit", env: "production", since: "yesterday" }],
  ["audit", { kind: "audit" }],
  ["show the audit log for staging in the last 24h", { kind: "audit", env: "staging", since: "24h" }],
  ["audit since 2026-11-01", { kind: "audit", since: "2026-11-01" }],
  ["audit prod since Last Week", { kind: "audit", env: "production", since: "last week" }],
  ["who deployed production yesterday?", { kind: "audit", env: "production", since: "yesterday" }],
  ["check the audit", { kind: "audit" }],
  ["audti prod", { kind: "audit", env: "production" }],
  // apply
  ["apply", { kind: "apply" }],
  ["yes", { kind: "apply" }],
  ["Yes please!", { kind: "apply" }],
  ["go", { kind: "apply" }],
  ["ship it", { kind: "apply" }],
  ["do it", { kind: "apply" }],
  ["ok, apply the plan", { kind: "apply" }],
  // approve / reject
  ["approve", { kind: "approve" }],
  ["approve 4821", { kind: "approve", code: "4821" }],
  ["Approve run 482193 please", { kind: "approve", code: "482193" }],
  ["approve the production deploy", { kind: "approve" }],
  ["YES 4821", { kind: "approve", code: "4821" }],
  ["reject", { kind: "reject" }],
  ["no 4821", { kind: "reject", code: "4821" }],
  ["deny 4821", { kind: "reject", code: "4821" }],
  // cancel
  ["cancel", { kind: "cancel" }],
  ["nevermind", { kind: "cancel" }],
  ["never mind", { kind: "cancel" }],
  ["abort", { kind: "cancel" }],
  ["cancel the production deploy", { kind: "cancel" }],
  ["no", { kind: "cancel" }],
  ["nope, forget it", { kind: "cancel" }],
  // help
  ["help", { kind: "help" }],
  ["what can you do?", { kind: "help" }],
  ["How do I deploy staging?", { kind: "help" }],
  ["hi", { kind: "help" }],
  ["?", { kind: "help" }],
  // run controls and alert subscriptions
  ["text me if the canary looks weird", { kind: "subscribe" }],
  ["Text me if the canary on prod looks weird or if a rollback triggers", { kind: "subscribe", env: "production" }],
  ["stop the backfill", { kind: "stop" }],
  ["halt the canary on production", { kind: "stop", env: "production" }],
  ["resume the backfill", { kind: "resume" }],
  ["promote now", { kind: "promote" }],
  ["promote the canary on prod", { kind: "promote", env: "production" }],
  // desired state
  ["create production from staging", { kind: "create-env", env: "production", from: "staging" }],
  ["Create prod from stage", { kind: "create-env", env: "production", from: "staging" }],
  ["create invoice-perfect:qa from invoice-perfect:staging", { kind: "create-env", env: "qa", from: "staging" }],
  ["what differs between staging and production?", { kind: "compare", env: "staging", other: "production" }],
  ["show the last change to production", { kind: "last-change", env: "production" }],
  ["bootstrap local", { kind: "bootstrap", env: "local" }],
  ["provision production from staging", { kind: "setup", env: "production", from: "staging" }],
  [
    "backfill timezone in staging at 500 users/min",
    { kind: "backfill", env: "staging", job: "backfillTimezone", ratePerMinute: 500 },
  ],
  [
    "backfill timezone on prod at 500 users/min, dry run",
    { kind: "backfill", env: "production", job: "backfillTimezone", ratePerMinute: 500, dryRun: true },
  ],
  ["how is the backfill going?", { kind: "progress" }],
  ["how is the backfill going in staging?", { kind: "progress", env: "staging" }],
  ["Add Redis to staging", { kind: "component", action: "add", component: "redis", env: "staging" }],
  ["Remove Redis from staging.", { kind: "component", action: "remove", component: "redis", env: "staging" }],
  [
    "resize Postgres on production to medium",
    { kind: "component", action: "resize", component: "postgres", size: "medium", env: "production" },
  ],
  [
    "make staging's redis large",
    { kind: "component", action: "resize", component: "redis", size: "large", env: "staging" },
  ],
  [
    "scale postgres in staging to large",
    { kind: "component", action: "resize", component: "postgres", size: "large", env: "staging" },
  ],
];

/** Things the language layer must not act on (it asks, refuses or falls back instead). */
const NOT_COMMANDS = [
  // Environments that don't exist are asked about, never created or guessed.
  "deploy to qa",
  "ROLLBACK qa",
  "status qa",
  "set up qa",
  "don't deploy production",
  "please do not deploy staging yet",
  "not now",
  "deploy",
  "deploy it",
  "rollback to v3",
  "status",
  "ok",
  "okay thanks",
  "callback production",
  "deploy staging at 5pm",
  "deploy production tonight",
  "what's up",
  "deploy production with canary 0/50/100",
  "deploy production with canary 10/50/150",
  "apple",
  "aprove 4821",
  "resize postgres on staging",
  "",
  "   ",
];

describe("parseIntent", () => {
  it("yields one component intent per environment, in the order named", () => {
    expect(parseIntents("add Redis to staging and production")).toEqual([
      { kind: "component", action: "add", component: "redis", env: "staging" },
      { kind: "component", action: "add", component: "redis", env: "production" },
    ]);
  });

  it.each(PHRASINGS)("understands %j", (text, expected) => {
    expect(parseIntent(text)).toEqual(expected);
  });

  it.each(NOT_COMMANDS)("does not act on %j", (text) => {
    expect(parseIntents(text)).toEqual([]);
  });

  it("reads several requests in one message, in order", () => {
    expect(parseIntents("rollback production; deploy staging")).toEqual([
      { kind: "rollback", env: "production" },
      deploy("staging"),
    ]);
  });

  it("yields one intent per environment, in the order named", () => {
    expect(parseIntents("deploy v3 to staging and production")).toEqual([
      deploy("staging", { ref: "v3" }),
      deploy("production", { ref: "v3" }),
    ]);
    expect(parseIntents("status of prod and stage")).toEqual([
      { kind: "status", env: "production" },
      { kind: "status", env: "staging" },
    ]);
    expect(parseIntent("deploy staging and production")).toEqual(deploy("staging"));
  });

  it("prefers the environment after a preposition over an adjective-like mention", () => {
    expect(parseIntents("deploy my local changes to staging")).toEqual([deploy("staging")]);
  });

  it("keeps a ref's case and an ISO timestamp's T and Z", () => {
    expect(parseIntent("deploy staging at ABCdef1")).toEqual(deploy("staging", { ref: "ABCdef1" }));
    expect(parseIntent("audit since 2026-11-01T10:00:00Z")).toEqual({ kind: "audit", since: "2026-11-01T10:00:00Z" });
  });

  it("never throws and always returns a valid Intent, even for junk", () => {
    const junk = [
      "🚀🚀🚀 deploy 🔥",
      "\u0000\u0001\u0002",
      "\ud800 lone surrogate \udfff",
      "constructor",
      "__proto__ toString hasOwnProperty",
      "deploy constructor:__proto__",
      "deploy to ".repeat(40),
      "x".repeat(100_000),
      `deploy staging ${"a".repeat(490)}`,
      `deploy a:${"b".repeat(150)}`,
      "canary ".repeat(60) + "1/".repeat(30),
      "السلام عليكم",
      "部署 staging",
      "deploy\tstaging\nplease",
      "'\"`;DROP TABLE runs;--",
      ...Array.from({ length: 300 }, (_, i) => randomText(i)),
    ];
    for (const text of junk) for (const each of parseIntents(text)) expect(Intent.safeParse(each).success).toBe(true);
  });

  it("acts on nothing for non-strings instead of throwing", () => {
    expect(parseIntents(undefined as unknown as string)).toEqual([]);
    expect(parseIntents(42 as unknown as string)).toEqual([]);
  });

  it("treats very long messages as not a command", () => {
    expect(parseIntents(`deploy production ${"and also ".repeat(120)}`)).toEqual([]);
  });

  it("reads every table phrasing into something Intent.parse accepts unchanged", () => {
    for (const [text] of PHRASINGS)
      for (const intent of parseIntents(text)) expect(Intent.parse(intent)).toEqual(intent);
  });
});

describe("helpText", () => {
  it("gives examples that the parser itself understands", () => {
    const examples = helpText()
      .split("\n")
      .filter((line) => line.startsWith("• "))
      .flatMap((line) => line.slice(line.indexOf(": ") + 2).split(" · "))
      .map((example) => example.replace(/\s*\(.*\)$/, ""));
    expect(examples.length).toBeGreaterThanOrEqual(10);
    for (const example of examples) expect(parseIntents(example), example).not.toEqual([]);
  });
});

/** Deterministic pseudo-random text over keywords, digits, punctuation and emoji. */
function randomText(seed: number): string {
  const alphabet = [
    "deploy",
    "prod",
    "staging",
    "to",
    "at",
    "canary",
    "10/50",
    "%",
    "v3",
    "since",
    "yes",
    "no",
    "🙂",
    ":",
    "/",
    ",",
    "roll",
    "back",
    "999",
    "-",
    "audit",
    "don't",
    "approve",
  ];
  let state = seed * 7919 + 17;
  const next = () => (state = (state * 1103515245 + 12345) % 2147483648);
  return Array.from({ length: 1 + (next() % 12) }, () => alphabet[next() % alphabet.length]).join(
    next() % 2 ? " " : "",
  );
}
