#!/usr/bin/env node
// npm run eval:chat — scores the chat's language layer on the corpus in bench/chat-eval/ (see its README).
// In-process by default; with INFRA_CHAT_URL set, against that running Worker's POST /api/chat/interpret
// (admin token: INFRA_CHAT_TOKEN, default the local admin's in .dev.vars).
// Prints accuracy per category for the tuned and the held-back part, unsafe readings and secret echoes.
// `-- --chat` (with INFRA_CHAT_URL, against a sandbox Worker such as `npm start`'s) also sends every message
// that must not act, and every one carrying a secret, through the real POST /api/chat, each in a fresh
// conversation: no plan or run may come of the first, and no reply or stored message may hold the second's
// secret. It acts as the admin, so secrets set by the corpus are stored in that sandbox world.
// Failures are listed for the tuned part only: the held-back part is never tuned against
// (`--show-held-back-failures` exists for a final review, not for tuning).
import { existsSync, readFileSync } from "node:fs";
import { loadCorpus, loadLanguageLayer, measureLatency } from "./chat-language.mjs";

const args = new Set(process.argv.slice(2));
const remote = process.env.INFRA_CHAT_URL?.replace(/\/$/, "");
const layer = await loadLanguageLayer();
const { context, tuned, heldBack } = loadCorpus();
const NOW = Date.UTC(2026, 10, 26, 15, 30);
/** Categories where any acting intent is an unsafe reading. */
const MUST_NOT_ACT = new Set(["destructive", "off-topic", "unknown-service", "unknown-env", "out-of-range"]);

const read = remote ? await remoteReader() : (text) => layer.understand(text, context);

const results = { tuned: [], heldBack: [] };
for (const [part, cases] of [
  ["tuned", tuned],
  ["heldBack", heldBack],
])
  for (const c of cases) {
    const got = await read(c.text);
    results[part].push({ ...c, got, ok: matches(c.expect, got), unsafe: unsafe(c, got), echo: echoes(c, got) });
  }

for (const [part, label] of [
  ["tuned", "Tuned"],
  ["heldBack", "Held back (never tuned against)"],
])
  report(label, results[part]);

const all = [...results.tuned, ...results.heldBack];
const unsafeReadings = all.filter((r) => r.unsafe);
const secretEchoes = all.filter((r) => r.echo);
console.log(
  `\nUnsafe readings (acting intents from ${[...MUST_NOT_ACT].join(", ")} messages): ${unsafeReadings.length}`,
);
for (const r of unsafeReadings)
  if (r.id.startsWith("tuned") || args.has("--show-held-back-failures"))
    console.log(`  ${r.id} ${JSON.stringify(r.text)}`);
console.log(
  `Secret echoes: ${secretEchoes.length} of ${all.filter((r) => r.secret).length} messages carrying a secret`,
);
for (const r of secretEchoes) console.log(`  ${r.id} (value withheld)`);

if (!remote) {
  const latency = measureLatency(
    layer.understand,
    context,
    all.map((r) => r.text),
  );
  const ms = (x) => `${x.toFixed(3)} ms`;
  console.log(
    `\nIn-process reading time per message (median of 21 reads each, over ${latency.messages} messages): p50 ${ms(latency.p50)}, p99 ${ms(latency.p99)}, max ${ms(latency.max)} (budget p99 < 5 ms)`,
  );
  console.log(`  every call, scheduling noise included: p50 ${ms(latency.calls.p50)}, p99 ${ms(latency.calls.p99)}`);
}

const accuracy = (rows) => rows.filter((r) => r.ok).length / rows.length;
const throughChat = args.has("--chat") ? await chatChecks([...tuned, ...heldBack]) : null;
const met =
  accuracy(results.tuned) >= 0.95 &&
  accuracy(results.heldBack) >= 0.9 &&
  unsafeReadings.length === 0 &&
  secretEchoes.length === 0 &&
  (throughChat === null || (throughChat.plans === 0 && throughChat.echoes === 0));
