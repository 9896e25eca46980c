/**
 * Who is calling Railway (railway.md "Transport, auth"): an account or workspace token as
 * `Authorization: Bearer`, or a project token as `Project-Access-Token`, scoped to one environment of one
 * project and unable to list or create projects. The sandbox accepts any Bearer token as an account token,
 * except a registered project token, which Railway answers "Not Authorized" when sent as Bearer; a
 * `Project-Access-Token` it does not know is "Project Token not found" (the wording the CLI looks for).
 */
import { fingerprint } from "../tokens";
import { iso, newId, type World } from "../world/store";

/** The account token the sandbox wiring sends (any other Bearer token is an account token too). */
export const SANDBOX_RAILWAY_ACCOUNT_TOKEN = "sandbox-railway-token";
/** A project token of the seeded Invoice Perfect project, scoped to staging (for tests). */
export const SANDBOX_RAILWAY_PROJECT_TOKEN = "sandbox-railway-project-token";

/** The caller, as every resolver sees it. */
export type RailwayAuth =
  | { kind: "none" }
  | { kind: "account" }
  | { kind: "project"; tokenId: string; name: string; projectId: string; environmentId: string; createdAt: number }
  /** A project token sent as Bearer: Railway refuses everything with "Not Authorized". */
  | { kind: "project-as-bearer" }
  | { kind: "unknown-project-token" };

/** The credential a request presents, as Railway reads it (Authorization wins over the project header). */
export function presentedToken(headers: Headers): { kind: "bearer" | "project"; token: string } | null {
  const authorization = headers.get("authorization");
  if (authorization !== null) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return match ? { kind: "bearer", token: match[1] } : null;
  }
  const projectToken = headers.get("project-access-token")?.trim();
  return projectToken ? { kind: "project", token: projectToken } : null;
}

type ProjectTokenRow = {
  fingerprint: string;
  id: string;
  name: string;
  project_id: string;
  environment_id: string;
  created_at: number;
};

/** Registers a project token for one environment (by fingerprint only); a second call changes nothing. */
export function registerProjectToken(
  world: World,
  token: string,
  scope: { name: string; projectId: string; environmentId: string },
): void {
  world.run(
    "INSERT INTO railway_project_tokens VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(fingerprint) DO NOTHING",
    fingerprint(token),
    newId(),
    scope.name,
    scope.projectId,
    scope.environmentId,
    world.now(),
  );
}

/** Resolves the presented credential to a caller. */
export function authenticate(world: World, presented: ReturnType<typeof presentedToken>): RailwayAuth {
  if (!presented) return { kind: "none" };
  const row = world.first<ProjectTokenRow>(
    "SELECT * FROM railway_project_tokens WHERE fingerprint = ?",
    fingerprint(presented.token),
  );
  if (presented.kind === "bearer") return row ? { kind: "project-as-bearer" } : { kind: "account" };
  if (!row) return { kind: "unknown-project-token" };
  return {
    kind: "project",
    tokenId: row.id,
    name: row.name,
    projectId: row.project_id,
    environmentId: row.environment_id,
    createdAt: row.created_at,
  };
}

/** Project tokens as `GET /sandbox/state` lists them (never the token). */
export function projectTokenViews(world: World) {
  return world.rows<ProjectTokenRow>("SELECT * FROM railway_project_tokens ORDER BY created_at").map((r) => ({
    token: r.fingerprint,
    name: r.name,
    projectId: r.project_id,
    environmentId: r.environment_id,
    createdAt: iso(r.created_at),
  }));
}
