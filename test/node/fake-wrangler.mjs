#!/usr/bin/env node
// A stand-in for `wrangler` in the deploy script's tests: the subcommands `npm run deploy` uses, with
// wrangler's real output formats (checked in node_modules/wrangler), state kept in the JSON file named by
// FAKE_WRANGLER_STATE, and every call recorded there (secret values never: only their names).
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const statePath = process.env.FAKE_WRANGLER_STATE;
const state = existsSync(statePath)
  ? JSON.parse(readFileSync(statePath, "utf8"))
  : { calls: [], databases: [], buckets: [], applied: [], secrets: [], versions: [], deployments: [] };
// Options after the command (--config, --env, …) are recorded but not needed to answer.
const argv = process.argv.slice(2);
state.calls.push(argv.filter((a, i) => a !== "--config" && argv[i - 1] !== "--config"));
const save = () => writeFileSync(statePath, JSON.stringify(state, null, 2));
const opt = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const out = (text) => process.stdout.write(`${text}\n`);
const fail = (text) => {
  save();
  process.stderr.write(`✘ [ERROR] ${text}\n`);
  process.exit(1);
};
const id = () => crypto.randomUUID();
const [a, b, c] = argv;
const migrations = () =>
  existsSync("d1-migrations")
    ? readdirSync("d1-migrations")
        .filter((f) => f.endsWith(".sql"))
        .sort()
    : [];

if (a === "d1" && b === "list") out(JSON.stringify(state.databases, null, 2));
else if (a === "d1" && b === "create") {
  state.databases.push({ uuid: id(), name: c, created_at: new Date().toISOString(), version: "production" });
  out(`✅ Successfully created DB '${c}' in region WNAM\nCreated your new D1 database.`);
} else if (a === "r2" && b === "bucket" && c === "list") {
  out("Listing buckets...");
  out(state.buckets.map((n) => `name:           ${n}\ncreation_date:  2026-12-01T00:00:00.000Z`).join("\n\n"));
} else if (a === "r2" && b === "bucket" && c === "create") {
  state.buckets.push(argv[3]);
  out(`Creating bucket '${argv[3]}'...\n✅ Created bucket '${argv[3]}' with default storage class of Standard.`);
} else if (a === "d1" && b === "migrations") {
  if (!state.databases.length) fail("Couldn't find a D1 DB with the name or binding 'DB'");
  const unapplied = migrations().filter((m) => !state.applied.includes(m));
  if (!unapplied.length) out("✅ No migrations to apply!");
  else if (c === "list") out(`Migrations to be applied:\n${unapplied.map((m) => `│ ${m} │`).join("\n")}`);
  else {
    state.applied.push(...unapplied);
    out(unapplied.map((m) => `│ ${m} │ ✅ │`).join("\n"));
  }
} else if (a === "secret" && b === "list") {
  if (!state.deployments.length)
    fail('Worker "infra-chat" not found.\nIf this is a new Worker, run `wrangler deploy` first to create it.');
  out(
    JSON.stringify(
      state.secrets.map((name) => ({ name, type: "secret_text" })),
      null,
      "  ",
    ),
  );
} else if (a === "secret" && b === "put") {
  const value = readFileSync(0, "utf8");
  if (!value) fail("no secret value on stdin");
  if (!state.secrets.includes(c)) state.secrets.push(c);
  out(`✨ Success! Uploaded secret ${c}`);
} else if (a === "deploy" && argv.includes("--dry-run")) {
  const dir = opt("--outdir");
  mkdirSync(dir, { recursive: true });
  // The bundle depends on the sources; the config is hashed by the script itself.
  writeFileSync(join(dir, "index.js"), `// bundle of ${migrations().length} migrations\nexport default {};\n`);
  out("--dry-run: exiting now.");
} else if (a === "deploy") {
  const file = opt("--secrets-file");
  if (file)
    for (const name of Object.keys(JSON.parse(readFileSync(file, "utf8"))))
      if (!state.secrets.includes(name)) state.secrets.push(name);
  const version = {
    id: id(),
    number: state.versions.length + 1,
    annotations: { "workers/tag": opt("--tag"), "workers/message": opt("--message") },
    vars: argv.filter((_value, i) => argv[i - 1] === "--var"),
  };
  state.versions.push(version);
  state.deployments.push({
    id: id(),
    created_on: new Date().toISOString(),
    versions: [{ version_id: version.id, percentage: 100 }],
  });
  out(`Uploaded infra-chat\nDeployed infra-chat triggers\nCurrent Version ID: ${version.id}`);
} else if (a === "deployments" && b === "status") {
  if (!state.deployments.length) fail('Worker "infra-chat" not found.');
  out(JSON.stringify(state.deployments.at(-1), null, 2));
} else if (a === "versions" && b === "list") out(JSON.stringify(state.versions, null, 2));
else fail(`fake wrangler does not know: ${argv.join(" ")}`);
save();
