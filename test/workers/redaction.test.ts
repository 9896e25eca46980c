/**
 * Issue 16 item 5: one redactor where data leaves. A table over the credential patterns (URL userinfo,
 * password=/token=/secret= values, bearer tokens, private keys), then a table over every writer that lets
 * data out — incident bundle logs and incident.md, run artifacts, run notes and errors, chat replies and
 * the messages kept, audit events, texts — each fed all of them at once.
 */
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { redactCredentials, REDACTED } from "../../src/security/redact";
import type { AuditEvent } from "../../src/audit/chain";
import { redactingSms } from "../../src/notify/texts";
import type { SmsApi, SmsReceipt } from "../../src/providers/twilio/api";
import { appServices, sandboxWorld } from "../../src/dev/wiring";
import { api, driveRun, envObject, makeUser, seedWorld } from "./helpers";
import { monitorClock } from "./monitoring-support";

const PEM_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7xZ1mX";
const JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlX2hlcmU";

/** Pattern → a text carrying it, what must not come out, and what must (the context stays readable). */
const PATTERNS: { name: string; text: string; hidden: string; kept: string }[] = [
  {
    name: "URL userinfo password",
    text: "postgres://app:S3cretPassw0rd@db.internal:5432/app",
    hidden: "S3cretPassw0rd",
    kept: `postgres://app:${REDACTED}@db.internal:5432/app`,
  },
  {
    name: "URL userinfo token",
    text: "git clone https://ghp_AbCdEf0123456789@github.com/o/r",
    hidden: "ghp_AbCdEf0123456789",
    kept: `https://${REDACTED}@github.com/o/r`,
  },
  {
    name: "password= query value",
    text: "https://hooks.example.com/in?user=ops&password=hunter2&x=1",
    hidden: "hunter2",
    kept: `?user=ops&password=${REDACTED}&x=1`,
  },
  {
    name: "token= query value",
    text: "GET /v1/items?page=2&token=tok_9f8e7d6c5b4a",
    hidden: "tok_9f8e7d6c5b4a",
    kept: `?page=2&token=${REDACTED}`,
  },
  {
    name: "secret= outside a URL",
    text: "config loaded: secret=sh-its-a-secret mode=fast",
    hidden: "sh-its-a-secret",
    kept: `secret=${REDACTED} mode=fast`,
  },
  {
    name: "password: in a config dump",
    text: "db:\n  password: correct-horse-battery\n  host: db",
    hidden: "correct-horse-battery",
    kept: `password: ${REDACTED}`,
  },
  {
    name: "password as a JSON member",
    text: '{"user":"ops","password":"pa\\"ss-w0rd-json"}',
    hidden: "ss-w0rd-json",
    kept: `{"user":"ops","password":"${REDACTED}"}`,
  },
  {
    name: "bearer token",
    text: `Authorization: Bearer ${JWT}`,
    hidden: JWT,
    kept: `Authorization: Bearer ${REDACTED}`,
  },
  {
    name: "basic credentials",
    text: "authorization: Basic YWRtaW46aHVudGVyMg==",
    hidden: "YWRtaW46aHVudGVyMg==",
    kept: `Basic ${REDACTED}`,
  },
  {
    name: "PEM private key",
    text: `key=-----BEGIN RSA PRIVATE KEY-----\n${PEM_BODY}\n-----END RSA PRIVATE KEY-----\nnext line`,
    hidden: PEM_BODY,
    kept: `-----BEGIN RSA PRIVATE KEY----- ${REDACTED} -----END RSA PRIVATE KEY-----\nnext line`,
  },
  {
    name: "PEM private key cut off by a truncated log line",
    text: `-----BEGIN PRIVATE KEY-----\n${PEM_BODY}`,
    hidden: PEM_BODY,
    kept: `-----BEGIN PRIVATE KEY----- ${REDACTED}`,
  },
];

describe("credential patterns", () => {
  for (const p of PATTERNS)
    it(`hides ${p.name}`, () => {
      const out = redactCredentials(p.text);
      expect(out).not.toContain(p.hidden);
      expect(out).toContain(p.kept);
    });

  it("leaves ordinary text alone", () => {
    for (const text of [
      "see https://example.com/path?page=2 or mail a@b.c",
      "the token expired; ask for a new one",
      "deploy staging with canary 10/50/100",
      "secret STRIPE_SECRET_KEY of invoice-perfect:staging cannot be decrypted",
      "say Authorization: Bearer <token>",
      "Basic authentication and Token validation are prose",
      "-----BEGIN PUBLIC KEY----- MIIBIjANBg -----END PUBLIC KEY-----",
    ])
      expect(redactCredentials(text)).toBe(text);
  });

  it("is part of the redactor every boundary uses, with or without stored secrets", async () => {
    const redact = await appServices(env).redactor();
    for (const p of PATTERNS) expect(redact(p.text)).not.toContain(p.hidden);
  });
});

/** Every pattern in one text, as a leaky log line or error would carry them. */
const LEAKS = PATTERNS.map((p) => p.text.replaceAll("\n", " ")).join(" | ");
const expectClean = (output: string, where: string) => {
  for (const p of PATTERNS) expect(output, `${where} shows ${p.name}`).not.toContain(p.hidden);
};

