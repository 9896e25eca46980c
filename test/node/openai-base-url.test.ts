/**
 * OPENAI_BASE_URL end to end: the control plane as `npm start` runs it, configured with an OpenAI-compatible
 * server's base URL (as for Ollama, vLLM, Azure or Cloudflare AI Gateway), sends the chat's model request to
 * that server — a local HTTP server here, speaking the chat completions API — and acts on its answer through
 * the usual guard and policy. The server never sees a secret value the message carried.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalWorker, startLocalWorker } from "./local-worker";

interface Received {
  method: string;
  path: string;
  authorization?: string;
  body: { model?: string; messages?: unknown[]; response_format?: unknown };
}

const received: Received[] = [];
let server: Server;
let worker: LocalWorker;

/** The model's answer: the intents the chat should act on, as a chat completion's message content. */
const ANSWER = { intents: [{ kind: "status", env: "production" }] };

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = "";
    req.on("data", (chunk) => {
      data += chunk;
    });
    req.on("end", () => resolve(data));
    req.on("error", reject);
  });
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const body = JSON.parse((await readBody(req)) || "{}");
    received.push({ method: req.method ?? "", path: req.url ?? "", authorization: req.headers.authorization, body });
    if (req.method !== "POST" || req.url !== "/v1/chat/completions") {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: "not found" } }));
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        id: "chatcmpl-local-1",
        object: "chat.completion",
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [{ index: 0, message: { role: "assistant", content: JSON.stringify(ANSWER) }, finish_reason: "stop" }],
        usage: { prompt_tokens: 42, completion_tokens: 9, total_tokens: 51 },
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  worker = await startLocalWorker("openai-base-url", {
    OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1`,
    OPENAI_API_KEY: "local-server-key",
    CHAT_MODEL: "llama3.1:8b",
  });
}, 120_000);

afterAll(async () => {
  await worker?.stop();
  await new Promise((resolve) => server?.close(resolve));
});

describe("OPENAI_BASE_URL", { timeout: 60_000 }, () => {
  it("sends the chat's model request to that server's chat completions API and acts on its reading", async () => {
    const secret = "sk_test_51LocalServerNeverSeesThis";
    const reply = await worker.api(worker.adminToken, "POST", "/api/chat", {
      message: `hows the prod box, also STRIPE_SECRET_KEY=${secret}`,
    });
    expect(reply.status).toBe(200);
    expect(reply.body.interpretedBy).toBe("llm");
    expect(reply.body.replies[0].text).toMatch(/invoice-perfect:production/);
    expect(JSON.stringify(reply.body)).not.toContain(secret);

    const calls = received.filter((r) => r.path === "/v1/chat/completions");
    expect(calls.length).toBeGreaterThanOrEqual(1);
    expect(calls[0].method).toBe("POST");
    expect(calls[0].authorization).toBe("Bearer local-server-key");
    expect(calls[0].body.model).toBe("llama3.1:8b");
    expect(JSON.stringify(calls[0].body.messages)).toContain("hows the prod box");
    expect(calls[0].body.response_format).toMatchObject({ type: "json_schema" });
    expect(JSON.stringify(received)).not.toContain(secret);
    expect(received.filter((r) => r.path !== "/v1/chat/completions")).toEqual([]);
  });
});
