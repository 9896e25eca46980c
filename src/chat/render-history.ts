/**
 * Plain-text chat replies about what happened and what is kept: run history, why a run failed, the audit
 * chain's verification, secret names, alert subscriptions. Pure, from the data a handler read.
 */

/** A run in a listing. */
export interface RunLine {
  id: string;
  type: string;
  env: string;
  status: string;
  createdAt: string;
  requestedBy: string | null;
}

/** What a listing was asked for, in words ("deploys awaiting approval on production"). */
export interface RunQuery {
  env?: string;
  state?: string;
  type?: string;
  since?: string;
}

/** "Runs waiting for approval:" and one line per run, newest first; or what there is none of. */
export function renderRunList(query: RunQuery, runs: RunLine[], people: ReadonlyMap<string, string>): string {
  const what = `${query.type ? `${query.type} runs` : "runs"}${query.state ? ` ${describeState(query.state)}` : ""}${query.env ? ` on ${query.env}` : ""}${query.since ? ` since ${query.since}` : ""}`;
  if (runs.length === 0) return `No ${what}.`;
  const lines = runs.map(
    (r) =>
      `  ${r.id} ${r.type} ${r.env} ${r.status} — ${r.createdAt.slice(0, 16).replace("T", " ")}${r.requestedBy ? ` by ${people.get(r.requestedBy) ?? r.requestedBy}` : ""}`,
  );
  const title = what.charAt(0).toUpperCase() + what.slice(1);
  return [`${title} (newest first):`, ...lines].join("\n");
}

function describeState(state: string): string {
  return state === "awaiting-approval" ? "waiting for approval" : state === "queued" ? "queued" : state;
}

/** Why a run failed: the step that failed and its error, or the run's own error. */
export function renderFailure(
  run: { id: string; type: string; env: string; status: string; error?: string; endedAt: string | null },
  step: { index: number; summary: string; error?: string; attempts: number } | undefined,
): string {
  const when = run.endedAt ? ` at ${run.endedAt.slice(0, 16).replace("T", " ")}` : "";
  const head = `The last failed ${run.type} on ${run.env} was ${run.id} (${run.status}${when}).`;
  const where = step
    ? `It failed at step ${step.index + 1}, "${step.summary}"${step.attempts > 1 ? ` after ${step.attempts} attempts` : ""}: ${step.error ?? "no error recorded"}.`
    : `No step failed; the run ended with: ${run.error ?? "no error recorded"}.`;
  const outcome =
    run.status === "rolled-back" ? " It was rolled back: the environment is on its previous release." : "";
  return `${head}\n${where}${outcome}\nThe full run: GET /api/runs/${run.id}`;
}

/** No failure to explain. */
export function renderNoFailure(query: { env?: string; type?: string }): string {
  return `No ${query.type ?? "run"} has failed${query.env ? ` on ${query.env}` : ""}.`;
}

/** The audit chain's verification ("is the audit chain intact?"). */
export function renderAuditVerification(
  env: string | undefined,
  result: { ok: boolean; events: number; brokenAt?: string },
): string {
  const scope = env ? `The audit chain of ${env}` : "Every audit chain";
  return result.ok
    ? `${scope} is intact: ${result.events} event${result.events === 1 ? "" : "s"} verified, every hash recomputed.`
    : `${scope} is BROKEN at event ${result.brokenAt ?? "?"} (after ${result.events} events read): an event was changed or removed. Treat this as a security incident.`;
}

/** Secret names of an environment, with where each lives — never a value. */
export function renderSecretNames(env: string, secrets: { name: string; ref: string; updatedAt: string }[]): string {
  if (secrets.length === 0) return `${env} has no secrets stored.`;
  return [
    `Secrets on ${env} (names only; values are never shown):`,
    ...secrets.map((s) => `  ${s.name} — ${s.ref}, set ${s.updatedAt.slice(0, 16).replace("T", " ")}`),
  ].join("\n");
}

/** A secret stored from a chat message. */
export function renderSecretStored(ref: string): string {
  return `Stored encrypted as ${ref}. The value is not kept in this conversation; services pick it up at their next deploy (or say "rotate" to roll it out now).`;
}

/** Asking for a secret's value, which the next message is. */
export function renderSecretValueQuestion(name: string, env: string): string {
  return `What is the new value of ${name} on ${env}? Paste only the value: it is stored encrypted at once and never shown again.`;
}

/** Alerts about an environment (or all) no longer go to these phones. */
export function renderUnsubscribed(env: string | undefined, phones: string[]): string {
  const where = env ?? "any environment";
  return phones.length
    ? `I'll stop texting ${phones.join(", ")} about ${where}.`
    : `You weren't getting texts about ${where}; nothing changed.`;
}

/** The release being promoted, above the deploy plan it became. */
export function renderPromotion(from: string, version: string, to: string, planText: string): string {
  return `Promoting ${from}'s release ${version} to ${to}: each service at the commit ${from} runs now.\n\n${planText}`;
}