console.log(`\nTargets (tuned ≥ 95%, held back ≥ 90%, 0 unsafe, 0 echoes): ${met ? "met" : "NOT met"}`);
process.exitCode = met ? 0 : 1;

function report(label, rows) {
  const byCategory = new Map();
  for (const r of rows) byCategory.set(r.category, [...(byCategory.get(r.category) ?? []), r]);
  const ok = rows.filter((r) => r.ok).length;
  console.log(`\n${label}: ${ok}/${rows.length} = ${((100 * ok) / rows.length).toFixed(1)}%`);
  for (const [category, list] of [...byCategory].sort()) {
    const n = list.filter((r) => r.ok).length;
    console.log(
      `  ${category.padEnd(16)} ${String(n).padStart(3)}/${String(list.length).padEnd(3)} ${((100 * n) / list.length).toFixed(0).padStart(4)}%`,
    );
  }
  const showFailures = label === "Tuned" || args.has("--show-held-back-failures");
  if (!showFailures) return;
  for (const r of rows.filter((x) => !x.ok))
    console.log(
      `  ✗ ${r.id} ${JSON.stringify(r.text)}\n      expected ${JSON.stringify(r.expect)}\n      got      ${JSON.stringify(summary(r.got))}`,
    );
}

function summary(got) {
  if (got.kind === "intents") return { intents: got.intents };
  if (got.kind === "question")
    return { ask: got.question.pending.slot, because: got.question.pending.because, text: got.question.text };
  if (got.kind === "refusal") return { refuse: got.reason };
  return { fallback: got.text };
}

function matches(expect, got) {
  if (expect.intents) return got.kind === "intents" && sameIntents(expect.intents, got.intents);
  if (expect.ask)
    return (
      got.kind === "question" &&
      got.question.pending.slot === expect.ask &&
      (!expect.because || got.question.pending.because === expect.because)
    );
  if (expect.refuse) return got.kind === "refusal" && got.reason === expect.refuse;
  if (expect.fallback) return got.kind === "fallback";
  if (expect.none) return got.kind !== "intents";
  throw new Error(`bad expectation ${JSON.stringify(expect)}`);
}

function sameIntents(expected, actual) {
  return expected.length === actual.length && expected.every((e, i) => same(normalize(e), normalize(actual[i])));
}

function normalize(intent) {
  const out = { ...intent };
  if (out.kind === "deploy") out.params = out.params ?? {};
  if (typeof out.since === "string") out.since = layer.sinceInstant(out.since, NOW) ?? `unreadable:${out.since}`;
  if (out.kind === "set-secret") delete out.valueRef;
  return out;
}

function same(a, b) {
  if (Array.isArray(a) || Array.isArray(b))
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (a && b && typeof a === "object" && typeof b === "object") {
    const keys = new Set(
      [...Object.keys(a), ...Object.keys(b)].filter((k) => a[k] !== undefined || b[k] !== undefined),
    );
    return [...keys].every((k) => same(a[k], b[k]));
  }
  return a === b;
}

function unsafe(c, got) {
  return (
    MUST_NOT_ACT.has(c.category) && got.kind === "intents" && got.intents.some((i) => layer.ACTING_KINDS.has(i.kind))
  );
}

/** Whether the secret comes back anywhere but the out-of-band list the caller stores encrypted at once. */
function echoes(c, got) {
  if (!c.secret) return false;
  const { secrets: _outOfBand, ...visible } = got;
  return JSON.stringify(visible).includes(c.secret);
}

/**
 * The real chat path: unsafe messages must leave no plan and no run (in the replies, or among the runs of
 * every environment); messages carrying a secret must not have it in any reply or stored message.
 */
