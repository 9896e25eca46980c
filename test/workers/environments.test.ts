import { env, SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { controlContext } from "../../src/control/context";
import { reviseSpec } from "../../src/control/revisions";
import { invoicePerfectSpec } from "../../src/domain/template";
import { appServices, sandboxWorld } from "../../src/wiring";
import { api, driveRun, makeUser, seedWorld } from "./helpers";

let admin: Awaited<ReturnType<typeof makeUser>>;
beforeAll(async () => {
  await seedWorld();
  admin = await makeUser("admin");
});

describe("environments as desired state", { timeout: 30_000 }, () => {
  it("creates production from staging: same shape, production's own domains, scaling and policies, diff = exactly the overrides", async () => {
    const project = (
      await api(admin.token, "POST", "/api/projects", { name: "Acme Billing", template: "invoice-perfect" })
    ).body.project;
    expect(project.slug).toBe("acme-billing");
    const staging = await api(admin.token, "POST", `/api/projects/${project.id}/envs`, { name: "staging" });
    expect(staging.status).toBe(201);
    const chat = await api(admin.token, "POST", "/api/chat", {
      message: "create acme-billing:production from acme-billing:staging",
    });
    expect(chat.body.replies[0].text, chat.body.replies[0].text).toMatch(
      /Created acme-billing:production from acme-billing:staging/,
    );
    const prod = (await api(admin.token, "GET", "/api/envs/acme-billing:production")).body.environment;
    const stg = staging.body.environment;
    expect(prod.baseEnv).toBe("staging");
    expect(Object.keys(prod.spec.services)).toEqual(Object.keys(stg.spec.services));
    expect(Object.keys(prod.spec.components)).toEqual(Object.keys(stg.spec.components));
    const template = invoicePerfectSpec("production");
    expect(prod.spec.domains).toEqual(template.domains);
    expect(prod.spec.policies).toEqual(template.policies);
    expect(prod.spec.services.api.source).toEqual(stg.spec.services.api.source);
    expect(prod.spec.services.api.env).toEqual(stg.spec.services.api.env);
    const audit = (await api(admin.token, "GET", "/api/audit?env=acme-billing:production")).body.events;
    const created = audit.find((e: { action: string }) => e.action === "environment.created");
    const paths = (created.diffSummary as string).split("; ").map((p: string) => p.split(" ")[1]);
    expect(paths.length).toBeGreaterThan(0);
    for (const p of paths)
      expect(p, p).toMatch(/^(domains|policies)\.|^services\.[a-z]+\.replicas$|^components\.[a-z]+\.size$/);
    expect(paths).toContain("domains.api");
    expect(paths).toContain("policies.requireApproval");
    // And the reverse question is answered from the specs.
    const compare = await api(admin.token, "POST", "/api/chat", {
      message: "what differs between acme-billing:staging and acme-billing:production?",
    });
    expect(compare.body.replies[0].text).toMatch(/domains\.api/);
    expect(
      (
        await api(admin.token, "POST", "/api/chat", {
          message: "create acme-billing:production from acme-billing:staging",
        })
      ).body.replies[0].text,
    ).toMatch(/exists/);
  });

  it("records every change as a revision, shows the last change, and reverts to an earlier revision", async () => {
    const cx = controlContext(appServices(env), { id: admin.id, name: admin.name, role: "admin" });
    const { revision } = await reviseSpec(
      cx,
      "invoice-perfect:staging",
      (spec) => ({ ...spec, services: { ...spec.services, web: { ...spec.services.web, replicas: 3 } } }),
      "more web capacity",
    );
    expect(revision).toBeGreaterThan(1);
    const last = await api(admin.token, "POST", "/api/chat", {
      message: "show the last change to invoice-perfect:staging",
    });
    expect(last.body.replies[0].text).toMatch(/services\.web\.replicas: 1 → 3/);
    const revisions = (await api(admin.token, "GET", "/api/envs/invoice-perfect:staging/revisions")).body.revisions;
    expect(revisions[0]).toMatchObject({ revision, reason: "more web capacity", author: admin.id });

    const reverted = await api(
      admin.token,
      "POST",
      `/api/envs/invoice-perfect:staging/revisions/${revision - 1}/revert`,
      { reason: "too expensive" },
    );
    expect(reverted.status).toBe(201);
    expect(reverted.body.environment.revision).toBe(revision + 1);
    expect(reverted.body.environment.spec.services.web.replicas).toBe(1);
    const viewer = await makeUser("viewer");
    expect((await api(viewer.token, "POST", `/api/envs/invoice-perfect:staging/revisions/1/revert`, {})).status).toBe(
      403,
    );
    const audit = (await api(admin.token, "GET", "/api/audit?env=invoice-perfect:staging")).body.events;
    expect(audit.filter((e: { action: string }) => e.action === "spec.revised").length).toBeGreaterThanOrEqual(2);
  });

  it("serves the local bootstrap as one archive from chat and the API, with staging's variable names and no secret values", async () => {
    const chat = await api(admin.token, "POST", "/api/chat", { message: "bootstrap local" });
    expect(chat.body.replies[0].text).toMatch(/tar xz/);
    const res = await SELF.fetch("https://infra-chat.test/api/envs/invoice-perfect:local/bootstrap", {
      headers: { authorization: `Bearer ${admin.token}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/gzip");
    const tar = new Uint8Array(
      await new Response(res.body!.pipeThrough(new DecompressionStream("gzip"))).arrayBuffer(),
    );
    const files = new Map<string, string>();
    for (let at = 0; at + 512 <= tar.length; ) {
      const header = tar.subarray(at, at + 512);
      if (header.every((b) => b === 0)) break;
      const text = (a: number, b: number) => new TextDecoder().decode(header.subarray(a, b)).replace(/\0.*$/s, "");
      const name = `${text(345, 500) ? `${text(345, 500)}/` : ""}${text(0, 100)}`;
      const size = parseInt(text(124, 136).trim(), 8);
      files.set(name, new TextDecoder().decode(tar.subarray(at + 512, at + 512 + size)));
      at += 512 + Math.ceil(size / 512) * 512;
    }
    const envLocal = [...files.entries()].find(([n]) => n.endsWith("/.env.local"))![1];
    expect([...files.keys()].some((n) => n.endsWith("/compose.yaml"))).toBe(true);
    expect(envLocal).toMatch(/SENDGRID_API_KEY=secretref:\/\/invoice-perfect\/local\/SENDGRID_API_KEY/);
    const stagingSecrets = await env.DB.prepare("SELECT COUNT(*) AS n FROM secrets").first<{ n: number }>();
    expect(stagingSecrets!.n).toBeGreaterThan(0);
    expect(envLocal).not.toMatch(/SG\.sandbox|sk_test_sandbox/);
  });
});

describe("setup", { timeout: 60_000 }, () => {
  it("provisions an environment created from staging: a Railway copy, its own secrets, staging's release deployed and recorded", async () => {
    const created = await api(admin.token, "POST", "/api/chat", {
      message: "create invoice-perfect:qa from invoice-perfect:staging",
    });
    expect(created.body.replies[0].text).toMatch(/Created invoice-perfect:qa/);
    const early = await api(admin.token, "POST", "/api/chat", { message: "set up invoice-perfect:qa" });
    expect(early.body.replies[0].run, early.body.replies[0].text).toBeDefined();
    // qa mirrors staging's policy (auto-apply), but its secrets are its own: the run stops at preflight.
    const qaView = await api(admin.token, "GET", "/api/envs/invoice-perfect:qa");
    expect(qaView.status, qaView.text).toBe(200);
    const failed = await driveRun(admin.token, early.body.replies[0].run.id, qaView.body.environment.id);
    expect(failed.status).toBe("failed");
    expect(failed.error).toMatch(/secrets not set for invoice-perfect:qa: SENDGRID_API_KEY, STRIPE_SECRET_KEY/);
    const qaSecrets = {
      STRIPE_SECRET_KEY: "sk_test_qa_0123456789abcdef",
      SENDGRID_API_KEY: "SG.qa-sendgrid-value-1234",
    };
    for (const [name, value] of Object.entries(qaSecrets)) {
      expect((await api(admin.token, "PUT", `/api/envs/invoice-perfect:qa/secrets/${name}`, { value })).status).toBe(
        204,
      );
    }
    const qaId = (await api(admin.token, "GET", "/api/envs/invoice-perfect:qa")).body.environment.id;
    const again = await api(admin.token, "POST", "/api/chat", { message: "set up invoice-perfect:qa" });
    const run = await driveRun(admin.token, again.body.replies[0].run.id, qaId);
    expect(run.status, JSON.stringify(run.steps.filter((s: { status: string }) => s.status !== "succeeded"))).toBe(
      "succeeded",
    );
    const qa = (await api(admin.token, "GET", "/api/envs/invoice-perfect:qa")).body.environment;
    const staging = (await api(admin.token, "GET", "/api/envs/invoice-perfect:staging")).body.environment;
    expect(qa.bindings.railway.projectId).toBe(staging.bindings.railway.projectId);
    expect(qa.bindings.railway.environmentId).not.toBe(staging.bindings.railway.environmentId);
    for (const name of ["api", "web", "cron"])
      expect(qa.currentRelease.services[name].commitSha).toBe(staging.currentRelease.services[name].commitSha);
    const deployments = await sandboxWorld(env).deploymentsOf("qa", "api");
    expect(deployments[0].status).toBe("SUCCESS");
    expect((await sandboxWorld(env).variablesOf("qa", "api")).STRIPE_SECRET_KEY).toBe(qaSecrets.STRIPE_SECRET_KEY);
    const twice = await api(admin.token, "POST", "/api/chat", { message: "set up invoice-perfect:qa" });
    expect(twice.body.replies[0].text).toMatch(/already provisioned/);
  });
});

describe("deploying to an environment that doesn't exist yet", { timeout: 30_000 }, () => {
  it("asks instead of creating it, and creates it only when told to", async () => {
    const railwayWrites = async () =>
      (
        (await sandboxWorld(env).requests({ provider: "railway", limit: 2000 })) as unknown as {
          body: { query?: string };
        }[]
      ).filter((r) => /^\s*mutation/.test(r.body?.query ?? "")).length;
    const before = await railwayWrites();
    const res = await api(admin.token, "POST", "/api/chat", { message: "deploy to demo" });
    const reply = res.body.replies[0];
    expect(reply.text, reply.text).toMatch(/^No environment demo .*Or say 'create demo from staging'/);
    expect(reply.question).toMatchObject({
      slot: "env",
      options: expect.arrayContaining(["create demo from staging"]),
    });
    expect(reply.plan).toBeUndefined();
    expect((await api(admin.token, "GET", "/api/envs/invoice-perfect:demo")).status).toBe(404);
    // The offered answer creates it (desired state only: nothing reaches a provider, nothing runs).
    const created = await api(admin.token, "POST", "/api/chat", {
      message: "create demo from staging",
      conversationId: res.body.conversationId,
    });
    expect(created.body.replies[0].text).toMatch(/^Created invoice-perfect:demo from invoice-perfect:staging/);
    const demo = await api(admin.token, "GET", "/api/envs/invoice-perfect:demo");
    expect(demo.status).toBe(200);
    expect(demo.body.environment.baseEnv ?? demo.body.environment.base).toBe("staging");
    expect(await railwayWrites()).toBe(before);
    expect((await api(admin.token, "GET", "/api/envs/invoice-perfect:demo/runs")).body.runs).toEqual([]);
    // A deployer may not create one by chat either (REST needs an admin for it too).
    const deployer = await makeUser("deployer");
    const refused = await api(deployer.token, "POST", "/api/chat", { message: "create demo2 from staging" });
    expect(refused.body.replies[0].text).toMatch(/can't do that: role "deployer" may not manage-environments/);
    expect((await api(admin.token, "GET", "/api/envs/invoice-perfect:demo2")).status).toBe(404);
  });
});
