/**
 * Issue #17 end to end through POST /api/chat: every message of the issue's first list gets the right plan,
 * answer or question; bare "deploy" asks and "staging" answers it in the same conversation; "deploy just the
 * api" deploys api and its migration only (the sandbox's deployments prove web and cron untouched); a sha is
 * looked up in the repository of its service; run history, the last failure and promotions by chat.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { isTerminal } from "../../src/domain/run";
import { api, deploymentsOf, driveRun, makeUser, seedWorld } from "./helpers";

interface Reply {
  text: string;
  question?: { slot: string; text: string; options?: string[] };
  plan?: any;
  run?: any;
}
interface Chat {
  conversationId: string;
  replies: Reply[];
}

let ids: Awaited<ReturnType<typeof seedWorld>>;
let admin: Awaited<ReturnType<typeof makeUser>>;
beforeAll(async () => {
  ids = await seedWorld();
  admin = await makeUser("admin", "+15550001717");
});

/** Says a message (in a fresh conversation unless one is given); a run it started is driven to its end. */
async function say(message: string, conversationId?: string, token = admin.token): Promise<Chat> {
  const res = await api(token, "POST", "/api/chat", { message, conversationId });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  for (const reply of res.body.replies as Reply[])
    if (reply.run && !isTerminal(reply.run.status) && reply.run.status !== "awaiting-approval") {
      const envId = reply.run.env === "invoice-perfect:staging" ? ids.staging : ids.production;
      reply.run = await driveRun(admin.token, reply.run.id, envId);
    }
  return res.body;
}

const servicesDeployed = (plan: any) =>
  plan.steps
    .filter((s: { kind: string }) => s.kind === "deploy-service")
    .map((s: { params?: any; summary: string }) => s.summary);

