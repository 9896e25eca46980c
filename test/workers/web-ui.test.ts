import { env, SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import type { LiveMessage, LiveRun } from "../../src/runs/live";
import { watchRequest } from "../../src/runs/live";
import { sandboxWorld } from "../../src/dev/wiring";
import { api, driveAlarms, driveRun, envObject, expectError, makeUser, seedWorld } from "./helpers";

/**
 * The web chat's serving surface (page, script and style with their security headers), the chat's
 * server-sent-event form, and the environment's live WebSocket: who may open it and what it pushes.
 */

let ids: Awaited<ReturnType<typeof seedWorld>>;
let admin: Awaited<ReturnType<typeof makeUser>>;
let viewer: Awaited<ReturnType<typeof makeUser>>;
beforeAll(async () => {
  ids = await seedWorld();
  admin = await makeUser("admin");
  viewer = await makeUser("viewer");
});

const get = (path: string, headers: Record<string, string> = {}) =>
  SELF.fetch(`https://infra-chat.test${path}`, { headers });

describe("web chat assets", () => {
  it("serves the page with a strict CSP: own script and style only, no framing, no inline code", async () => {
    const res = await get("/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    const html = await res.text();
    // Every script and style is an external same-origin file the CSP allows; no inline handlers either.
    expect(html.match(/<script\b[^>]*>/g)).toEqual(['<script type="module" src="/ui/app.js">']);
    expect(html).not.toMatch(/<style\b|\son[a-z]+=|style="/i);
  });

  it("serves the same shell at every console address, so links in texts and chat are deep links", async () => {
    const shell = await (await get("/")).text();
    for (const path of [
      "/runs/run_abc123",
      "/envs/invoice-perfect:production",
      "/incidents/inc_x",
      "/approvals",
      "/history",
      "/settings",
    ]) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-security-policy"), path).toContain("script-src 'self'");
      expect(await res.text(), path).toBe(shell);
    }
    expect((await get("/runs")).status).toBe(404);
  });

  it("serves the client as a JavaScript module and the stylesheet as CSS, neither mentioning a secret", async () => {
    const js = await get("/ui/app.js");
    expect(js.headers.get("content-type")).toMatch(/^text\/javascript/);
    expect(js.headers.get("x-content-type-options")).toBe("nosniff");
    const source = await js.text();
    // Text only ever goes in as textContent: no HTML parsing of anything a server or person wrote.
    expect(source).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
    expect(source).toContain("sessionStorage");
    expect(source).not.toContain("localStorage");
    const css = await get("/ui/app.css");
    expect(css.headers.get("content-type")).toMatch(/^text\/css/);
    for (const body of [source, await css.text(), await (await get("/")).text()]) {
      expect(body).not.toContain(env.SECRETS_MASTER_KEY);
      expect(body).not.toContain(env.TWILIO_AUTH_TOKEN);
    }
  });

  it("tells the signed-in user who they are, and 401s without a token", async () => {
    expect((await api(viewer.token, "GET", "/api/me")).body.user).toEqual({
      id: viewer.id,
      name: viewer.name,
      role: "viewer",
    });
    expectError(await api(null, "GET", "/api/me"), 401, "unauthorized");
  });

  it("returns a conversation's history to its owner only", async () => {
    const chat = await api(admin.token, "POST", "/api/chat", { message: "status of staging" });
    const mine = await api(admin.token, "GET", `/api/conversations/${chat.body.conversationId}/messages`);
    expect(mine.body.messages.map((m: { role: string }) => m.role)).toEqual(["user", "assistant"]);
    expect(mine.body.messages[0].text).toBe("status of staging");
    expectError(
      await api(viewer.token, "GET", `/api/conversations/${chat.body.conversationId}/messages`),
      404,
      "not_found",
    );
  });
});

interface SseEvent {
  event: string;
  data: any;
}

/** Reads server-sent events as they arrive, calling `onEvent` per frame. */
async function readEvents(res: Response, onEvent: (e: SseEvent) => void): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return events;
    buffer += value;
    for (let cut = buffer.indexOf("\n\n"); cut >= 0; cut = buffer.indexOf("\n\n")) {
      const frame = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const event = /^event: ?(.*)$/m.exec(frame)?.[1] ?? "message";
      const data = frame
        .split("\n")
        .filter((l) => l.startsWith("data:"))
        .map((l) => l.slice(5).trimStart())
        .join("\n");
      const parsed = { event, data: JSON.parse(data) };
      events.push(parsed);
      onEvent(parsed);
    }
  }
}