describe("every output boundary", { timeout: 120_000 }, () => {
  let ids: Awaited<ReturnType<typeof seedWorld>>;
  let admin: Awaited<ReturnType<typeof makeUser>>;
  let viewer: Awaited<ReturnType<typeof makeUser>>;
  let runId: string;
  const clock = monitorClock();

  beforeAll(async () => {
    ids = await seedWorld();
    admin = await makeUser("admin");
    viewer = await makeUser("viewer");
    const plan = await api(admin.token, "POST", `/api/envs/${ids.staging}/plan`, { type: "deploy" });
    runId = (await api(admin.token, "POST", `/api/plans/${plan.body.plan.id}/apply`)).body.run.id;
    expect((await driveRun(admin.token, runId, ids.staging)).status).toBe("succeeded");
  });

  it("incident bundle: logs/api.txt and incident.md", async () => {
    await sandboxWorld(env).addFault({
      kind: "app",
      env: "staging",
      service: "api",
      track: "all",
      errorRate: 1,
      logPattern: `FATAL config dump ${LEAKS}`,
    });
    const report = await clock.tick(ids.staging);
    expect(report.opened.length).toBeGreaterThan(0);
    for (const id of report.opened) {
      const files = (await api(viewer.token, "GET", `/api/incidents/${id}`)).body.incident.bundle.files as string[];
      expect(files).toEqual(expect.arrayContaining(["incident.md", "logs/api.txt"]));
      for (const name of files) {
        const res = await api(viewer.token, "GET", `/api/incidents/${id}/bundle/${name}`);
        expect(res.status).toBe(200);
        expectClean(res.text, `incident ${id} ${name}`);
      }
    }
    const logs = (await api(viewer.token, "GET", `/api/incidents/${report.opened[0]}/bundle/logs/api.txt`)).text;
    expect(logs).toContain("FATAL config dump");
    await sandboxWorld(env).clearFaults();
  });

  it("run artifacts (incident.md, run.json) as written to R2 and served", async () => {
    const services = appServices(env);
    await services.runArtifacts.put(runId, "incident.md", `# Incident\n\n${LEAKS}\n`);
    await services.runArtifacts.put(runId, "run.json", { error: LEAKS, steps: [{ note: LEAKS }] });
    for (const name of ["incident.md", "run.json"]) {
      expectClean((await (await env.ARTIFACTS.get(`runs/${runId}/${name}`))?.text()) ?? "", `R2 ${name}`);
      expectClean((await api(viewer.token, "GET", `/api/runs/${runId}/artifacts/${name}`)).text, `served ${name}`);
    }
  });

  it("run notes and errors (GET /api/runs/:id and the environment's run list)", async () => {
    await env.DB.batch([
      env.DB.prepare("UPDATE run_steps SET note = ?, error = ? WHERE run_id = ?").bind(LEAKS, LEAKS, runId),
      env.DB.prepare("UPDATE runs SET error = ? WHERE id = ?").bind(LEAKS, runId),
    ]);
    const run = await api(viewer.token, "GET", `/api/runs/${runId}`);
    expect(run.body.run.steps[0].note).toContain("postgres://app:");
    expectClean(run.text, "GET /api/runs/:id");
    expectClean((await api(viewer.token, "GET", `/api/envs/${ids.staging}/runs`)).text, "GET /api/envs/:id/runs");
  });

  it("chat replies, streamed or not, and the messages kept", async () => {
    const message = `status of staging ${LEAKS}`;
    const res = await api(admin.token, "POST", "/api/chat", { message });
    expect(res.status).toBe(200);
    expectClean(res.text, "chat reply");
    const streamed = await api(admin.token, "POST", "/api/chat", { message }, { accept: "text/event-stream" });
    expectClean(streamed.text, "streamed chat reply");
    const kept = await env.DB.prepare("SELECT text FROM messages WHERE conversation_id = ?")
      .bind(res.body.conversationId)
      .all<{ text: string }>();
    expect(kept.results.length).toBeGreaterThan(0);
    expectClean(kept.results.map((r) => r.text).join("\n"), "stored messages");
  });

  it("audit events, as stored and as listed", async () => {
    const [event] = (await envObject(ids.staging).appendAudit(ids.staging, [
      { actor: "infra-chat", action: "test.leak", diffSummary: LEAKS, details: { error: LEAKS } },
    ])) as unknown as AuditEvent[];
    const row = await env.DB.prepare("SELECT diff_summary, details FROM audit_events WHERE id = ?")
      .bind(event.id)
      .first<{ diff_summary: string; details: string }>();
    expectClean(`${row?.diff_summary}\n${row?.details}`, "audit row");
    expectClean(
      (await api(viewer.token, "GET", "/api/audit?env=invoice-perfect:staging&limit=20")).text,
      "GET /api/audit",
    );
    expect((await api(viewer.token, "GET", "/api/audit/verify?env=invoice-perfect:staging")).body.ok).toBe(true);
  });

  it("texts", async () => {
    const sent: string[] = [];
    const fake: SmsApi = {
      async send(m) {
        sent.push(m.body);
        return { sid: "SM1" } as SmsReceipt;
      },
    };
    const sms = redactingSms(fake, await appServices(env).redactor());
    await sms?.send({ to: "+15550000001", body: `Infra Chat: run failed: ${LEAKS}` });
    expectClean(sent.join("\n"), "SMS");
  });
});
