#!/usr/bin/env node
// npm start: local control plane on PORT (default 8787) with the sandbox providers and the seeded
// Invoice Perfect project. Writes .dev.vars on first run (git-ignored) and keeps it afterwards.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";

const port = process.env.PORT ?? "8787";
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

const migrate = spawnSync("wrangler", ["d1", "migrations", "apply", "DB", "--local"], {
  stdio: ["ignore", "inherit", "inherit"],
  env: { ...process.env, CI: "1" },
});
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

const dev = spawn("wrangler", ["dev", "--port", port, "--ip", "127.0.0.1"], { stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code) => process.exit(code ?? 0));

await waitForServer(`http://127.0.0.1:${port}/`);
const seeded = await fetch(`http://127.0.0.1:${port}/sandbox/seed`, { method: "POST" });
if (!seeded.ok) {
  console.error(`seeding failed: ${seeded.status} ${await seeded.text()}`);
} else {
  console.log(`
  Infra Chat is up at http://localhost:${port} with the sandbox providers and Invoice Perfect seeded.
  Admin token (also in .dev.vars): ${vars.INFRA_CHAT_ADMIN_TOKEN}

    curl -s localhost:${port}/api/chat -H "authorization: Bearer ${vars.INFRA_CHAT_ADMIN_TOKEN}" \\
      -H 'content-type: application/json' -d '{"message":"deploy staging"}'
`);
}

function readDevVars() {
  if (!existsSync(".dev.vars")) return {};
  return Object.fromEntries(
    readFileSync(".dev.vars", "utf8")
      .split("\n")
      .filter((l) => /^[A-Z_][A-Z0-9_]*=/.test(l))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
}

async function waitForServer(url) {
  for (let i = 0; i < 300; i++) {
    try {
      const res = await fetch(url);
      if (res.status < 500) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the dev server did not answer at ${url}`);
}