describe("chat as server-sent events", { timeout: 60_000 }, () => {
  it("streams the replies, then every state of the run they started until it ends, then done", async () => {
    const res = await SELF.fetch("https://infra-chat.test/api/chat", {
      method: "POST",
      headers: {
        authorization: `Bearer ${admin.token}`,
        "content-type": "application/json",
        accept: "text/event-stream",
      },
      body: JSON.stringify({ message: "deploy staging" }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    let finished = false;
    const reading = readEvents(res, (e) => {
      if (e.event === "done") finished = true;
    });
    await driveAlarms(ids.staging, () => finished, "the stream's done event");
    const events = await reading;
    const names = events.map((e) => e.event);
    expect(names[0]).toBe("conversation");
    expect(names.indexOf("reply")).toBe(1);
    expect(names.indexOf("replies-end")).toBeGreaterThan(names.lastIndexOf("reply"));
    expect(names.at(-1)).toBe("done");
    const reply = events.find((e) => e.event === "reply")!.data;
    expect(reply.plan.env).toBe("invoice-perfect:staging");
    const runs = events.filter((e) => e.event === "run").map((e) => e.data as LiveRun);
    expect(runs.length).toBeGreaterThan(1);
    expect(runs.every((r) => r.id === reply.run.id)).toBe(true);
    expect(runs.at(-1)!.status).toBe("succeeded");
    expect(runs.at(-1)!.steps.every((s) => s.status === "succeeded" || s.status === "skipped")).toBe(true);
  });

  it("keeps the JSON error body when the message itself is refused", async () => {
    const res = await SELF.fetch("https://infra-chat.test/api/chat", {
      method: "POST",
      headers: {
        authorization: `Bearer ${admin.token}`,
        "content-type": "application/json",
        accept: "text/event-stream",
      },
      body: JSON.stringify({ message: "" }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_request");
  });
});

/** Opens the live socket the way a browser does (token as subprotocol) or with a header. */
async function openLive(envRef: string, auth: { protocol?: string; header?: string }) {
  const headers: Record<string, string> = { upgrade: "websocket" };
  if (auth.protocol) headers["sec-websocket-protocol"] = `infra-chat.v1, ${auth.protocol}`;
  if (auth.header) headers.authorization = auth.header;
  return SELF.fetch(`https://infra-chat.test/api/envs/${envRef}/live`, { headers });
}

/** Collects a socket's messages; `until` resolves with the first message matching. */
function collect(ws: WebSocket) {
  const messages: LiveMessage[] = [];
  const waiters: { match: (m: LiveMessage) => boolean; resolve: (m: LiveMessage) => void }[] = [];
  ws.addEventListener("message", (e) => {
    const m = JSON.parse(e.data as string) as LiveMessage;
    messages.push(m);
    for (const w of waiters.filter((w) => w.match(m))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(m);
    }
  });
  return {
    messages,
    until: (match: (m: LiveMessage) => boolean) => {
      const seen = messages.find(match);
      return seen ? Promise.resolve(seen) : new Promise<LiveMessage>((resolve) => waiters.push({ match, resolve }));
    },
  };
}

describe("live WebSocket", { timeout: 60_000 }, () => {
  it("refuses an upgrade without a valid token, by header or subprotocol", async () => {
    expect((await openLive("invoice-perfect:staging", {})).status).toBe(401);
    expect((await openLive("invoice-perfect:staging", { protocol: "bearer.ic_not_a_token" })).status).toBe(401);
    expect((await openLive("invoice-perfect:staging", { header: "Bearer ic_not_a_token" })).status).toBe(401);
    // A bearer subprotocol on a plain request is not a credential.
    expect(
      (await get("/api/envs/invoice-perfect:staging", { "sec-websocket-protocol": `bearer.${admin.token}` })).status,
    ).toBe(401);
  });

  it("answers 400 to a plain GET and 404 for an unknown environment", async () => {
    expectError(await api(viewer.token, "GET", "/api/envs/invoice-perfect:staging/live"), 400, "invalid_request");
    expect((await openLive("invoice-perfect:nowhere", { protocol: `bearer.${viewer.token}` })).status).toBe(404);
  });

  it("lets a viewer watch: a snapshot first, then a push on every transition of a run applied elsewhere", async () => {
    const res = await openLive("invoice-perfect:staging", { protocol: `bearer.${viewer.token}` });
    expect(res.status).toBe(101);
    expect(res.headers.get("sec-websocket-protocol")).toBe("infra-chat.v1");
    const ws = res.webSocket!;
    ws.accept();
    const feed = collect(ws);
    const snapshot = await feed.until((m) => m.type === "snapshot");
    expect(snapshot.type === "snapshot" && snapshot.env).toBe("invoice-perfect:staging");

    const plan = await api(admin.token, "POST", `/api/envs/${ids.staging}/plan`, { type: "deploy" });
    const applied = await api(admin.token, "POST", `/api/plans/${plan.body.plan.id}/apply`);
    const runId = applied.body.run.id as string;
    let ended = false;
    const final = feed
      .until((m) => m.type === "run" && m.run.id === runId && m.run.status === "succeeded")
      .then((m) => {
        ended = true;
        return m;
      });
    await driveAlarms(ids.staging, () => ended, `run ${runId} succeeded on the feed`);
    await final;
    const states = feed.messages.flatMap((m) => (m.type === "run" && m.run.id === runId ? [m.run] : []));
    // Each step's outcome was pushed as it happened, not only the end state.
    const firstStep = states[0].steps[0].id;
    expect(
      states.some(
        (r) =>
          r.status === "running" &&
          r.steps.find((s) => s.id === firstStep)?.status === "succeeded" &&
          r.steps.some((s) => s.status === "pending"),
      ),
    ).toBe(true);
    expect(JSON.stringify(feed.messages)).not.toContain("planDigest");
    ws.close(1000, "done");
  });

  it("a fresh watcher's snapshot carries the canary's evidence for the chart after a rollback", async () => {
    const alice = await makeUser("admin");
    const bob = await makeUser("admin");
    await sandboxWorld(env).addFault({ kind: "app", env: "production", service: "api", track: "canary", errorRate: 1 });
    try {
      const planned = await api(alice.token, "POST", "/api/chat", { message: "deploy production" });
      const applied = await api(alice.token, "POST", "/api/chat", {
        message: "apply",
        conversationId: planned.body.conversationId,
      });
      const runId = applied.body.replies[0].run.id as string;
      expect((await api(bob.token, "POST", `/api/runs/${runId}/approve`, {})).status).toBe(200);
      const run = await driveRun(alice.token, runId, ids.production);
      expect(run.status).toBe("rolled-back");
      const res = await openLive(ids.production, { header: `Bearer ${viewer.token}` });
      const ws = res.webSocket!;
      ws.accept();
      const snapshot = await collect(ws).until((m) => m.type === "snapshot");
      const live = snapshot.type === "snapshot" ? snapshot.runs.find((r) => r.id === runId) : undefined;
      expect(live?.status).toBe("rolled-back");
      expect(live?.canary?.phase).toBe("rolled-back");
      const looks = live?.canary?.evidence?.looks ?? [];
      expect(looks.length).toBeGreaterThan(0);
      // The look that decided: 5xx alone over its own threshold, the samples behind it on both sides.
      const decided = looks.find((l) => l.decision === "rollback");
      const errors = decided?.metrics.find((m) => m.metric === "errors");
      expect(errors!.logE).toBeGreaterThan(errors!.logThreshold);
      expect(errors!.canary).toBeGreaterThan(0);
      expect(errors!.baseline).toBeGreaterThan(0);
      ws.close(1000, "done");
    } finally {
      await sandboxWorld(env).clearFaults();
    }
  });

  it("is never reachable on the object without the Worker's watch request", async () => {
    const plain = await envObject(ids.staging).fetch("https://environment.internal/live");
    expect(plain.status).toBe(426);
    const watched = await envObject(ids.staging).fetch(watchRequest(ids.staging, "invoice-perfect:staging"));
    expect(watched.status).toBe(101);
    watched.webSocket!.accept();
    watched.webSocket!.close(1000, "done");
  });
});
