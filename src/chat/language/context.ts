/**
 * What the language layer reads names against: the project's environments, services, jobs and secret
 * names as they exist. Handed in by the caller (src/control builds it from D1); the layer never invents
 * a name that is not here, except the one a "create <env> from <env>" in the same message brings into being.
 */
export interface LanguageContext {
  project: string;
  /** Every environment of the project, bare names ("staging"). */
  envs: readonly string[];
  /** Environments that run on a laptop (bootstrapped, never deployed): left out of "which environment?". */
  localEnvs?: readonly string[];
  /** The services of the project's environments, in deploy order ("api", "web", "cron"). */
  services: readonly string[];
  /** Each service's repository ("invoice-perfect/api"): a ref named with a service is looked up there. */
  repos?: Readonly<Record<string, string>>;
  /** Backfill jobs the app runs, by the name the control plane sends ("backfillTimezone"). */
  jobs: readonly string[];
  /** Secret variable names the services use ("STRIPE_SECRET_KEY"). */
  secretNames?: readonly string[];
}

/** Environments a provider action can target: every one but the local ones. */
export function remoteEnvs(context: LanguageContext): string[] {
  const local = new Set(context.localEnvs ?? ["local"]);
  return context.envs.filter((env) => !local.has(env));
}
