#!/usr/bin/env node
// npx infra-chat "deploy staging": talks to the control plane's chat API and follows the run it starts.
// Config: INFRA_CHAT_URL (default http://localhost:8787), INFRA_CHAT_TOKEN (default: the local admin token
// from .dev.vars), INFRA_CHAT_CONVERSATION (continue a conversation; the id is printed on every call).
import { existsSync, readFileSync } from "node:fs";

const TERMINAL = new Set(["succeeded", "failed", "rolled-back", "cancelled", "rejected"]);
const message = process.argv.slice(2).join(" ").trim();
if (!message) {
  console.error('usage: infra-chat "deploy staging"');
  process.exit(2);
}
const base = (process.env.INFRA_CHAT_URL ?? "http://localhost:8787").replace(/\/$/, "");
const token = process.env.INFRA_CHAT_TOKEN ?? localAdminToken();
if (!token) {
  console.error("no token: set INFRA_CHAT_TOKEN (or run `npm start` here, which writes .dev.vars)");
  process.exit(2);
}

const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
const res = await fetch(`${base}/api/chat`, { method: "POST", headers, body: JSON.stringify({ message, conversationId: process.env.INFRA_CHAT_CONVERSATION }) });
const body = await res.json().catch(() => null);
if (!res.ok) {
  console.error(`error ${res.status}: ${body?.error?.message ?? "unexpected answer"}`);
  process.exit(2);
}
console.log(`conversation ${body.conversationId}`);
let exit = 0;
for (const reply of body.replies) {
  console.log(`\n${reply.text}`);
  if (!reply.run) continue;
  if (!TERMINAL.has(reply.run.status) && reply.run.status !== "awaiting-approval") exit = Math.max(exit, await follow(reply.run.id));
  else {
    console.log(`run ${reply.run.id}: ${reply.run.status}${reply.run.error ? ` — ${reply.run.error}` : ""}`);
    if (["failed", "rolled-back"].includes(reply.run.status)) exit = 1;
  }
}
process.exit(exit);

/** Prints each step as it changes until the run ends; exit code 1 when it did not succeed. */
async function follow(runId) {
  const seen = new Map();
  for (;;) {
    const r = await fetch(`${base}/api/runs/${runId}`, { headers });
    if (!r.ok) return 2;
    const { run } = await r.json();
    for (const step of run.steps) {
      const line = `${step.status}${step.note ? ` — ${step.note}` : ""}`;
      if (seen.get(step.id) !== line && step.status !== "pending") console.log(`  [${step.status}] ${step.summary}${step.note ? ` — ${step.note}` : ""}`);
      seen.set(step.id, line);
    }
    if (TERMINAL.has(run.status) || run.status === "stopped" || run.status === "awaiting-approval") {
      console.log(`run ${run.id}: ${run.status}${run.error ? ` — ${run.error}` : ""}`);
      return run.status === "succeeded" ? 0 : 1;
    }
    await new Promise((done) => setTimeout(done, 400));
  }
}

function localAdminToken() {
  if (!existsSync(".dev.vars")) return undefined;
  return /^INFRA_CHAT_ADMIN_TOKEN=(.+)$/m.exec(readFileSync(".dev.vars", "utf8"))?.[1]?.trim();
}
