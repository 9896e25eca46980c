/**
 * POST /edge/v1/reports (docs/edge-router-protocol.md): a router report is read only after the environment's
 * router secret verifies its signature, is checked against the protocol's schema, and is stored, deduplicated
 * and folded into the run's judge in one transaction of the environment's object. Signed here with the
 * router's own signReport, as the router in a customer's account signs.
 */
import { runInDurableObject, SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { parseSequentialConfig } from "../../src/monitor/sequential/config";
import type { RouterReport } from "../../src/edge-router/protocol";
import { signReport } from "../../src/edge-router/reports";
import { JudgeStore } from "../../src/runs/canary/judge-store";
import { api, envObject, makeUser, seedWorld } from "./helpers";

const SECRET = "router-secret-for-tests-0123456789abcdef";
const ROUTE = "invoice-perfect:production/api";
let envId: string;

beforeAll(async () => {
  envId = (await seedWorld()).production;
  const admin = await makeUser("admin");
  const put = await api(admin.token, "PUT", `/api/envs/${envId}/secrets/EDGE_ROUTER_SECRET`, { value: SECRET });
  expect(put.status).toBe(204);
});

let seq = 0;
function report(seconds: RouterReport["seconds"], isolate = "isolate-a"): RouterReport {
  return { v: 1, router: "1.0.0", route: ROUTE, isolate, seq: ++seq, dropped: 0, seconds };
}

function second(at: number, track: "stable" | "canary", requests: number, errors: number, salt: string) {
  return {
    at,
    track,
    revision: 7,
    salt,
    requests,
    status: { "2xx": requests - errors, "3xx": 0, "4xx": 0, "5xx": errors },
    latency: { "90": requests },
  };
}

async function post(body: string, opts: { secret?: string; t?: number; env?: string; header?: string | null } = {}) {
  const t = opts.t ?? Math.floor(Date.now() / 1000);
  const header =
    opts.header === undefined ? `t=${t},v1=${await signReport(opts.secret ?? SECRET, body, t)}` : opts.header;
  const res = await SELF.fetch(`https://infra-chat.test/edge/v1/reports?env=${opts.env ?? envId}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(header === null ? {} : { "x-infra-chat-signature": header }) },
    body,
  });
  return { status: res.status, body: (await res.json()) as any };
}

/** The environment's judges, in its own object's storage (the object created the tables). */
function judges<T>(work: (store: JudgeStore) => T): Promise<T> {
  return runInDurableObject(envObject(envId), (_instance, state) =>
    work(new JudgeStore(state.storage.sql, (fn) => state.storage.transactionSync(fn))),
  );
}

describe("POST /edge/v1/reports", () => {
  it("refuses anything its environment's router secret did not sign, with one answer for every reason", async () => {
    const body = JSON.stringify(report([second(1_800_000_000, "stable", 10, 0, "")]));
    const t = Math.floor(Date.now() / 1000);
    const refusals = [
      await post(body, { header: null }),
      await post(body, { secret: "another-secret" }),
      await post(body, { header: `t=${t},v1=${"0".repeat(64)}` }),
      await post(body, { t: t - 3600 }),
      await post(body, { env: "env_unknown" }),
      await post(`${body} `, { header: `t=${t},v1=${await signReport(SECRET, body, t)}` }),
    ];
    for (const r of refusals)
      expect([r.status, r.body.error.code, r.body.error.message]).toEqual([
        401,
        "unauthorized",
        "invalid router signature",
      ]);
  });

  it("answers 400 for a signed body that is not a report, and 413 past 64 KiB before reading it", async () => {
    const bad = await post(
      JSON.stringify({ ...report([]), seconds: [{ ...second(1, "stable", 3, 0, ""), requests: 4 }] }),
    );
    expect([bad.status, bad.body.error.code]).toEqual([400, "invalid_request"]);
    expect(bad.body.error.details[0].message).toMatch(/status classes must add up/);
    expect((await post("not json")).status).toBe(400);
    const huge = await post(JSON.stringify({ ...report([]), pad: "x".repeat(70 * 1024) }));
    expect(huge.status).toBe(413);
  });

  it("takes a report no canary is judged for, and says so", async () => {
    const res = await post(
      JSON.stringify({ ...report([second(1_800_000_000, "stable", 10, 0, "")]), route: "other:env/api" }),
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ accepted: true, ignored: "no canary of other:env/api is being judged" });
  });

  it("folds a canary step's seconds into its run's judge once, and a retry of the same (isolate, seq) changes nothing", async () => {
    const runId = `run_report_${crypto.randomUUID().slice(0, 8)}`;
    const salt = `${runId}/s08-canary-step-10`;
    await judges((store) => {
      const config = parseSequentialConfig({});
      store.open(runId, { route: ROUTE, router: "edge", autoRollback: true, config, at: Date.now() });
      store.beginStep(runId, { index: 0, weight: 10, at: Date.now(), salt, autoRollback: true });
    });
    const body = JSON.stringify(
      report([
        second(1_800_000_100, "stable", 9, 0, salt),
        second(1_800_000_100, "canary", 1, 0, salt),
        second(1_800_000_101, "stable", 10, 0, "stale-step"),
      ]),
    );
    const first = await post(body);
    expect(first.body).toEqual({ accepted: true, counted: 3 });
    const again = await post(body);
    expect(again.body).toEqual({ accepted: true, duplicate: true });
    const record = await judges((store) => store.get(runId));
    // The stale step's second is stored, not judged; this step's two are, once.
    expect(record?.state.errors).toEqual({ canary: { n: 1, x: 0 }, baseline: { n: 9, x: 0 } });
    expect(record?.state.step.canaryRequests).toBe(1);
    expect(record?.counted).toEqual({ reports: 1, seconds: 3, requests: 20 });
    expect([record?.stepFirstSecond, record?.stepLastSecond]).toEqual([1_800_000_100, 1_800_000_100]);
    await judges((store) => store.close(runId, Date.now()));
  });

  it("records the crossing once and asks for 0% only where policy lets the judge act alone", async () => {
    const crossing = async (autoRollback: boolean) => {
      const runId = `run_cross_${crypto.randomUUID().slice(0, 8)}`;
      const salt = `${runId}/s08-canary-step-10`;
      const config = parseSequentialConfig({});
      return judges((store) => {
        store.open(runId, { route: `${ROUTE}-${runId}`, router: "edge", autoRollback, config, at: 0 });
        store.seedLeadIn(runId, { requests: 3000, errors: 6 }, 0);
        store.beginStep(runId, { index: 0, weight: 10, at: 0, salt, autoRollback });
        const seconds = (from: number) =>
          Array.from({ length: 10 }, (_, i) => [
            second(from + i, "stable", 9, 0, salt),
            second(from + i, "canary", 1, 1, salt),
          ]).flat();
        const send = (from: number, isolate: string) =>
          store.ingest({ ...report(seconds(from), isolate), route: `${ROUTE}-${runId}` }, 0);
        const outcomes = [send(100, "i1"), send(110, "i2"), send(120, "i3")];
        store.close(runId, 0);
        return outcomes.map((o) => (o.kind === "counted" ? [o.rollback !== null, o.moveToZero] : [o.kind]));
      });
    };
    // A canary failing every request crosses within the first ten seconds; later reports only keep it.
    expect(await crossing(true)).toEqual([
      [true, true],
      [true, false],
      [true, false],
    ]);
    expect(await crossing(false)).toEqual([
      [true, false],
      [true, false],
      [true, false],
    ]);
  });
});
