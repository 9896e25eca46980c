/**
 * The chat phrasing table (issue #7): what users type for each spec user story (SPEC §3) and every example
 * in API.md "Chat", with typos, casing, combined requests and relative times, and the intents each must
 * become. Shared by the parser test (chat-phrasings.test.ts) and the mock-LLM test (chat-llm.test.ts).
 */
import type { Intent } from "../../src/domain/intent";

export interface Phrasing {
  /** which user story or API example the phrasing belongs to */
  story: string;
  text: string;
  intents: Intent[];
}

const deploy = (env: string, params: Record<string, unknown> = {}): Intent => ({ kind: "deploy", env, params });
const component = (action: "add" | "remove", name: "redis" | "postgres" | "storage", env: string): Intent => ({
  kind: "component",
  action,
  component: name,
  env,
});

const rows: [story: string, text: string, intents: Intent[]][] = [
  // SPEC §3.1 setup (the multi-environment setup conversation is the question tree's; these are its one-line forms)
  ["setup", "create production from staging", [{ kind: "create-env", env: "production", from: "staging" }]],
  ["setup", "Create PROD from stage", [{ kind: "create-env", env: "production", from: "staging" }]],
  ["setup", "bootstrap local", [{ kind: "bootstrap", env: "local" }]],
  ["setup", "bootstrap the local stack please", [{ kind: "bootstrap", env: "local" }]],
  ["setup", "set up staging", [{ kind: "setup", env: "staging" }]],
  ["setup", "provision production from staging", [{ kind: "setup", env: "production", from: "staging" }]],
  // SPEC §3.2 deploy
  ["deploy", "deploy staging", [deploy("staging")]],
  ["deploy", "Deploy staging.", [deploy("staging")]],
  ["deploy", "DEPLOY STAGING", [deploy("staging")]],
  ["deploy", "deplyo stagign", [deploy("staging")]],
  ["deploy", "pls ship stg", [deploy("staging")]],
  ["deploy", "deploy production with canary 10/50/100", [deploy("production", { canary: [10, 50, 100] })]],
  ["deploy", "Deploy Production With Canary 10/50/100", [deploy("production", { canary: [10, 50, 100] })]],
  ["deploy", "deploy prod w/ canary 10 50 100", [deploy("production", { canary: [10, 50, 100] })]],
  ["deploy", "deploy production using a 10/50/100 canary", [deploy("production", { canary: [10, 50, 100] })]],
  ["deploy", "depoly prodution with a 5/25/100 canary", [deploy("production", { canary: [5, 25, 100] })]],
  [
    "deploy",
    "deploy v1.4.2 to production with canary 10/50/100",
    [deploy("production", { ref: "v1.4.2", canary: [10, 50, 100] })],
  ],
  ["deploy", "deploy commit abc1234 to staging", [deploy("staging", { ref: "abc1234" })]],
  ["deploy", "deploy staging and production", [deploy("staging"), deploy("production")]],
  ["deploy", "deploy to staging + prod", [deploy("staging"), deploy("production")]],
  // SPEC §3.3 migrate
  ["migrate", "run migrations on staging", [{ kind: "migrate", env: "staging" }]],
  ["migrate", "Run migrations on staging.", [{ kind: "migrate", env: "staging" }]],
  ["migrate", "run migration on stagin", [{ kind: "migrate", env: "staging" }]],
  ["migrate", "run db migrations on prod", [{ kind: "migrate", env: "production" }]],
  [
    "migrate",
    "run migrations on staging and production",
    [
      { kind: "migrate", env: "staging" },
      { kind: "migrate", env: "production" },
    ],
  ],
  ["migrate", "Deploy production and run migrations first.", [deploy("production", { migrateFirst: true })]],
  ["migrate", "deploy prod, run migrations first", [deploy("production", { migrateFirst: true })]],
  ["migrate", "migrate then deploy production", [deploy("production", { migrateFirst: true })]],
  [
    "migrate",
    "deploy prod with a 5/25/100 canary and migrations first",
    [deploy("production", { canary: [5, 25, 100], migrateFirst: true })],
  ],
  ["migrate", "deploy staging without migrations", [deploy("staging", { migrateFirst: false })]],
  // SPEC §3.4 backfill
  [
    "backfill",
    "Add timezone column and backfill timezone from address in staging; then do production at 500 users/min.",
    [
      { kind: "migrate", env: "staging", expandOnly: true },
      { kind: "backfill", env: "staging", job: "backfillTimezone", chained: true },
      { kind: "backfill", env: "production", job: "backfillTimezone", ratePerMinute: 500, chained: true },
    ],
  ],
  [
    "backfill",
    "backfill timezone in staging at 500 users/min",
    [{ kind: "backfill", env: "staging", job: "backfillTimezone", ratePerMinute: 500 }],
  ],
  [
    "backfill",
    "Backfill timezone on production at 500 users per minute",
    [{ kind: "backfill", env: "production", job: "backfillTimezone", ratePerMinute: 500 }],
  ],
  [
    "backfill",
    "backfill timezone in prod at 500 users/min, dry run",
    [{ kind: "backfill", env: "production", job: "backfillTimezone", ratePerMinute: 500, dryRun: true }],
  ],
  ["backfill", "stop the backfill", [{ kind: "stop" }]],
  ["backfill", "pause the backfill on staging", [{ kind: "stop", env: "staging" }]],
  ["backfill", "resume the backfill", [{ kind: "resume" }]],
  ["backfill", "how's the backfill going?", [{ kind: "progress" }]],
  // SPEC §3.5 rollback
  ["rollback", "rollback production to the previous release", [{ kind: "rollback", env: "production" }]],
  ["rollback", "Rollback production to the previous release.", [{ kind: "rollback", env: "production" }]],
  ["rollback", "roll back prod", [{ kind: "rollback", env: "production" }]],
  ["rollback", "roll production back", [{ kind: "rollback", env: "production" }]],
  ["rollback", "rollbak prod to v3", [{ kind: "rollback", env: "production", toRelease: "v3" }]],
  ["rollback", "undo the last deploy on production", [{ kind: "rollback", env: "production" }]],
  [
    "rollback",
    "rollback prod and stage",
    [
      { kind: "rollback", env: "production" },
      { kind: "rollback", env: "staging" },
    ],
  ],
  // SPEC §3.6 infra edit
  [
    "infra edit",
    "add Redis to staging and production",
    [component("add", "redis", "staging"), component("add", "redis", "production")],
  ],
  [
    "infra edit",
    "Add Redis to staging and production.",
    [component("add", "redis", "staging"), component("add", "redis", "production")],
  ],
  [
    "infra edit",
    "add redis to staging, then prod",
    [component("add", "redis", "staging"), component("add", "redis", "production")],
  ],
  ["infra edit", "Add a redis cache to STAGING", [component("add", "redis", "staging")]],
  ["infra edit", "Remove Redis from staging.", [component("remove", "redis", "staging")]],
  ["infra edit", "remove redis from stagin", [component("remove", "redis", "staging")]],
  ["infra edit", "drop postgres from staging", [component("remove", "postgres", "staging")]],
  // SPEC §3.7 alerting
  ["alerting", "text me if the canary looks weird", [{ kind: "subscribe" }]],
  ["alerting", "Text me if the canary looks weird or if a rollback triggers.", [{ kind: "subscribe" }]],
  ["alerting", "notify me if the production canary fails", [{ kind: "subscribe", env: "production" }]],
  ["alerting", "page me when a rollback triggers", [{ kind: "subscribe" }]],
  // SPEC §3.8 remediation (a stored monitoring rule; bounded remediation actions)
  [
    "remediation",
    "If we see repeated 500s after deploy, rollback and open an incident bundle with logs and diffs.",
    [
      {
        kind: "monitor-rule",
        env: "production",
        when: "repeated-5xx-after-deploy",
        then: "rollback",
        text: "if we see repeated 500s after deploy rollback and open an incident bundle with logs and diffs",
      },
    ],
  ],
  [
    "remediation",
    "restart api on production",
    [{ kind: "remediate", env: "production", action: "restart", service: "api" }],
  ],
  [
    "remediation",
    "pause the cron on prod",
    [{ kind: "remediate", env: "production", action: "disable-cron", service: "cron" }],
  ],
  // run controls
  ["canary control", "promote now", [{ kind: "promote" }]],
  ["canary control", "halt the canary on prod", [{ kind: "stop", env: "production" }]],
  // status
  ["status", "status of production", [{ kind: "status", env: "production" }]],
  ["status", "STATUS prod", [{ kind: "status", env: "production" }]],
  ["status", "how is production doing?", [{ kind: "status", env: "production" }]],
  ["status", "is staging up?", [{ kind: "status", env: "staging" }]],
  ["status", "statsu of prodution", [{ kind: "status", env: "production" }]],
  [
    "status",
    "status of prod and stage",
    [
      { kind: "status", env: "production" },
      { kind: "status", env: "staging" },
    ],
  ],
  // audit, with relative times
  [
    "audit",
    "show the audit for production since yesterday",
    [{ kind: "audit", env: "production", since: "yesterday" }],
  ],
  ["audit", "audit since yesterday", [{ kind: "audit", since: "yesterday" }]],
  ["audit", "Audit since Yesterday", [{ kind: "audit", since: "yesterday" }]],
  ["audit", "audti prod since last week", [{ kind: "audit", env: "production", since: "last week" }]],
  ["audit", "audit staging in the last 24h", [{ kind: "audit", env: "staging", since: "24h" }]],
  ["audit", "audit for the last 3 days", [{ kind: "audit", since: "3 days" }]],
  ["audit", "audit since 2 days ago", [{ kind: "audit", since: "2 days ago" }]],
  ["audit", "audit since monday", [{ kind: "audit", since: "monday" }]],
  ["audit", "audit since 2026-11-01", [{ kind: "audit", since: "2026-11-01" }]],
  ["audit", "show me what happened on staging today", [{ kind: "audit", env: "staging", since: "today" }]],
  ["audit", "who deployed production yesterday?", [{ kind: "audit", env: "production", since: "yesterday" }]],
  // plans and approvals
  ["confirm", "apply", [{ kind: "apply" }]],
  ["confirm", "Yes please!", [{ kind: "apply" }]],
  ["confirm", "ship it", [{ kind: "apply" }]],
  ["confirm", "cancel", [{ kind: "cancel" }]],
  ["confirm", "never mind", [{ kind: "cancel" }]],
  ["approve", "approve", [{ kind: "approve" }]],
  ["approve", "Approve 482193", [{ kind: "approve", code: "482193" }]],
  ["approve", "YES 482193", [{ kind: "approve", code: "482193" }]],
  ["approve", "reject 482193", [{ kind: "reject", code: "482193" }]],
  // desired state questions and help
  [
    "desired state",
    "what differs between staging and production?",
    [{ kind: "compare", env: "staging", other: "production" }],
  ],
  ["desired state", "show the last change to staging", [{ kind: "last-change", env: "staging" }]],
  ["help", "what can you do?", [{ kind: "help" }]],
  // issue #17: every capability the API has, by chat
  ["deploy", "deploy just the api to staging", [{ kind: "deploy", env: "staging", params: {}, services: ["api"] }]],
  ["deploy", "promote staging to production", [{ kind: "promote-release", env: "production", from: "staging" }]],
  ["runs", "list recent runs", [{ kind: "runs" }]],
  ["runs", "what's waiting on approval?", [{ kind: "runs", state: "awaiting-approval" }]],
  ["runs", "any deploys running?", [{ kind: "runs", state: "running", type: "deploy" }]],
  ["runs", "last 5 deploys to production", [{ kind: "runs", env: "production", type: "deploy", limit: 5 }]],
  ["incidents", "what's broken?", [{ kind: "incidents" }]],
  ["incidents", "why did the last deploy fail?", [{ kind: "explain-failure", type: "deploy" }]],
  ["incidents", "show incident inc_abc123", [{ kind: "incident", id: "inc_abc123" }]],
  ["incidents", "ack", [{ kind: "ack" }]],
  ["incidents", "adopt drift on staging", [{ kind: "drift", env: "staging", choice: "adopt" }]],
  ["audit", "is the audit chain intact?", [{ kind: "audit-verify" }]],
  ["secrets", "list secrets on staging", [{ kind: "secrets", env: "staging" }]],
  [
    "secrets",
    "set STRIPE_SECRET_KEY=sk_test_EXAMPLE000000000000000000 on staging",
    [{ kind: "set-secret", env: "staging", name: "STRIPE_SECRET_KEY", valueRef: "pending-secret:1" }],
  ],
  [
    "secrets",
    "rotate SENDGRID_API_KEY on production",
    [{ kind: "rotate-secret", env: "production", name: "SENDGRID_API_KEY" }],
  ],
  ["alerting", "stop texting me about staging", [{ kind: "unsubscribe", env: "staging" }]],
  [
    "alerting",
    "text +1 415 555 0134 about production",
    [{ kind: "subscribe", env: "production", phone: "+14155550134" }],
  ],
  ["infra edit", "turn off auto-apply on staging", [{ kind: "policy", env: "staging", autoApply: false }]],
];

export const PHRASINGS: readonly Phrasing[] = rows.map(([story, text, intents]) => ({ story, text, intents }));

/** The examples API.md "Chat" promises, verbatim; each must be in the table above. */
export const API_EXAMPLES = [
  "deploy staging",
  "deploy production with canary 10/50/100",
  "run migrations on staging",
  "rollback production to the previous release",
  "add Redis to staging and production",
  "create production from staging",
  "bootstrap local",
  "backfill timezone in staging at 500 users/min",
  "stop the backfill",
  "resume the backfill",
  "text me if the canary looks weird",
  "status of production",
  "approve",
  "show the audit for production since yesterday",
];
