/**
 * The deployment lifecycle machine: QUEUED → BUILDING → (PRE_DEPLOY) → DEPLOYING → SUCCESS, or FAILED /
 * CRASHED. No timers: every request first calls advanceDeployments, which replays each transition whose
 * time has come (created_at + k × phase length), so side effects happen once, in order, at logical time.
 */
import { getInstance, getService } from "./entities";
import { IN_PROGRESS, listDeployments, listInProgress, setPhase, type DeploymentRow, type Phase } from "./deployments";
import { appendLogs } from "./logs";
import { preDeployReady, runPreDeploy } from "./migrations";
import type { World } from "./store";

/** The next transition of a deployment: target phase and when (in phases after creation). */
function nextTransition(d: DeploymentRow): { to: Phase; offset: number } | null {
  const pre = d.preDeploy !== null;
  switch (d.phase) {
    case "QUEUED":
      return { to: "BUILDING", offset: 1 };
    case "BUILDING":
      return { to: d.fail === "build" ? "FAILED" : pre ? "PRE_DEPLOY" : "DEPLOYING", offset: 2 };
    case "PRE_DEPLOY":
      return { to: d.fail === "migration" ? "FAILED" : "DEPLOYING", offset: 3 };
    case "DEPLOYING":
      return { to: d.fail === "crash" ? "CRASHED" : "SUCCESS", offset: pre ? 4 : 3 };
    default:
      return null;
  }
}

/** Brings every in-progress deployment up to now, oldest first (a newer success supersedes older ones). */
export function advanceDeployments(world: World): void {
  const now = world.now();
  for (const original of listInProgress(world)) {
    let d = original;
    for (let next = nextTransition(d); next; next = nextTransition(d)) {
      const at = d.createdAt + next.offset * world.phaseMs;
      if (at > now) break;
      // A pre-deploy command run by a real app (ops/external.ts) enters PRE_DEPLOY once the app has answered.
      if (next.to === "PRE_DEPLOY" && !preDeployReady(world, d)) break;
      d = enter(world, d, next.to, at);
    }
  }
}

/** The one function that moves a deployment between phases, with the side effects of arriving there. */
function enter(world: World, d: DeploymentRow, to: Phase, at: number): DeploymentRow {
  let fail = d.fail;
  switch (to) {
    case "BUILDING":
      appendLogs(world, d.id, "build", at, buildStartLines(d));
      break;
    case "PRE_DEPLOY":
      appendLogs(world, d.id, "build", at, buildDoneLines());
      if (!runPreDeploy(world, d, at)) fail = "migration";
      break;
    case "DEPLOYING":
      if (d.phase === "BUILDING") appendLogs(world, d.id, "build", at, buildDoneLines());
      appendLogs(world, d.id, "deploy", at, ["Starting Container"]);
      break;
    case "FAILED":
      if (d.phase === "BUILDING") appendLogs(world, d.id, "build", at, buildFailLines());
      break;
    case "SUCCESS":
      appendLogs(world, d.id, "deploy", at, appStartLines(world, d));
      supersede(world, d, at);
      break;
    case "CRASHED":
      appendLogs(world, d.id, "deploy", at, [
        ...appStartLines(world, d),
        ["error", "TypeError: Cannot read properties of undefined (reading 'timezone')"],
        ["error", "    at formatInvoiceDate (/app/dist/invoices/format.js:42:31)"],
        ["error", "Node.js v20.18.1"],
      ]);
      // It went live before crashing, so it had already replaced the previous deployment.
      supersede(world, d, at);
      break;
  }
  setPhase(world, d.id, to, at, fail);
  return { ...d, phase: to, fail, statusUpdatedAt: at, succeeded: d.succeeded || to === "SUCCESS" };
}

/** Railway keeps one live deployment per instance: older live or unfinished ones become REMOVED. */
function supersede(world: World, d: DeploymentRow, at: number): void {
  for (const older of listDeployments(world, { serviceId: d.serviceId, environmentId: d.environmentId })) {
    if (older.seq >= d.seq) continue;
    if (older.phase === "SUCCESS" || older.phase === "CRASHED" || IN_PROGRESS.includes(older.phase)) {
      appendLogs(world, older.id, "deploy", at, ["Stopping Container"]);
      setPhase(world, older.id, "REMOVED", at);
    }
  }
}

function buildStartLines(d: DeploymentRow): string[] {
  if (d.image) return [`Pulling image ${d.image}`];
  return [
    "[Region: us-west1]",
    "==============",
    "Using Nixpacks",
    "==============",
    `context: ${(d.commitSha ?? "").slice(0, 12)}`,
    "║ setup      │ nodejs_20, npm-9_x ║",
    "║ install    │ npm ci             ║",
    "║ build      │ npm run build      ║",
    "#8 [stage-0  4/10] RUN npm ci",
    "#9 [stage-0  5/10] RUN npm run build",
  ];
}

function buildDoneLines(): string[] {
  return ["#12 exporting to image", "Build time: 41.27 seconds"];
}

function buildFailLines(): ["error" | "info", string][] {
  return [
    ["error", "src/invoices/format.ts(42,31): error TS2339: Property 'timezone' does not exist on type 'User'."],
    ["error", "npm ERR! code ELIFECYCLE"],
    [
      "error",
      'ERROR: failed to solve: process "/bin/bash -ol pipefail -c npm run build" did not complete successfully: exit code: 2',
    ],
    ["error", "Build Failed: build daemon returned an error"],
  ];
}

function appStartLines(world: World, d: DeploymentRow): string[] {
  const settings = getInstance(world, d.serviceId, d.environmentId)?.settings;
  const name = getService(world, d.serviceId)?.name ?? "app";
  if (d.image) return ["Starting Container", `${name} is ready to accept connections`];
  const start = settings?.startCommand ?? "npm start";
  const port = d.variables.PORT ?? "3000";
  return [`> ${start}`, `Server listening on port ${port} (release ${d.meta.commitMessage ?? "unknown"})`];
}
