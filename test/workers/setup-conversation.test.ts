/**
 * Acceptance 3–4 (issue #4): the setup sentence, answered one question at a time in chat, provisions
 * local, staging and production — services, components and bindings in the sandbox world, connections
 * verified, Stripe webhook endpoints with their signing secrets, SendGrid's domain records in Cloudflare —
 * while no question is asked twice and no secret value is stored anywhere in plaintext. A live Stripe key
 * offered for staging is refused, and re-running setup changes nothing that is already right.
 */
import { env, runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { applyAnswer, nextQuestion, parseSetupRequest, SetupAnswers } from "../../src/chat/setup-questions";
import { sandboxWorld } from "../../src/dev/wiring";
import { api, driveRun, makeUser } from "./helpers";

const SENTENCE =
  "Set up local, staging, production for Invoice Perfect on Railway. Use Cloudflare for DNS and canary. Connect Stripe + SendGrid.";
const TEST_KEY = "sk_test_setupConversation0001";
const LIVE_KEY = "sk_live_setupConversation0001";
const SENDGRID_KEY = "SG.setupConversation.keySecretPart0001";
const PHONE = "+15550000177";
const ANSWERS: Record<string, string> = {
  "source.api": "default",
  "source.web": "dockerfile",
  "source.cron": "default",
  "domains.staging": "default",
  "domains.production": "default",
  components: "redis and storage",
  "stripe.test": TEST_KEY,
  "stripe.live": LIVE_KEY,
  "sendgrid.key": SENDGRID_KEY,
  "sendgrid.sender": "billing@invoiceperfect.com",
  sms: PHONE,
};

type Reply = {
  text: string;
  question?: { slot: string; options?: string[] };
  plan?: { id: string; env: string; requiresApproval: boolean };
  run?: { id: string; status: string };
};
let admin: Awaited<ReturnType<typeof makeUser>>;
let approver: Awaited<ReturnType<typeof makeUser>>;

const chat = async (message: string, conversationId?: string) => {
  const res = await api(admin.token, "POST", "/api/chat", { message, ...(conversationId ? { conversationId } : {}) });
  expect(res.status, res.text).toBe(200);
  return res.body as { conversationId: string; replies: Reply[] };
};

/** Says the sentence, then answers each question from `answers` until none is left; returns what was asked and the final replies. */
async function converse(answers: Record<string, string>) {
  let turn = await chat(SENTENCE);
  const asked: string[] = [];
  for (let i = 0; i < 20 && turn.replies.at(-1)?.question; i++) {
    const slot = turn.replies.at(-1)!.question!.slot;
    asked.push(slot);
    expect(answers[slot], `unexpected question ${slot}: ${turn.replies.at(-1)!.text}`).toBeDefined();
    turn = await chat(answers[slot], turn.conversationId);
  }
  return { asked, turn };
}

const envId = async (name: string) =>
  (await api(admin.token, "GET", `/api/envs/invoice-perfect:${name}`)).body.environment.id as string;

/** Every Stripe signing secret the sandbox handed out (the provider's own state). */
async function signingSecrets(): Promise<string[]> {
  return runInDurableObject(sandboxWorld(env), (_instance, state) =>
    state.storage.sql
      .exec<{ secret: string }>("SELECT secret FROM stripe_webhook_endpoints")
      .toArray()
      .map((r) => r.secret),
  );
}

/** Every place a secret might leak into: transcript, conversation state, audit, R2 artifacts. */
async function persistedText(): Promise<string> {
  const rows = await Promise.all(
    [
      "SELECT text FROM messages",
      "SELECT state FROM conversations",
      "SELECT * FROM audit_events",
      "SELECT * FROM runs",
      "SELECT * FROM plans",
      "SELECT * FROM connections",
    ].map(async (q) => JSON.stringify((await env.DB.prepare(q).all()).results)),
  );
  const objects = await env.ARTIFACTS.list({ limit: 1000 });
  const artifacts = await Promise.all(objects.objects.map(async (o) => (await env.ARTIFACTS.get(o.key))?.text() ?? ""));
  expect(objects.objects.length).toBeGreaterThan(0);
  return [...rows, ...artifacts].join("\n");
}

beforeAll(async () => {
  // The provider world exists (repositories, the Railway project, the Cloudflare zone); the control plane knows nothing yet.
  await sandboxWorld(env).seedInvoicePerfect();
  admin = await makeUser("admin", PHONE);
  approver = await makeUser("admin");
});

describe("setup conversation", { timeout: 120_000 }, () => {
  it("asks only what it doesn't know, once each, and provisions local, staging and production with verified connections", async () => {
    const { asked, turn } = await converse(ANSWERS);
    expect(new Set(asked).size).toBe(asked.length);
    // The sentence named the project, Railway and Cloudflare: none of them is asked about.
    expect(asked).not.toContain("project");
    expect([...asked].sort()).toEqual(Object.keys(ANSWERS).sort());

    const plans = turn.replies.filter((r) => r.plan);
    expect(plans.map((r) => r.plan!.env)).toEqual([
      "invoice-perfect:local",
      "invoice-perfect:staging",
      "invoice-perfect:production",
    ]);
    const [local, staging, production] = plans;
    expect(local.run && staging.run).toBeTruthy();
    expect(production.plan!.requiresApproval).toBe(true);
    const applied = await chat("apply", turn.conversationId);
    const prodRun = applied.replies[0].run!;
    expect(prodRun.status).toBe("awaiting-approval");
    expect((await api(approver.token, "POST", `/api/runs/${prodRun.id}/approve`, {})).status).toBe(200);

    for (const [name, runId] of [
      ["local", local.run!.id],
      ["staging", staging.run!.id],
      ["production", prodRun.id],
    ] as const) {
      const run = await driveRun(admin.token, runId, await envId(name));
      expect(
        run.status,
        `${name}: ${JSON.stringify(run.steps.filter((s: { status: string }) => s.status !== "succeeded"))}`,
      ).toBe("succeeded");
    }

    const world = await sandboxWorld(env).state();
    for (const name of ["staging", "production"]) {
      const view = (await api(admin.token, "GET", `/api/envs/invoice-perfect:${name}`)).body.environment;
      expect(view.currentRelease).not.toBeNull();
      expect(view.spec.components).toMatchObject({
        postgres: { type: "postgres" },
        redis: { type: "redis" },
        storage: { type: "storage" },
      });
      expect(view.spec.services.web.build).toBe("dockerfile");
      expect(view.bindings.cloudflare?.zoneName).toBe("invoiceperfect.com");
      const railwayEnv = view.bindings.railway.environmentId;
      for (const service of ["api", "web", "cron", "api-migrate", "Postgres", "Redis"]) {
        const id = view.bindings.railway.services[service];
        expect(id, `${name} ${service} binding`).toBeTruthy();
        expect(
          world.instances.some(
            (i: { serviceId: string; environmentId: string }) => i.serviceId === id && i.environmentId === railwayEnv,
          ),
          `${name} ${service} in the world`,
        ).toBe(true);
      }
      const vars = await sandboxWorld(env).variablesOf(name, "api");
      expect(vars).toMatchObject({
        DATABASE_URL: "${{Postgres.DATABASE_URL}}",
        REDIS_URL: "${{Redis.REDIS_URL}}",
        SENDGRID_API_KEY: SENDGRID_KEY,
      });
      expect(vars.STRIPE_SECRET_KEY).toBe(name === "production" ? LIVE_KEY : TEST_KEY);
      expect(vars.STRIPE_WEBHOOK_SECRET).toMatch(/^whsec_/);
    }
    const endpoints = world.stripe.webhookEndpoints;
    expect(endpoints.map((e) => [e.url, e.livemode]).sort()).toEqual([
      ["https://api.invoiceperfect.com/webhooks/stripe", true],
      ["https://api.staging.invoiceperfect.com/webhooks/stripe", false],
      ["https://invoice-perfect-dev.example.com/webhooks/stripe", false],
    ]);
    for (const name of ["local", "staging", "production"]) {
      const secrets = (await api(admin.token, "GET", `/api/envs/invoice-perfect:${name}/secrets`)).body.secrets.map(
        (s: { name: string }) => s.name,
      );
      expect(secrets, name).toContain("STRIPE_WEBHOOK_SECRET");
    }
    // SendGrid's records went through the Cloudflare adapter, and SendGrid validated them.
    const cnames = world.cloudflare.dnsRecords.filter((r) => r.type === "CNAME" && /sendgrid\.net$/.test(r.content));
    expect(cnames.map((r) => r.name).sort()).toEqual([
      "em.invoiceperfect.com",
      "s1._domainkey.invoiceperfect.com",
      "s2._domainkey.invoiceperfect.com",
    ]);
    expect(cnames.every((r) => !r.proxied)).toBe(true);

    const connections = (await api(admin.token, "GET", "/api/projects/invoice-perfect/connections")).body
      .connections as { provider: string; status: string; metadata: any }[];
    const by = Object.fromEntries(connections.map((c) => [c.provider, c]));
    for (const provider of ["railway", "cloudflare", "stripe", "sendgrid"])
      expect(by[provider].status, provider).toBe("verified");
    expect(by.sendgrid.metadata.environments.production.checklist).toEqual({ recordsWritten: true, validated: true });
    expect(by.stripe.metadata.environments.production.mode).toBe("live");
    expect(by.stripe.metadata.environments.staging.mode).toBe("test");

    // No secret value anywhere we persist; the transcript keeps references instead.
    const stored = await persistedText();
    for (const secret of [TEST_KEY, LIVE_KEY, SENDGRID_KEY, ...(await signingSecrets())])
      expect(stored).not.toContain(secret);
    const transcript = (
      await env.DB.prepare("SELECT text FROM messages WHERE role = 'user'").all<{ text: string }>()
    ).results.map((r) => r.text);
    expect(transcript).toContain(
      "secretref://invoice-perfect/local/STRIPE_SECRET_KEY secretref://invoice-perfect/staging/STRIPE_SECRET_KEY",
    );
    expect(transcript).toContain("secretref://invoice-perfect/production/STRIPE_SECRET_KEY");
  });

  it("re-run: asks nothing already known and changes nothing that is right (one webhook endpoint per environment, same secrets)", async () => {
    const before = await sandboxWorld(env).state();
    const secretsBefore = (await api(admin.token, "GET", "/api/envs/invoice-perfect:staging/secrets")).body.secrets;
    const { asked, turn } = await converse({});
    expect(asked).toEqual([]);
    const [local, staging] = turn.replies.filter((r) => r.plan);
    for (const [name, reply] of [
      ["local", local],
      ["staging", staging],
    ] as const) {
      const run = await driveRun(admin.token, reply.run!.id, await envId(name));
      expect(
        run.status,
        `${name}: ${JSON.stringify(run.steps.filter((s: { status: string }) => s.status !== "succeeded"))}`,
      ).toBe("succeeded");
    }
    const after = await sandboxWorld(env).state();
    expect(after.stripe.webhookEndpoints.map((e) => e.id).sort()).toEqual(
      before.stripe.webhookEndpoints.map((e) => e.id).sort(),
    );
    expect(after.sendgrid.domains).toHaveLength(before.sendgrid.domains.length);
    expect((await api(admin.token, "GET", "/api/envs/invoice-perfect:staging/secrets")).body.secrets).toEqual(
      secretsBefore,
    );
    const creates = (await sandboxWorld(env).requests({ provider: "stripe", limit: 500 })).filter(
      (r) => r.method === "POST",
    );
    expect(creates.filter((r) => r.path === "/v1/webhook_endpoints")).toHaveLength(3);
  });

  it("refuses a live Stripe key for staging with the reason, stores nothing and keeps the key out of the transcript", async () => {
    let turn = await chat("Set up staging and production for Acme Billing on Railway. Connect Stripe.");
    for (let i = 0; i < 10 && turn.replies.at(-1)?.question?.slot !== "stripe.test"; i++)
      turn = await chat("default", turn.conversationId);
    expect(turn.replies.at(-1)?.question?.slot).toBe("stripe.test");
    const refused = await chat(LIVE_KEY.replace("0001", "0002"), turn.conversationId);
    const reply = refused.replies.at(-1)!;
    expect(reply.text).toMatch(/live Stripe keys are accepted only for production/);
    expect(reply.text).not.toContain("sk_live_");
    expect(reply.question?.slot).toBe("stripe.test");
    expect((await api(admin.token, "GET", "/api/envs/acme-billing:staging/secrets")).body.secrets).toEqual([]);
    expect(await persistedText()).not.toContain(LIVE_KEY.replace("0001", "0002"));
    const stripe = (await api(admin.token, "GET", "/api/projects/acme-billing/connections")).body.connections.find(
      (c: { provider: string }) => c.provider === "stripe",
    );
    expect(stripe.status).toBe("pending-auth");
  });
});

describe("setup question tree", () => {
  it.each([
    [
      SENTENCE,
      { projectName: "Invoice Perfect", envs: ["local", "staging", "production"], connections: ["stripe", "sendgrid"] },
    ],
    ["set up staging and prod", { envs: ["staging", "production"], connections: [] }],
    [
      "Provision Acme for Acme Billing with sms alerts",
      { projectName: "Acme Billing", envs: ["local", "staging", "production"], connections: ["twilio"] },
    ],
    ["set up production from staging", null],
    ["set up production", null],
    ["set up local", null],
    ["deploy staging and production", null],
  ])("reads %j", (text, expected) => {
    expect(parseSetupRequest(text)).toEqual(expected);
  });

  it("reads answers and says what was wrong with a bad one", () => {
    const facts = {
      request: { projectName: "Acme", envs: ["staging"] as "staging"[], connections: [] },
      services: { api: { repo: "acme/api", branch: "main", build: "railpack" as const } },
      defaultDomains: { staging: { api: "api.staging.acme.dev" } },
      storedSecrets: {},
      productionPhones: [],
    };
    const empty = SetupAnswers.parse({});
    const ok = (slot: string, text: string) => {
      const r = applyAnswer(facts, empty, slot, text);
      if (!r.ok) throw new Error(r.error);
      return r.answers;
    };
    expect(ok("source.api", "acme/api-v2@release dockerfile").sources.api).toEqual({
      repo: "acme/api-v2",
      branch: "release",
      build: "dockerfile",
    });
    expect(ok("domains.staging", "beta.acme.dev").domains.staging).toEqual({
      web: "beta.acme.dev",
      api: "api.beta.acme.dev",
    });
    expect(ok("domains.staging", "default").domains.staging).toEqual({ api: "api.staging.acme.dev" });
    expect(ok("components", "none").components).toEqual({ redis: false, storage: false });
    expect(ok("sendgrid.sender", "billing@acme.dev").senderDomain).toBe("acme.dev");
    expect(applyAnswer(facts, empty, "sms", "555-1234")).toEqual({ ok: false, error: expect.stringMatching(/E\.164/) });
    expect(applyAnswer(facts, empty, "source.api", "whatever you think")).toMatchObject({ ok: false });
    expect(nextQuestion(facts, empty)?.slot).toBe("source.api");
    expect(
      nextQuestion({ ...facts, services: {}, knownDomains: ["staging"], knownComponents: true }, empty),
    ).toBeNull();
  });
});
