#!/usr/bin/env node
// npx infra-chat "deploy staging": sends one chat message and streams the replies, then the progress of
// the runs they started, as the server pushes them (POST /api/chat with Accept: text/event-stream).
//   -c, --continue   continue the last conversation this CLI had with this server as this user ("apply", "cancel")
//   --detach         print the replies and return; the runs they started go on (ask "status of <env>" later)
//   audit export --env <env> [--out file]   one audit chain and its anchors, for src/cli/verify-audit.mjs
//   audit verify [--env <env>]              the control plane's own verification of the audit chains
// Config: INFRA_CHAT_URL (default: PUBLIC_URL from .dev.vars, which `npm start` writes for its PORT, else
// http://localhost:8787), INFRA_CHAT_TOKEN (default: the local admin token from .dev.vars),
// INFRA_CHAT_CONVERSATION (continue that conversation; the id is printed on every call).
// Exit codes: 0 done, 1 a run failed, rolled back or was cancelled/rejected, 2 the request itself failed.
// `npx infra-chat init --url <url>` creates the first admin of a new deployment instead (src/cli/init.mjs).
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

if (process.argv[2] === "init") {
  const { init } = await import("./init.mjs");
  process.exit(await init(process.argv.slice(3)));
}

const FAILED = new Set(["failed", "rolled-back", "cancelled", "rejected"]);
const args = process.argv.slice(2);
if (args[0] === "audit") {
  const { auditCommand } = await import("./audit-command.mjs");
  const vars = readDevVars();
  const base = (process.env.INFRA_CHAT_URL || vars.PUBLIC_URL || "http://localhost:8787").replace(/\/$/, "");
  process.exit(
    await auditCommand(args.slice(1), { base, token: process.env.INFRA_CHAT_TOKEN || vars.INFRA_CHAT_ADMIN_TOKEN }),
  );
}
const flags = new Set(args.filter((a) => /^-(c|-continue|-detach)$/.test(a)));
const message = args
  .filter((a) => !flags.has(a))
  .join(" ")
  .trim();
if (!message || args.some((a) => a.startsWith("-") && !flags.has(a))) {
  console.error('usage: infra-chat [-c|--continue] [--detach] "deploy staging"');
  process.exit(2);
}
const devVars = readDevVars();
// An empty variable counts as unset, as shells make it easy to export one by accident.
const base = (process.env.INFRA_CHAT_URL || devVars.PUBLIC_URL || "http://localhost:8787").replace(/\/$/, "");
const token = process.env.INFRA_CHAT_TOKEN || devVars.INFRA_CHAT_ADMIN_TOKEN;
if (!token) {
  console.error("no token: set INFRA_CHAT_TOKEN (or run `npm start` here, which writes .dev.vars)");
  process.exit(2);
}
const detach = flags.has("--detach");
const conversations = conversationStore(base, token);
const continuing = flags.has("-c") || flags.has("--continue");
const conversationId = process.env.INFRA_CHAT_CONVERSATION || (continuing ? conversations.last() : undefined);
if (continuing && !conversationId) console.error(`no earlier conversation with ${base}: starting a new one`);

const res = await fetch(`${base}/api/chat`, {
  method: "POST",
  headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "text/event-stream" },
  body: JSON.stringify({ message, conversationId }),
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
  if (event === "conversation") {
    console.log(`conversation ${data.conversationId}`);
    conversations.remember(data.conversationId);
  }
  if (event === "reply") {
    console.log(`\n${data.text}`);
    if (data.run) finalStatus.set(data.run.id, data.run.status);
  }
  if (event === "replies-end" && detach) break;
  if (event === "run") printRun(data);
  if (event === "error") {
    console.error(`\n${data.error?.message ?? "the stream broke off"}`);
    process.exit(2);
  }
}
let exit = 0;
for (const [id, status] of finalStatus) {
  console.log(
    `run ${id}: ${status}${detach && !FAILED.has(status) && status !== "succeeded" ? " (detached: it goes on)" : ""}`,
  );
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

/** KEY=value lines of the git-ignored .dev.vars `npm start` writes in this folder (empty when there is none). */
function readDevVars() {
  if (!existsSync(".dev.vars")) return {};
  return Object.fromEntries(
    readFileSync(".dev.vars", "utf8")
      .split("\n")
      .map((line) => /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim()))
      .filter(Boolean)
      .map((m) => [m[1], m[2]]),
  );
}

/**
 * The last conversation per server and user, for `-c` (like `llm -c`): kept under XDG_STATE_HOME, keyed by
 * the URL and a hash of the token, so another user's token never continues someone else's conversation.
 */
function conversationStore(url, secret) {
  const dir = join(process.env.XDG_STATE_HOME || join(homedir(), ".local", "state"), "infra-chat");
  const file = join(dir, "conversations.json");
  const key = `${url} ${createHash("sha256").update(secret).digest("hex").slice(0, 16)}`;
  const read = () => {
    try {
      return JSON.parse(readFileSync(file, "utf8"));
    } catch {
      return {};
    }
  };
  return {
    last: () => read()[key],
    remember(id) {
      try {
        mkdirSync(dir, { recursive: true });
        writeFileSync(file, `${JSON.stringify({ ...read(), [key]: id }, null, 2)}\n`, { mode: 0o600 });
      } catch {
        // Remembering is a convenience: a read-only home must not fail the command.
      }
    },
  };
}
