/**
 * A message carrying a secret value never gets it back, end to end through POST /api/chat: not in a reply
 * (plan, question, answer to the question, refusal, fallback, error), not in the stored transcript, not in
 * the conversation's state, not to the language model — including a model that echoes its input. Secrets
 * set by chat are stored encrypted at once and named by their secretref:// everywhere.
 */
import type { LanguageModel } from "ai";
import { MockLanguageModelV3 } from "ai/test";
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { handleChat } from "../../src/control/chat";
import { controlContext } from "../../src/control/context";
import { database } from "../../src/db/client";
import { findEnv } from "../../src/db/environments";
import { resolveSecret } from "../../src/db/secrets";
import { appServices } from "../../src/wiring";
import { CARRIERS } from "./chat-secret-carriers";
import { api, makeUser, seedWorld } from "./helpers";

let admin: Awaited<ReturnType<typeof makeUser>>;
let deployer: Awaited<ReturnType<typeof makeUser>>;
beforeAll(async () => {
  await seedWorld();
  admin = await makeUser("admin");
  deployer = await makeUser("deployer");
});

/** Everything kept about a conversation: its stored messages (as the API returns them) and its state row. */
async function kept(token: string, conversationId: string): Promise<string> {
  const messages = await api(token, "GET", `/api/conversations/${conversationId}/messages`);
  const state = await env.DB.prepare("SELECT state FROM conversations WHERE id = ?").bind(conversationId).first();
  return JSON.stringify(messages.body) + JSON.stringify(state);
}

async function chat(token: string, message: string, conversationId?: string) {
  const res = await api(token, "POST", "/api/chat", { message, conversationId });
  expect(res.status, res.text.slice(0, 300)).toBe(200);
  return res;
}

