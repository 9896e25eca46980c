import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { inCanary } from "../../src/edge-router/assign";
import { createRouter, type RouterEnv } from "../../src/edge-router/index";
import { EDGE_ROUTER_VERSION, type RouterConfig, type RouterReport } from "../../src/edge-router/protocol";
import { Reporter } from "../../src/edge-router/reports";
import { verifyStripeSignature } from "../../src/security/stripe-signature";

const STABLE = "api-production-1a2b.up.railway.app";
const CANARY = "api-canary-production-9z8y.up.railway.app";
const CONTROL = "https://infra.example.com/edge/v1/reports";
const SECRET = "router-shared-secret";
const T0 = Date.UTC(2026, 10, 27, 12, 0, 0);

function config(
  over: Partial<RouterConfig> = {},
  canary: Partial<NonNullable<RouterConfig["canary"]>> = {},
): RouterConfig {
  return {
    revision: 1,
    route: "invoice-perfect:production/api",
    stable: { origin: STABLE },
    canary: { origin: CANARY, weight: 10, deadline: T0 + 3_600_000, salt: "step_1", ...canary },
    report: { url: CONTROL, flushMs: 1000 },
    ...over,
  };
}

/** A router with a fake network: origins answer by hostname, the control plane as `control` says. */
function harness(
  opts: { control?: (r: Request) => Promise<Response>; origin?: (r: Request) => Promise<Response> } = {},
) {
  let now = T0;
  const upstream: Request[] = [];
  const reports: { report: RouterReport; header: string; body: string }[] = [];
  const fetch = async (r: Request): Promise<Response> => {
    if (r.url === CONTROL) {
      const body = await r.clone().text();
      const response = await (opts.control ?? (async () => new Response(null, { status: 204 })))(r);
      if (response.ok)
        reports.push({ report: JSON.parse(body), header: r.headers.get("x-infra-chat-signature") ?? "", body });
      return response;
    }
    upstream.push(r);
    return (opts.origin ?? (async () => new Response("ok", { status: 200 })))(r);
  };
  const reporter = new Reporter();
  const route = createRouter({ fetch, now: () => now, sleep: async () => {}, reporter });
  const send = async (env: RouterEnv, init: RequestInit & { url?: string } = {}) => {
    const ctx = createExecutionContext();
    const response = await route(
      new Request(init.url ?? "https://api.invoiceperfect.com/invoices?page=2", init),
      env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    return response;
  };
  return {
    send,
    upstream,
    reports,
    reporter,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const env = (c: RouterConfig | string): RouterEnv => ({ ROUTER_CONFIG: c, ROUTER_SECRET: SECRET });
const cookieOf = (r: Response) => /__ic_track=([0-9a-f]+)/.exec(r.headers.get("set-cookie") ?? "")?.[1];
const trackOf = (h: ReturnType<typeof harness>) => h.upstream.at(-1)?.headers.get("x-infra-chat-track");

describe("edge router: forwarding", () => {
  it("fetches the Railway origin by its own hostname (Host and SNI) and keeps the public host in X-Forwarded-Host", async () => {
    const h = harness();
    await h.send(env(config({}, { weight: 0 })), {
      method: "POST",
      body: '{"amount":10}',
      headers: { "content-type": "application/json", host: "api.invoiceperfect.com", authorization: "Bearer u1" },
    });
    const r = h.upstream[0];
    expect(r.url).toBe(`https://${STABLE}/invoices?page=2`);
    expect(new URL(r.url).host).toBe(STABLE);
    expect(r.headers.get("host")).not.toBe("api.invoiceperfect.com");
    expect(r.headers.get("x-forwarded-host")).toBe("api.invoiceperfect.com");
    expect(r.headers.get("x-forwarded-proto")).toBe("https");
    expect(r.headers.get("authorization")).toBe("Bearer u1");
    expect(r.method).toBe("POST");
    expect(await r.text()).toBe('{"amount":10}');
    expect(r.redirect).toBe("manual");
  });

  it("sends a canary client to the canary origin, and answers 502 (counted as its 5xx) when that origin is unreachable", async () => {
    const h = harness({
      origin: async (r) => {
        if (new URL(r.url).host === CANARY) throw new TypeError("connection refused");
        return new Response("ok");
      },
    });
    const response = await h.send(env(config({}, { weight: 100 })));
    expect(new URL(h.upstream[0].url).host).toBe(CANARY);
    expect(response.status).toBe(502);
    h.advance(1500);
    await h.send(env(config({}, { weight: 100 })));
    const second = h.reports.flatMap((x) => x.report.seconds).find((s) => s.at === Math.floor(T0 / 1000));
    expect(second).toMatchObject({ track: "canary", requests: 1, status: { "5xx": 1 } });
  });

  it("answers 503 without a usable configuration rather than guessing an origin", async () => {
    const h = harness();
    expect((await h.send(env("{not json"))).status).toBe(503);
    expect((await h.send(env({ ...config(), stable: { origin: "http://evil" } } as RouterConfig))).status).toBe(503);
    expect(h.upstream).toHaveLength(0);
  });
});

describe("edge router: sticky assignment", () => {
  it("keeps a browser on one track for the whole step by the cookie it sets on its first request", async () => {
    const h = harness();
    const e = env(config({}, { weight: 50 }));
    const first = await h.send(e);
    const id = cookieOf(first);
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(first.headers.get("set-cookie")).toContain("HttpOnly; Secure; SameSite=Lax");
    const track = trackOf(h);
    for (let i = 0; i < 20; i++) {
      const again = await h.send(e, { headers: { cookie: `theme=dark; __ic_track=${id}` } });
      expect(again.headers.get("set-cookie")).toBeNull();
      expect(trackOf(h)).toBe(track);
    }
  });

  it("keeps an API client on one track by its Authorization header, setting no cookie", async () => {
    const h = harness();
    const e = env(config({}, { weight: 50 }));
    const tracks = new Set<string | null | undefined>();
    for (let i = 0; i < 10; i++) {
      const response = await h.send(e, { headers: { authorization: "Bearer token-of-user-7" } });
      expect(response.headers.get("set-cookie")).toBeNull();
      tracks.add(trackOf(h));
    }
    expect(tracks.size).toBe(1);
  });

  it.each([1, 10, 50, 90])("puts %i% of 100,000 clients on the canary, within ±2 points", (weight) => {
    let canary = 0;
    for (let i = 0; i < 100_000; i++) if (inCanary(`c:${i.toString(16).padStart(32, "0")}`, "step_1", weight)) canary++;
    expect(Math.abs((100 * canary) / 100_000 - weight)).toBeLessThanOrEqual(2);
  });

  it("a new step's salt reassigns clients; the same step never does", () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => `c:${(i * 7919).toString(16).padStart(32, "0")}`);
    const moved = ids.filter((id) => inCanary(id, "step_1", 50) !== inCanary(id, "step_2", 50)).length;
    expect(moved / ids.length).toBeGreaterThan(0.4);
    const assigned = ids.map((id) => inCanary(id, "step_1", 50));
    expect(ids.map((id) => inCanary(id, "step_1", 50))).toEqual(assigned);
  });
});

describe("edge router: weights, deadline, control plane down", () => {
  it("routes by a new weight on the very next request once the control plane pushes a new config", async () => {
    const h = harness();
    const auth = { headers: { authorization: "Bearer someone" } };
    await h.send(env(config({ revision: 1 }, { weight: 0 })), auth);
    expect(trackOf(h)).toBe("stable");
    await h.send(env(config({ revision: 2 }, { weight: 100 })), auth);
    expect(trackOf(h)).toBe("canary");
    await h.send(env(config({ revision: 3 }, { weight: 0 })), auth);
    expect(trackOf(h)).toBe("stable");
  });

  it("sends everyone to stable by itself once the canary's deadline has passed", async () => {
    const h = harness();
    const e = env(config({}, { weight: 100, deadline: T0 + 60_000 }));
    await h.send(e);
    expect(trackOf(h)).toBe("canary");
    h.advance(60_000);
    await h.send(e);
    expect(trackOf(h)).toBe("stable");
  });

  it("keeps routing by its last weights while reports to an unreachable control plane fail", async () => {
    const h = harness({
      control: async () => {
        throw new TypeError("control plane unreachable");
      },
    });
    const e = env(config({}, { weight: 100 }));
    for (let s = 0; s < 120; s++) {
      await h.send(e, { headers: { authorization: `Bearer user-${s}` } });
      expect(trackOf(h)).toBe("canary");
      h.advance(1000);
    }
    expect(h.reports).toHaveLength(0);
    expect(h.reporter.held.outbox).toBeGreaterThan(0);
  });
});

describe("edge router: reports", () => {
  it("reports each second per track, signed for the control plane, with the router version, revision and step", async () => {
    const h = harness({ origin: async (r) => new Response("x", { status: r.url.endsWith("/boom") ? 500 : 200 }) });
    const e = env(config({ revision: 7 }, { weight: 50 }));
    for (let i = 0; i < 40; i++) {
      await h.send(e, {
        url: `https://api.invoiceperfect.com/${i % 4 === 0 ? "boom" : "ok"}`,
        headers: { authorization: `Bearer ${i}` },
      });
      h.advance(100);
    }
    h.advance(2000);
    await h.send(e, { headers: { authorization: "Bearer last" } });
    const seconds = h.reports.flatMap((x) => x.report.seconds);
    expect(seconds.reduce((n, s) => n + s.requests, 0)).toBe(40);
    expect(seconds.reduce((n, s) => n + s.status["5xx"], 0)).toBe(10);
    expect(new Set(seconds.map((s) => s.track))).toEqual(new Set(["stable", "canary"]));
    expect(seconds.every((s) => s.revision === 7 && s.salt === "step_1")).toBe(true);
    expect(seconds.every((s) => Object.values(s.latency).reduce((a, b) => a + b, 0) === s.requests)).toBe(true);
    for (const { report, header, body } of h.reports) {
      expect(report).toMatchObject({ v: 1, router: EDGE_ROUTER_VERSION, route: "invoice-perfect:production/api" });
      // The same v1 scheme as Stripe's webhooks, so the control plane verifies it with the code it has.
      const t = Number(/t=(\d+)/.exec(header)?.[1]);
      expect(await verifyStripeSignature(SECRET, body, header, t)).toMatchObject({ ok: true });
      expect(await verifyStripeSignature("another-secret", body, header, t)).toMatchObject({ ok: false });
    }
  });

  it("resends a failed report with the same seq, so a control plane that stored it once can drop the repeat", async () => {
    let calls = 0;
    const h = harness({ control: async () => new Response(null, { status: ++calls === 1 ? 503 : 204 }) });
    const e = env(config());
    await h.send(e);
    h.advance(1500);
    await h.send(e); // seals second 0, the send fails: backs off
    h.advance(5000);
    await h.send(e); // resends it, then the next second
    const seqs = h.reports.map((x) => x.report.seq);
    expect(seqs[0]).toBe(1);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(h.reports.flatMap((x) => x.report.seconds).reduce((n, s) => n + s.requests, 0)).toBe(2);
  });

  it("holds at most 600 open seconds and 30 sealed reports while the control plane is down, and says what it dropped", async () => {
    let up = false;
    const h = harness({
      control: async () => (up ? new Response(null, { status: 204 }) : new Response(null, { status: 500 })),
    });
    const e = env(config({}, { weight: 50 }));
    let sent = 0;
    for (let s = 0; s < 1800; s++) {
      await h.send(e, { headers: { authorization: `Bearer ${s % 13}` } });
      sent++;
      expect(h.reporter.held.open).toBeLessThanOrEqual(600);
      expect(h.reporter.held.outbox).toBeLessThanOrEqual(30);
      h.advance(1000);
    }
    up = true;
    for (let s = 0; s < 40; s++) {
      h.advance(31_000);
      await h.send(e, { headers: { authorization: "Bearer after" } });
      sent++;
    }
    const reported = h.reports.flatMap((x) => x.report.seconds).reduce((n, x) => n + x.requests, 0);
    const dropped = Math.max(...h.reports.map((x) => x.report.dropped));
    expect(dropped).toBeGreaterThan(0);
    // Every request is either reported or counted as dropped (the last one's second is still open).
    expect(reported + dropped + h.reporter.held.open).toBeGreaterThanOrEqual(sent - 1);
    expect(reported + dropped).toBeLessThanOrEqual(sent);
  });
});
