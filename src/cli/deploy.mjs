#!/usr/bin/env node
// npm run deploy: Infra Chat on your Cloudflare account in one guided command, over wrangler. It creates or
// finds the D1 database and R2 bucket and writes the database id into the Wrangler config, applies pending
// D1 migrations (remote), sets the secrets the Worker lacks (SECRETS_MASTER_KEY, AUDIT_KEY, APPROVAL_KEY and
// BOOTSTRAP_SECRET generated, provider tokens asked for or taken from the environment), deploys with PUBLIC_URL, and prints
// the next command. Idempotent: a second run finds everything in place and changes nothing (the deployed
// version is tagged with a hash of the bundle and its config, and is redeployed only when that changes).
//
// Non-interactive (CI, no TTY, or --yes): nothing is asked; values come from the environment, and a missing
// required one stops the run with the reason. Flags: --public-url <url> (else PUBLIC_URL), --yes.
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline/promises";

/**
 * Where this script deploys: the Wrangler config file and environment. wrangler.toml's top level is the
 * production entry (src/index.ts, no sandbox); its `[env.dev]` is the local entry and is never deployed.
 */
const DEPLOY_TARGET = { config: "wrangler.toml", env: null };

/** Secrets the Worker needs: generated ones, and provider tokens (required ones stop a run without them). */
const SECRETS = [
  { name: "SECRETS_MASTER_KEY", generate: () => randomBytes(32).toString("base64"), about: "key for secrets at rest" },
  { name: "AUDIT_KEY", generate: () => randomBytes(32).toString("base64"), about: "HMAC key of the audit chain" },
  { name: "APPROVAL_KEY", generate: () => randomBytes(32).toString("base64"), about: "key approval codes derive from" },
  { name: "BOOTSTRAP_SECRET", generate: () => randomBytes(24).toString("base64url"), about: "creates the first admin" },
  { name: "RAILWAY_API_TOKEN", required: true, about: "Railway account or workspace token (not a project token)" },
  {
    name: "CLOUDFLARE_API_TOKEN",
    about: "Cloudflare API token: DNS, Load Balancers, Zone Settings read, Billing read",
  },
  { name: "TWILIO_ACCOUNT_SID", about: "Twilio account SID (AC…) for SMS alerts" },
  { name: "TWILIO_AUTH_TOKEN", about: "Twilio auth token" },
  { name: "TWILIO_FROM_NUMBER", about: "Twilio sender number (A2P 10DLC-registered or verified toll-free)" },
  { name: "GITHUB_TOKEN", about: "GitHub token with read access to your repositories" },
];

const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const interactive = !args.includes("--yes") && !process.env.CI && process.stdin.isTTY === true;

function stop(reason) {
  console.error(`\nnpm run deploy stopped: ${reason}`);
  process.exit(1);
}

/** Runs wrangler against the deploy target; output captured (so nothing waits on a prompt). */
function wrangler(argv, { input, allowFailure = false } = {}) {
  const target = ["--config", DEPLOY_TARGET.config, ...(DEPLOY_TARGET.env ? ["--env", DEPLOY_TARGET.env] : [])];
  const result = spawnSync("wrangler", [...argv, ...target], { input, encoding: "utf8", env: process.env });
  if (result.error) stop(`cannot run wrangler (${result.error.message}); run this through \`npm run deploy\``);
  if (result.status !== 0 && !allowFailure)
    stop(`wrangler ${argv.slice(0, 3).join(" ")} failed:\n${(result.stderr || result.stdout).trim()}`);
  return { ok: result.status === 0, out: result.stdout, err: result.stderr };
}

function parseJson(text, what) {
  try {
    return JSON.parse(text);
  } catch {
    stop(`wrangler ${what} did not answer JSON:\n${text.trim()}`);
  }
}

const say = (text) => console.log(text);

// 1. PUBLIC_URL first: without it nothing else is worth doing (SMS links and Twilio webhooks need it).
const publicUrl = (flag("--public-url") ?? process.env.PUBLIC_URL ?? "").replace(/\/$/, "");
if (!/^https:\/\/[^/\s]+$/.test(publicUrl))
  stop(
    publicUrl
      ? `PUBLIC_URL must be the Worker's public https origin (e.g. https://infra-chat.example.com), not ${publicUrl}`
      : "PUBLIC_URL is required: the https origin the Worker will answer on (--public-url or PUBLIC_URL)",
  );

// 2. The D1 database and R2 bucket the config names, created when missing; the database id written back.
const configText = readFileSync(DEPLOY_TARGET.config, "utf8");
const databaseName = /database_name\s*=\s*"([^"]+)"/.exec(configText)?.[1] ?? stop("no D1 database_name in config");
const bucketName = /bucket_name\s*=\s*"([^"]+)"/.exec(configText)?.[1] ?? stop("no R2 bucket_name in config");