describe("secrets through POST /api/chat, every branch", { timeout: 60_000 }, () => {
  it.each(CARRIERS)("%s: %j", async (_branch, message, secret) => {
    for (const user of [admin, deployer]) {
      const first = await chat(user.token, message);
      expect(first.text).not.toContain(secret);
      const { conversationId, replies } = first.body;
      // A question is answered in the same conversation: the held value is used (or dropped), never shown.
      if (replies.some((r: { question?: unknown }) => r.question)) {
        const answered = await chat(user.token, "staging", conversationId);
        expect(answered.text).not.toContain(secret);
      }
      expect(await kept(user.token, conversationId)).not.toContain(secret);
    }
  });

  it("set by chat: stored encrypted at once, the transcript names its secretref://, a deployer's is refused", async () => {
    const value = "sk_test_51StoredAtOnce0000000000aaaa";
    const res = await chat(admin.token, `set STRIPE_SECRET_KEY=${value} on staging`);
    expect(res.body.replies[0].text).toMatch(
      /^Stored encrypted as secretref:\/\/invoice-perfect\/staging\/STRIPE_SECRET_KEY\./,
    );
    const db = database(env.DB);
    const staging = await findEnv(db, "invoice-perfect:staging");
    expect(await resolveSecret(db, appServices(env).cipher, staging.id, "STRIPE_SECRET_KEY")).toBe(value);
    const stored = await env.DB.prepare("SELECT ciphertext FROM secrets WHERE env_id = ? AND name = ?")
      .bind(staging.id, "STRIPE_SECRET_KEY")
      .first<{ ciphertext: string }>();
    expect(stored?.ciphertext).not.toContain(value);
    const transcript = (await api(admin.token, "GET", `/api/conversations/${res.body.conversationId}/messages`)).body
      .messages;
    expect(transcript[0].text).toBe(
      "set STRIPE_SECRET_KEY=secretref://invoice-perfect/staging/STRIPE_SECRET_KEY on staging",
    );

    const refused = await chat(deployer.token, "set STRIPE_SECRET_KEY=sk_test_51DeployerMayNot000000aaaa on staging");
    expect(refused.body.replies[0].text).toMatch(/^I can't do that: role "deployer" may not manage-secrets/);
    expect(await resolveSecret(db, appServices(env).cipher, staging.id, "STRIPE_SECRET_KEY")).toBe(value);
  });

  it("a question holds the value sealed until the answer stores it; the answer names its secretref://", async () => {
    const value = "SG.heldUntilAnswered01.abcdefghij0123456789";
    const asked = await chat(admin.token, `set SENDGRID_API_KEY=${value}`);
    expect(asked.body.replies[0].question).toMatchObject({ slot: "env" });
    const state = await env.DB.prepare("SELECT state FROM conversations WHERE id = ?")
      .bind(asked.body.conversationId)
      .first<{ state: string }>();
    expect(JSON.parse(state!.state).pending.secrets).toEqual([
      expect.objectContaining({ ref: "pending-secret:1", name: "SENDGRID_API_KEY", ciphertext: expect.any(String) }),
    ]);
    expect(state!.state).not.toContain(value);
    const answered = await chat(admin.token, "production", asked.body.conversationId);
    expect(answered.body.replies[0].text).toMatch(
      /^Stored encrypted as secretref:\/\/invoice-perfect\/production\/SENDGRID_API_KEY/,
    );
    const db = database(env.DB);
    const production = await findEnv(db, "invoice-perfect:production");
    expect(await resolveSecret(db, appServices(env).cipher, production.id, "SENDGRID_API_KEY")).toBe(value);
    const after = await env.DB.prepare("SELECT state FROM conversations WHERE id = ?")
      .bind(asked.body.conversationId)
      .first<{ state: string }>();
    expect(JSON.parse(after!.state).pending).toBeUndefined();
    expect(await kept(admin.token, asked.body.conversationId)).not.toContain(value);
  });

  it("rotate asks for the value; the next message is taken as it, staged encrypted, and planned", async () => {
    const value = "SG.rotatedByChat0001.zyxwvutsrqponmlk9876";
    const asked = await chat(admin.token, "rotate SENDGRID_API_KEY on staging");
    expect(asked.body.replies[0].question).toMatchObject({ slot: "secret-value" });
    const rotated = await chat(admin.token, value, asked.body.conversationId);
    expect(rotated.text).not.toContain(value);
    expect(rotated.body.replies[0].text).toMatch(/^The new value of SENDGRID_API_KEY is staged encrypted/);
    expect(rotated.body.replies[0].plan).toMatchObject({ type: "rotate-secret", params: { name: "SENDGRID_API_KEY" } });
    const transcript = (await api(admin.token, "GET", `/api/conversations/${asked.body.conversationId}/messages`)).body
      .messages;
    expect(transcript.map((m: { text: string }) => m.text)).toContain(
      "secretref://invoice-perfect/staging/SENDGRID_API_KEY",
    );
    expect(JSON.stringify(transcript)).not.toContain(value);
  });
});

describe("the language model never sees a secret, and an echoing model returns none", { timeout: 60_000 }, () => {
  /** A model that copies the user's message into whatever field it can: an incident id, a time window, a name. */
  function echoingModel(field: "incident" | "since" | "env") {
    return new MockLanguageModelV3({
      doGenerate: async (options) => {
        const prompt = options.prompt.filter((m) => m.role === "user").at(-1);
        const text = JSON.stringify(prompt?.content ?? "").slice(0, 90);
        const intent =
          field === "incident"
            ? { kind: "incident", id: text }
            : field === "since"
              ? { kind: "audit", since: text.slice(0, 60) }
              : { kind: "status", env: text };
        return {
          content: [{ type: "text", text: JSON.stringify({ intents: [intent] }) }],
          finishReason: { unified: "stop", raw: undefined },
          usage: {
            inputTokens: { total: 1, noCache: 1, cacheRead: undefined, cacheWrite: undefined },
            outputTokens: { total: 1, text: 1, reasoning: undefined },
          },
          warnings: [],
        };
      },
    });
  }

  it.each(["incident", "since", "env"] as const)("a model echoing into %s", async (field) => {
    for (const [, message, secret] of CARRIERS) {
      const model = echoingModel(field);
      const cx = {
        ...controlContext(appServices(env), { id: admin.id, name: admin.name, role: admin.role }),
        languageModel: async () => model as LanguageModel,
      };
      const reply = await handleChat(cx, { message }, 0);
      expect(JSON.stringify(reply), message).not.toContain(secret);
      expect(JSON.stringify(model.doGenerateCalls), message).not.toContain(secret);
      expect(await kept(admin.token, reply.conversationId), message).not.toContain(secret);
    }
  });
});