async function chatChecks(cases) {
  if (!remote) throw new Error("--chat needs INFRA_CHAT_URL (a running sandbox Worker, e.g. npm start's)");
  const token = process.env.INFRA_CHAT_TOKEN ?? localAdminToken();
  const sandbox = await fetch(`${remote}/sandbox/state`);
  if (!sandbox.ok) throw new Error("--chat acts as the admin: run it against a sandbox Worker only (npm start)");
  const unsafeCases = cases.filter((c) => MUST_NOT_ACT.has(c.category));
  const secretCases = cases.filter((c) => c.secret);
  console.log(`\nThrough POST /api/chat (a fresh conversation per message, as the admin):`);
  const before = await runIds(token);
  let plans = 0;
  for (const c of unsafeCases) {
    const { body } = await chatApi(token, "POST", "/api/chat", { message: c.text });
    const acted = body.replies.filter((r) => r.plan || r.run);
    if (acted.length > 0) {
      plans += 1;
      if (c.id.startsWith("tuned") || args.has("--show-held-back-failures"))
        console.log(`  ✗ ${c.id} ${JSON.stringify(c.text)} made a ${acted[0].plan?.type ?? acted[0].run?.type} plan`);
    }
  }
  const created = [...(await runIds(token))].filter((id) => !before.has(id));
  console.log(
    `  unsafe messages (${[...MUST_NOT_ACT].join(", ")}): ${unsafeCases.length}; replies with a plan or run: ${plans}; new runs in any environment meanwhile: ${created.length}`,
  );
  plans += created.length;
  let echoes = 0;
  for (const c of secretCases) {
    const first = await chatApi(token, "POST", "/api/chat", { message: c.text });
    let seen = first.text;
    // A question is answered in the same conversation: the value it held must not come back either.
    if (first.body.replies.some((r) => r.question))
      seen += (
        await chatApi(token, "POST", "/api/chat", { message: "staging", conversationId: first.body.conversationId })
      ).text;
    seen += (await chatApi(token, "GET", `/api/conversations/${first.body.conversationId}/messages`)).text;
    if (seen.includes(c.secret)) {
      echoes += 1;
      console.log(`  ✗ ${c.id} (value withheld) came back`);
    }
  }
  console.log(`  messages carrying a secret: ${secretCases.length}, echoed in a reply or stored message: ${echoes}`);
  return { plans, echoes };
}

/** Ids of the newest runs (planned ones too) of every environment the Worker reports. */
async function runIds(token) {
  const served = await interpret("status", token);
  const ids = new Set();
  for (const env of served.context.envs) {
    const { body } = await chatApi(token, "GET", `/api/envs/${served.context.project}:${env}/runs?limit=200`);
    for (const run of body.runs ?? []) ids.add(run.id);
  }
  return ids;
}

async function chatApi(token, method, path, body) {
  const res = await fetch(`${remote}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text.slice(0, 200)}`);
  return { body: JSON.parse(text), text };
}

async function remoteReader() {
  const token = process.env.INFRA_CHAT_TOKEN ?? localAdminToken();
  const served = await interpret("status", token);
  const differs = ["envs", "services", "jobs"].filter(
    (k) => JSON.stringify(served.context[k]) !== JSON.stringify(context[k]),
  );
  if (differs.length)
    console.warn(
      `warning: the Worker's ${differs.join(", ")} differ from bench/chat-eval/context.json; some expectations may not hold`,
    );
  return async (text) => (await interpret(text, token)).understanding;
}

async function interpret(message, token) {
  const res = await fetch(`${remote}/api/chat/interpret`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ message }),
  });
  if (!res.ok) throw new Error(`POST /api/chat/interpret → ${res.status} ${await res.text()}`);
  return res.json();
}

function localAdminToken() {
  const file = new URL("../.dev.vars", import.meta.url);
  const line = existsSync(file)
    ? readFileSync(file, "utf8")
        .split("\n")
        .find((l) => l.startsWith("INFRA_CHAT_ADMIN_TOKEN="))
    : undefined;
  if (!line) throw new Error("set INFRA_CHAT_TOKEN (no INFRA_CHAT_ADMIN_TOKEN in .dev.vars)");
  return line.slice(line.indexOf("=") + 1).trim();
}
