/**
 * How an environment is named everywhere (API.md conventions): `<project>:<env>` ("invoice-perfect:staging"),
 * a bare environment name the conversation resolves ("staging"), or an id ("env_…").
 */

/** An environment reference in its parts; `project` is null for a bare name or an id. */
export interface EnvRef {
  project: string | null;
  name: string;
}

/** Reads `<project>:<env>`; anything else (a bare name, an id, an empty part) is a name without project. */
export function parseEnvRef(ref: string): EnvRef {
  const [project, name] = ref.split(":", 2);
  return project && name ? { project, name } : { project: null, name: ref };
}

/** The environment's own name: "production" of "invoice-perfect:production" (a bare name is its own). */
export function envNameOf(ref: string): string {
  return parseEnvRef(ref).name;
}

/** Whether a reference names a production environment. */
export function isProduction(ref: string): boolean {
  return envNameOf(ref) === "production";
}
