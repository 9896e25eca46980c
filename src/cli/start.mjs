#!/usr/bin/env node
// npm start: local control plane on PORT (default 8787) with the sandbox providers and the seeded
// Invoice Perfect project. Writes .dev.vars on first run (git-ignored) and keeps it afterwards.
// wrangler's own output (migration tables, request lines) goes to a log file so that the URL and the
// admin token are the last lines on screen; `npm start -- --verbose` prints it here instead.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { delimiter, resolve } from "node:path";

const LOG = ".wrangler/npm-start.log";
const verbose = process.argv.slice(2).includes("--verbose");
const port = process.env.PORT ?? "8787";
// Checked first: a server already on the port would answer the readiness check in wrangler's place.
if (!(await portIsFree(port))) {
  console.error(
    `npm start: port ${port} is in use (another npm start?). Choose another, e.g. PORT=${Number(port) + 1} npm start`,
  );
  process.exit(1);
}
const vars = readDevVars();
const defaults = {
  SANDBOX: "1",
  SANDBOX_TIME_SCALE: "0.3",
  INFRA_CHAT_ADMIN_TOKEN: `ic_${randomBytes(32).toString("base64url")}`,
  SECRETS_MASTER_KEY: randomBytes(32).toString("base64"),
  SECRETS_KEY_ID: "local1",
  AUDIT_KEY: randomBytes(32).toString("base64"),
  AUDIT_KEY_ID: "local-audit1",
  APPROVAL_KEY: randomBytes(32).toString("base64"),
  APPROVAL_KEY_ID: "local-approval1",
  TWILIO_AUTH_TOKEN: randomBytes(16).toString("hex"),
  TWILIO_FROM_NUMBER: "+15550009999",
  PUBLIC_URL: `http://localhost:${port}`,
};
for (const [k, v] of Object.entries(defaults)) if (!vars[k]) vars[k] = v;
vars.PUBLIC_URL = `http://localhost:${port}`;
writeFileSync(
  ".dev.vars",
  `${Object.entries(vars)
    .map(([k, v]) => `${k}=${v}`)
    .join("\n")}\n`,
  { mode: 0o600 },
);

// The project's wrangler, also when this file is run without npm (which puts node_modules/.bin on PATH).
const env = { ...process.env, PATH: `${resolve("node_modules/.bin")}${delimiter}${process.env.PATH ?? ""}` };
mkdirSync(".wrangler", { recursive: true });
const log = openSync(LOG, "w");
const output = verbose ? "inherit" : log;
console.log(`Starting Infra Chat on port ${port} (wrangler's log: ${verbose ? "below" : LOG}) …`);

const migrate = await exited(
  spawn("wrangler", ["d1", "migrations", "apply", "DB", "--local", "--env", "dev"], {
    stdio: ["ignore", output, output],
    env: { ...env, CI: "1" },
  }),
);
if (migrate !== 0) fail(`the D1 migrations failed (exit ${migrate})`, migrate ?? 1);

const dev = spawn("wrangler", ["dev", "--env", "dev", "--port", port, "--ip", "127.0.0.1"], {
  stdio: ["ignore", output, output],
  env,
});
dev.on("error", (e) => fail(`wrangler dev did not start: ${e.message}`, 1));
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => dev.kill(signal));
let running = true;
let ready = false;
dev.on("exit", (code) => {
  running = false;
  if (!ready) fail(`wrangler dev exited (${code}) before the control plane answered`, code || 1);
  process.exit(code ?? 0);
});

await waitForServer(`http://127.0.0.1:${port}/`);
const seeded = await fetch(`http://127.0.0.1:${port}/sandbox/seed`, {
  method: "POST",
  headers: { "content-type": "application/json" },
});
if (!seeded.ok) {
  dev.kill("SIGTERM");
  fail(`seeding failed: ${seeded.status} ${await seeded.text()}`, 1);
}
ready = true;
// The last two lines are what a new user needs; everything else is in the log (or above, with --verbose).
console.log(`
Infra Chat is up with the sandbox providers and the Invoice Perfect project seeded. Stop it with Ctrl-C.
Try: npx infra-chat "deploy staging"   (README "Try it"; the token is also in .dev.vars)

URL:   http://localhost:${port}
Token: ${vars.INFRA_CHAT_ADMIN_TOKEN}`);

function readDevVars() {
  if (!existsSync(".dev.vars")) return {};
  return Object.fromEntries(
    readFileSync(".dev.vars", "utf8")
      .split("\n")
      .filter((l) => /^[A-Z_][A-Z0-9_]*=/.test(l))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
}

function exited(child) {
  return new Promise((done) => {
    child.on("exit", done);
    child.on("error", (e) => fail(`${child.spawnargs.join(" ")} did not start: ${e.message}`, 1));
  });
}

/** Says what failed with the end of wrangler's log (which the screen did not show), then exits. */
function fail(reason, code) {
  if (!verbose) {
    const tail = readFileSync(LOG, "utf8").trimEnd().split("\n").slice(-30).join("\n");
    console.error(`${tail}\n`);
  }
  console.error(`npm start: ${reason}. Full log: ${LOG}`);
  process.exit(code);
}

async function waitForServer(url) {
  for (let i = 0; i < 600 && running; i++) {
    try {
      const res = await fetch(url);
      if (res.status < 500) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  if (running) fail(`the dev server did not answer at ${url}`, 1);
}

function portIsFree(p) {
  return new Promise((done) => {
    const probe = createServer()
      .once("error", () => done(false))
      .once("listening", () => probe.close(() => done(true)))
      .listen(Number(p), "127.0.0.1");
  });
}
