/** Chat intents about what happened: run history, why a run failed, and whether the audit chain is intact. */
import { sinceInstant } from "../chat/since";
import { renderAuditVerification, renderFailure, renderNoFailure, renderRunList } from "../chat/render-history";
import { renderUnreadableSince } from "../chat/render-replies";
import { findEnv, listEnvs } from "../db/environments";
import { projectBySlug } from "../db/projects";
import { getRun, recentRuns } from "../db/runs";
import { listUserRows } from "../db/users";
import type { RunStatus } from "../domain/run";
import { verifyAuditChain } from "./audit";
import type { IntentHandlers, Turn } from "./chat-turn";
import { resolveEnvName } from "./environments";

/** How many runs "list recent runs" shows when the message names no number. */
const DEFAULT_LISTED = 10;

/** The environments a question is about: the one named, else the conversation's project's, else every one. */
async function envScope(turn: Turn, env: string | undefined): Promise<{ envIds?: string[]; env?: string }> {
  const { cx, state } = turn;
  if (env) {
    const row = await findEnv(cx.db, await resolveEnvName(cx, env));
    return { envIds: [row.id], env: row.env };
  }
  const project = state.project ? await projectBySlug(cx.db, state.project) : null;
  return project ? { envIds: (await listEnvs(cx.db, project.id)).map((e) => e.id) } : {};
}

export const HISTORY_HANDLERS: IntentHandlers<"runs" | "explain-failure" | "audit-verify"> = {
  async runs(turn, intent) {
    const { cx } = turn;
    const since = intent.since ? sinceInstant(intent.since, cx.now()) : undefined;
    if (intent.since && !since) return [{ text: renderUnreadableSince(intent.since) }];
    const scope = await envScope(turn, intent.env);
    const rows = await recentRuns(cx.db, {
      envIds: scope.envIds,
      ...(intent.state ? { statuses: [intent.state as RunStatus] } : {}),
      ...(intent.type ? { type: intent.type } : {}),
      ...(since ? { since } : {}),
      limit: intent.limit ?? DEFAULT_LISTED,
    });
    const names = new Map<string, string>();
    for (const row of rows) if (!names.has(row.envId)) names.set(row.envId, (await findEnv(cx.db, row.envId)).env);
    const people = new Map((await listUserRows(cx.db)).map((u) => [u.id, u.name]));
    const runs = rows.map((r) => ({ ...r, env: names.get(r.envId) ?? r.envId }));
    return [{ text: renderRunList({ ...intent, env: scope.env }, runs, people) }];
  },
  async "explain-failure"(turn, intent) {
    const { cx } = turn;
    const scope = await envScope(turn, intent.env);
    const [failed] = await recentRuns(cx.db, {
      envIds: scope.envIds,
      statuses: ["failed", "rolled-back"],
      ...(intent.type ? { type: intent.type } : {}),
      limit: 1,
    });
    if (!failed) return [{ text: renderNoFailure({ env: scope.env, type: intent.type }) }];
    const { run, steps } = await getRun(cx.db, failed.id);
    const step = steps.find((s) => s.status === "failed");
    const env = (await findEnv(cx.db, run.envId)).env;
    return [
      {
        text: renderFailure(
          { ...run, env, error: run.error ?? undefined },
          step
            ? { index: step.idx, summary: step.summary, error: step.error ?? undefined, attempts: step.attempts }
            : undefined,
        ),
      },
    ];
  },
  async "audit-verify"({ cx }, intent) {
    const env = intent.env ? await resolveEnvName(cx, intent.env) : undefined;
    return [{ text: renderAuditVerification(env, await verifyAuditChain(cx, env)) }];
  },
};
