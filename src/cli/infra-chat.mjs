#!/usr/bin/env node
// npx infra-chat "deploy staging": sends one chat message and streams the replies, then the progress of
// the runs they started, as the server pushes them (POST /api/chat with Accept: text/event-stream).
// Config: INFRA_CHAT_URL (default http://localhost:8787), INFRA_CHAT_TOKEN (default: the local admin token
// from .dev.vars), INFRA_CHAT_CONVERSATION (continue a conversation; the id is printed on every call).
// Exit codes: 0 done, 1 a run failed, rolled back or was cancelled/rejected, 2 the request itself failed.
import { existsSync, readFileSync } from "node:fs";

const FAILED = new Set(["failed", "rolled-back", "cancelled", "rejected"]);
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

const res = await fetch(`${base}/api/chat`, {
  method: "POST",
  headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "text/event-stream" },
  body: JSON.stringify({ message, conversationId: process.env.INFRA_CHAT_CONVERSATION }),
}).catch((e) => {
  console.error(`cannot reach ${base}: ${e.cause?.code ?? e.message}`);
  process.exit(2);
});
if (!res.ok) {
  const body = await res.json().catch(() => null);
  console.error(`error ${res.status}: ${body?.error?.message ?? "unexpected answer"}`);
  process.exit(2);
}

const printed = new Map();
const finalStatus = new Map();
for await (const { event, data } of serverSentEvents(res.body)) {
  if (event === "conversation") console.log(`conversation ${data.conversationId}`);
  if (event === "reply") {
    console.log(`\n${data.text}`);
    if (data.run) finalStatus.set(data.run.id, data.run.status);
  }
  if (event === "run") printRun(data);
  if (event === "error") {
    console.error(`\n${data.error?.message ?? "the stream broke off"}`);
    process.exit(2);
  }
}
let exit = 0;
for (const [id, status] of finalStatus) {
  console.log(`run ${id}: ${status}`);
  if (FAILED.has(status)) exit = 1;
}
process.exit(exit);

/** Prints each step once per change of status or note, and the run's end (or wait for a person). */
function printRun(run) {
  for (const step of run.steps) {
    const line = `${step.status}${step.note ? ` — ${step.note}` : ""}${step.error ? ` — ${step.error}` : ""}`;
    if (printed.get(`${run.id}/${step.id}`) !== line && step.status !== "pending")
      console.log(
        `  [${step.status}] ${step.summary}${step.note || step.error ? ` — ${step.error ?? step.note}` : ""}`,
      );
    printed.set(`${run.id}/${step.id}`, line);
  }
  if (run.canary && printed.get(`${run.id}/canary`) !== `${run.canary.phase}/${run.canary.weight}`) {
    console.log(
      `  canary ${run.canary.phase} at ${run.canary.weight}%${run.canary.lastScore == null ? "" : `, score ${run.canary.lastScore}`}`,
    );
    printed.set(`${run.id}/canary`, `${run.canary.phase}/${run.canary.weight}`);
  }
  if (finalStatus.get(run.id) !== run.status && run.error) console.log(`  ${run.error}`);
  finalStatus.set(run.id, run.status);
}

/** Parses a text/event-stream body into {event, data} records. */
async function* serverSentEvents(body) {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true }).replace(/\r\n/g, "\n");
    for (let cut = buffer.indexOf("\n\n"); cut >= 0; cut = buffer.indexOf("\n\n")) {
      const frame = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const event = /^event: ?(.*)$/m.exec(frame)?.[1] ?? "message";
      const data = frame
        .split("\n")
        .filter((l) => l.startsWith("data:"))
        .map((l) => l.slice(5).replace(/^ /, ""))
        .join("\n");
      if (data) yield { event, data: JSON.parse(data) };
    }
  }
}

function localAdminToken() {
  if (!existsSync(".dev.vars")) return undefined;
  return /^INFRA_CHAT_ADMIN_TOKEN=(.+)$/m.exec(readFileSync(".dev.vars", "utf8"))?.[1]?.trim();
}