const findDatabase = () =>
  parseJson(wrangler(["d1", "list", "--json"]).out, "d1 list").find((d) => d.name === databaseName);
let database = findDatabase();
if (!database) {
  say(`Creating D1 database ${databaseName}…`);
  wrangler(["d1", "create", databaseName]);
  database = findDatabase() ?? stop(`D1 database ${databaseName} was created but is not listed`);
} else say(`D1 database ${databaseName}: ${database.uuid}`);
const withId = configText.replace(/(database_id\s*=\s*")[^"]*(")/, `$1${database.uuid}$2`);
if (withId !== configText) {
  writeFileSync(DEPLOY_TARGET.config, withId);
  say(`Wrote database_id ${database.uuid} into ${DEPLOY_TARGET.config}`);
}

const buckets = [...wrangler(["r2", "bucket", "list"]).out.matchAll(/^name:\s+(\S+)/gm)].map((m) => m[1]);
if (!buckets.includes(bucketName)) {
  say(`Creating R2 bucket ${bucketName}…`);
  wrangler(["r2", "bucket", "create", bucketName]);
} else say(`R2 bucket ${bucketName}: present`);

// 3. Pending migrations only, so a run with none changes nothing.
const pending = wrangler(["d1", "migrations", "list", "DB", "--remote"]).out;
if (/No migrations to apply/.test(pending)) say("D1 migrations: up to date");
else {
  say("Applying D1 migrations (remote)…");
  wrangler(["d1", "migrations", "apply", "DB", "--remote"]);
}

// 4. Secrets the Worker lacks. A Worker that does not exist yet has none (wrangler says it was not found).
const listed = wrangler(["secret", "list"], { allowFailure: true });
if (!listed.ok && !/not found/i.test(listed.err + listed.out))
  stop(`wrangler secret list failed:\n${listed.err.trim()}`);
const present = new Set(listed.ok ? parseJson(listed.out, "secret list").map((s) => s.name) : []);
const prompt = interactive ? createInterface({ input: process.stdin, output: process.stdout }) : null;
const toSet = {};
for (const secret of SECRETS.filter((s) => !present.has(s.name))) {
  let value = process.env[secret.name] ?? (secret.generate ? secret.generate() : undefined);
  if (value === undefined && prompt)
    value = (
      await prompt.question(`${secret.name} — ${secret.about}${secret.required ? "" : " (empty to skip)"}: `)
    ).trim();
  if (!value) {
    if (secret.required) stop(`${secret.name} is required (${secret.about}); set it in the environment`);
    continue;
  }
  toSet[secret.name] = value;
}
prompt?.close();

// 5. Deploy only when the bundle or its config changed since the deployed version (its tag says which).
const outdir = mkdtempSync(join(tmpdir(), "infra-chat-build-"));
wrangler(["deploy", "--dry-run", "--outdir", outdir]);
const hash = createHash("sha256").update(readFileSync(DEPLOY_TARGET.config)).update(publicUrl);
for (const file of readdirSync(outdir, { recursive: true }).sort())
  if (statSync(join(outdir, file)).isFile()) hash.update(file).update(readFileSync(join(outdir, file)));
rmSync(outdir, { recursive: true, force: true });
const tag = `bundle-${hash.digest("hex").slice(0, 16)}`;

const status = wrangler(["deployments", "status", "--json"], { allowFailure: true });
const liveVersion = status.ok ? parseJson(status.out, "deployments status").versions?.[0]?.version_id : undefined;
const versions = liveVersion ? parseJson(wrangler(["versions", "list", "--json"]).out, "versions list") : [];
const liveTag = versions.find((v) => v.id === liveVersion)?.annotations?.["workers/tag"];

const deployArgs = ["deploy", "--var", `PUBLIC_URL:${publicUrl}`, "--tag", tag, "--message", `infra-chat ${tag}`];
if (!liveVersion) {
  // The first deploy carries its secrets, so the Worker never runs without its master key.
  const dir = mkdtempSync(join(tmpdir(), "infra-chat-secrets-"));
  const file = join(dir, "secrets.json");
  writeFileSync(file, JSON.stringify(toSet), { mode: 0o600 });
  say("Deploying (first version, with its secrets)…");
  try {
    wrangler([...deployArgs, "--secrets-file", file]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
} else {
  for (const [name, value] of Object.entries(toSet)) {
    say(`Setting secret ${name}…`);
    wrangler(["secret", "put", name], { input: value });
  }
  if (liveTag === tag) say(`Deployed version is current (${tag}): nothing to deploy`);
  else {
    say("Deploying…");
    wrangler(deployArgs);
  }
}

if (toSet.BOOTSTRAP_SECRET)
  say(`\nBOOTSTRAP_SECRET (shown once; it creates the first admin): ${toSet.BOOTSTRAP_SECRET}`);
say(`\nInfra Chat is deployed at ${publicUrl}. Next:\n\n  npx infra-chat init --url ${publicUrl}\n`);