/** Each row: the message, and what its reply must show. */
type Check = (chat: Chat) => void | Promise<void>;
const ISSUE_LIST: [miss: string, message: string, check: Check][] = [
  [
    "rollback in other words",
    "put prod back on the last release",
    ({ replies }) => {
      // Production's only release is the one it runs: the rollback planner says so (it was read as one).
      expect(replies[0].text).toBe("I can't do that: invoice-perfect:production has no release before v1");
    },
  ],
  [
    "incidents",
    "what's broken?",
    ({ replies }) => expect(replies[0].text).toMatch(/^(No open incidents\.|Open incidents:)/),
  ],
  [
    "run history",
    "list recent runs",
    ({ replies }) => expect(replies[0].text).toMatch(/^(Runs \(newest first\):|No runs\.)/),
  ],
  [
    "components said casually",
    "can we get a redis cache on staging",
    ({ replies }) => {
      expect(replies[0].plan).toMatchObject({ type: "reconcile", env: "invoice-perfect:staging" });
      expect(replies[0].plan.params).toMatchObject({ action: "add", component: "redis" });
    },
  ],
  [
    "environment cloning",
    "clone staging as demo",
    ({ replies }) => expect(replies[0].text).toMatch(/^Created invoice-perfect:demo from invoice-perfect:staging/),
  ],
  [
    "local bootstrap",
    "set me up locally",
    ({ replies }) => expect(replies[0].text).toMatch(/^Local stack for invoice-perfect:local is ready/),
  ],
  [
    "secret rotation",
    "rotate the stripe key on prod",
    ({ replies }) => {
      expect(replies[0].question).toMatchObject({ slot: "secret-value" });
      expect(replies[0].text).toMatch(/^What is the new value of STRIPE_SECRET_KEY on invoice-perfect:production\?/);
    },
  ],
  [
    "backfill controls",
    "pause the backfill on staging",
    ({ replies }) => expect(replies[0].text).toBe("There is no run to stop on invoice-perfect:staging."),
  ],
  [
    "backfill controls",
    "resume the backfill",
    ({ replies }) => expect(replies[0].text).toBe("There is no run to resume in this conversation."),
  ],
  ["nvm cancel", "nvm cancel", ({ replies }) => expect(replies[0].text).toBe("Nothing to cancel.")],
  [
    "free words are not refs",
    "push the latest build out to staging",
    ({ replies }) => {
      expect(replies[0].plan).toMatchObject({ type: "deploy", env: "invoice-perfect:staging", params: {} });
      expect(replies[0].run.status).toBe("succeeded");
    },
  ],
  [
    "deploy just the api",
    "deploy just the api to staging",
    ({ replies }) => {
      expect(replies[0].plan.params).toEqual({ services: ["api"] });
      expect(servicesDeployed(replies[0].plan)).toEqual([expect.stringMatching(/^Deploy api at /)]);
    },
  ],
  [
    "20% canary then 100%",
    "deploy prod with a 20% canary then 100%",
    ({ replies }) => {
      expect(replies[0].plan).toMatchObject({ type: "deploy", env: "invoice-perfect:production" });
      expect(replies[0].plan.params).toEqual({ canary: [20, 100] });
      const weights = replies[0].plan.steps.filter((s: { kind: string }) => s.kind === "canary-step");
      expect(weights.map((s: { summary: string }) => /Canary (\d+)%/.exec(s.summary)?.[1])).toEqual(["20", "100"]);
    },
  ],
  [
    "backfill timezones",
    "backfill timezones on staging",
    ({ replies }) => expect(replies[0].plan).toMatchObject({ type: "backfill", params: { job: "backfillTimezone" } }),
  ],
  [
    "a phone number in the message",
    "text +1 415 555 0134 if production breaks",
    ({ replies }) => expect(replies[0].text).toMatch(/^I'll text \+14155550134 about invoice-perfect:production/),
  ],
  [
    "the audit chain",
    "is the audit chain intact?",
    ({ replies }) => expect(replies[0].text).toMatch(/^Every audit chain is intact: \d+ events? verified/),
  ],
  [
    "unknown service, never ignored",
    "rollback payments-service in prod",
    ({ replies }) => {
      expect(replies[0].text).toMatch(/^There is no service payments-service in invoice-perfect \(api, web, cron\)/);
      expect(replies[0].plan).toBeUndefined();
    },
  ],
  [
    "no new environment from 'the other one'",
    "deploy to the other one",
    ({ replies }) => {
      expect(replies[0].question?.slot).toBe("env");
      expect(replies[0].question?.options?.slice(0, 2)).toEqual(["staging", "production"]);
      expect(replies[0].plan).toBeUndefined();
    },
  ],
  [
    "no new environment from a typo",
    "deploy to qa2",
    async ({ replies }) => {
      expect(replies[0].text).toMatch(/^No environment qa2 .*Or say 'create qa2 from staging'\./);
      expect(replies[0].question?.options).toContain("create qa2 from staging");
      expect((await api(admin.token, "GET", "/api/envs/invoice-perfect:qa2")).status).toBe(404);
    },
  ],
  [
    "a secret is set, never echoed",
    "set STRIPE_SECRET_KEY=sk_test_4eC39HqLyjWDarjtT1zdp7dc on staging",
    ({ replies }) => {
      expect(replies[0].text).toMatch(
        /^Stored encrypted as secretref:\/\/invoice-perfect\/staging\/STRIPE_SECRET_KEY\./,
      );
      expect(JSON.stringify(replies)).not.toContain("sk_test_4eC39HqLyjWDarjtT1zdp7dc");
    },
  ],
  [
    "bare deploy asks",
    "deploy",
    ({ replies }) => {
      // Every environment a deploy can go to ("demo" was cloned above), never the local one.
      expect(replies[0].question).toMatchObject({
        slot: "env",
        text: expect.stringMatching(/^Which environment\? staging · production/),
      });
      expect(replies[0].question?.options?.slice(0, 2)).toEqual(["staging", "production"]);
      expect(replies[0].question?.options).not.toContain("local");
    },
  ],
  ["bare rollback asks", "rollback", ({ replies }) => expect(replies[0].question?.slot).toBe("env")],
  ["bare run migrations asks", "run migrations", ({ replies }) => expect(replies[0].question?.slot).toBe("env")],
];

describe("issue #17's first list, end to end through POST /api/chat", { timeout: 60_000 }, () => {
  it.each(ISSUE_LIST)("%s: %j", async (_miss, message, check) => {
    await check(await say(message));
  });
});

describe("clarifying questions in a conversation", { timeout: 60_000 }, () => {
  it('bare "deploy" asks which environment; "staging" gives the staging plan in the same conversation', async () => {
    const asked = await say("deploy");
    expect(asked.replies).toHaveLength(1);
    expect(asked.replies[0].question?.options).toEqual(expect.arrayContaining(["staging", "production"]));
    expect(asked.replies[0].plan).toBeUndefined();
    const answered = await say("staging", asked.conversationId);
    expect(answered.replies[0].plan).toMatchObject({ type: "deploy", env: "invoice-perfect:staging" });
    expect(answered.replies[0].run.status).toBe("succeeded");
    // The question is answered: the same word again is a status question, not another deploy.
    const again = await say("staging", asked.conversationId);
    expect(again.replies[0].plan).toBeUndefined();
    expect(again.replies[0].text).toMatch(/invoice-perfect:staging/);
  });

  it("an answer that is a request of its own is read as one, and the question is dropped", async () => {
    const asked = await say("rollback");
    const other = await say("status of production", asked.conversationId);
    expect(other.replies[0].text).toMatch(/invoice-perfect:production/);
    expect(other.replies[0].plan).toBeUndefined();
    expect((await say("staging", asked.conversationId)).replies[0].plan).toBeUndefined();
  });
});

describe("deploying some services", { timeout: 60_000 }, () => {
  it("deploy just the api to staging: api and its migration only; web and cron untouched at the provider", async () => {
    const count = async (service: string) => (await deploymentsOf("staging", service)).length;
    const before = {
      api: await count("api"),
      migrate: await count("api-migrate"),
      web: await count("web"),
      cron: await count("cron"),
    };
    const { replies } = await say("deploy just the api to staging");
    expect(replies[0].plan.steps.map((s: { kind: string }) => s.kind)).toEqual([
      "resolve-ref",
      "preflight",
      "reconcile-shape",
      "reconcile-config",
      "migrate",
      "deploy-service",
      "verify-health",
      "finalize-release",
    ]);
    expect(replies[0].plan.risk.notes).toContain("only api: web, cron stay as deployed");
    expect(replies[0].run.status, JSON.stringify(replies[0].run)).toBe("succeeded");
    expect(await count("api")).toBe(before.api + 1);
    expect(await count("api-migrate")).toBe(before.migrate + 1);
    expect(await count("web")).toBe(before.web);
    expect(await count("cron")).toBe(before.cron);
    // The release records the new api and keeps web and cron at what they run.
    const release = (await api(admin.token, "GET", "/api/envs/invoice-perfect:staging")).body.environment
      .currentRelease;
    const webNow = (await deploymentsOf("staging", "web"))[0];
    expect(release.services.web.commitSha).toBe(webNow.commitSha);
  });

  it("a sha is looked up in its service's repository; without the service the reply says where it is", async () => {
    const [commit] = (await api(null, "POST", "/sandbox/commits", { service: "api", message: "api only fix" })).body
      .commits as { repo: string; sha: string }[];
    expect(commit.repo).toBe("invoice-perfect/api");
    const sha = commit.sha.slice(0, 7);
    const named = await say(`deploy api at ${sha} to staging`);
    expect(named.replies[0].plan.params).toEqual({ ref: sha, services: ["api"] });
    const pinned = named.replies[0].plan.steps.find((s: { kind: string }) => s.kind === "resolve-ref");
    expect(pinned.summary).toMatch(new RegExp(`api api only fix \\(${sha}\\)`));
    const bare = await say(`deploy ${sha} to staging`);
    expect(bare.replies[0].plan).toBeUndefined();
    expect(bare.replies[0].text).toBe(
      `I can't do that: ref "${sha}" is in the repository of api only, not in invoice-perfect/web, invoice-perfect/cron: say which services to deploy at it, e.g. "deploy api at ${sha}"`,
    );
  });
});

describe("run history and failures by chat", { timeout: 60_000 }, () => {
  it("lists runs, what waits for approval and what is running; explains the last failure with its step and error", async () => {
    const listed = await say("list recent runs");
    expect(listed.replies[0].text).toMatch(
      /^Runs \(newest first\):\n {2}run_\w+ deploy invoice-perfect:staging succeeded/,
    );

    const planned = await say("deploy production");
    await say("apply", planned.conversationId);
    const waiting = await say("what's waiting on approval?");
    expect(waiting.replies[0].text).toMatch(
      /^Runs waiting for approval \(newest first\):\n {2}run_\w+ deploy invoice-perfect:production awaiting-approval/,
    );
    expect((await say("any deploys running?")).replies[0].text).toBe("No deploy runs running.");

    const fault = await api(null, "POST", "/sandbox/faults", {
      kind: "deploy",
      env: "staging",
      service: "web",
      fail: "build",
    });
    expect(fault.status).toBe(201);
    const failed = await say("deploy staging");
    expect(failed.replies[0].run.status).toBe("failed");
    await api(null, "DELETE", "/sandbox/faults");
    const why = await say("why did the last deploy fail?");
    const step = failed.replies[0].run.steps.find((s: { status: string }) => s.status === "failed");
    expect(why.replies[0].text).toContain(
      `The last failed deploy on invoice-perfect:staging was ${failed.replies[0].run.id} (failed`,
    );
    expect(why.replies[0].text).toContain(`"${step.summary}"`);
    expect(why.replies[0].text).toContain(step.error);
  });

  it("promote staging to production: production's plan pins staging's current commits, service by service", async () => {
    const staging = (await api(admin.token, "GET", "/api/envs/invoice-perfect:staging")).body.environment
      .currentRelease;
    const { replies } = await say("promote staging to production");
    expect(replies[0].text).toMatch(
      new RegExp(`^Promoting invoice-perfect:staging's release ${staging.version} to invoice-perfect:production`),
    );
    expect(replies[0].plan).toMatchObject({
      type: "deploy",
      env: "invoice-perfect:production",
      requiresApproval: true,
    });
    const refs = replies[0].plan.params.refs as Record<string, string>;
    for (const service of ["api", "web", "cron"]) expect(refs[service]).toBe(staging.services[service].commitSha);
  });
});

describe("desired state by chat needs the REST role", { timeout: 60_000 }, () => {
  it("a deployer may not add redis, switch auto-apply or store a monitoring rule; an admin may", async () => {
    const deployer = await makeUser("deployer");
    for (const message of [
      "add redis to staging",
      "turn off auto-apply on staging",
      "if we see repeated 500s after deploy on staging, rollback",
    ]) {
      const res = await api(deployer.token, "POST", "/api/chat", { message });
      expect(res.body.replies[0].text, message).toMatch(
        /^I can't do that: role "deployer" may not manage-environments/,
      );
      expect(res.body.replies[0].plan, message).toBeUndefined();
    }
    // Deploying stays a deployer's job.
    const deployed = await api(deployer.token, "POST", "/api/chat", { message: "deploy just the web to staging" });
    expect(deployed.body.replies[0].plan).toMatchObject({ type: "deploy", params: { services: ["web"] } });
    if (deployed.body.replies[0].run) await driveRun(admin.token, deployed.body.replies[0].run.id, ids.staging);
  });

  it("stop texting me about staging unsubscribes", async () => {
    await say("text me about staging");
    const stopped = await say("stop texting me about staging");
    expect(stopped.replies[0].text).toBe("I'll stop texting +15550001717 about invoice-perfect:staging.");
    const rows = await env.DB.prepare("SELECT phone FROM alert_subscriptions WHERE env_id = ? AND phone = ?")
      .bind(ids.staging, "+15550001717")
      .all();
    expect(rows.results).toEqual([]);
    expect((await say("stop texting me about staging")).replies[0].text).toMatch(/nothing changed/);
  });
});
