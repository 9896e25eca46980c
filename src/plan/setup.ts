import { envNameOf } from "../domain/env-ref";
import type { StepDraft } from "../domain/run";
import type { Bindings, EnvironmentSpec, SpecChange } from "../domain/spec";
import type { PinnedRef, PlanInput, PlanOutput, ReleaseView } from "./deploy";
import { deployOrder } from "./deploy";
import { numberSteps } from "./steps";

export interface SetupSource {
  name: string;
  bindings: Bindings;
  release: ReleaseView | null;
}

/**
 * setup: provision an environment at the providers as a copy of a provisioned one, then bring it to
 * the source's release the same way a deploy does (config, migrations, services, health, release).
 */
export function planSetup(input: Omit<PlanInput, "refs">, source: SetupSource): PlanOutput | { error: string } {
  const { spec } = input;
  if (!source.bindings.railway) return { error: `${source.name} is not provisioned itself, so it cannot be copied` };
  if (!source.release) return { error: `${source.name} has no release to mirror yet` };
  const order = deployOrder(spec);
  const refs: Record<string, PinnedRef> = {};
  for (const name of order) {
    const live = source.release.services[name];
    if (live)
      refs[name] = {
        repo: spec.services[name].source.repo,
        ref: live.commitSha,
        sha: live.commitSha,
        message: live.commitMessage,
      };
  }
  const migrating = order.filter((n) => spec.services[n].migrateCommand && refs[n]);
  const steps: StepDraft[] = [
    {
      kind: "resolve-ref",
      summary: `Mirror ${source.name}'s release ${source.release.version}: ${Object.entries(refs)
        .map(([n, r]) => `${n} ${r.message}`)
        .join(", ")}`,
      params: { refs },
    },
    {
      kind: "ensure-environment",
      summary: `Create the Railway environment as a copy of ${source.name} (services, settings, variables; no deploys)`,
      params: {
        source: { name: source.name, railway: source.bindings.railway, cloudflare: source.bindings.cloudflare },
      },
    },
    { kind: "preflight", summary: "Preflight: secrets set for this environment, components present", params: {} },
    { kind: "reconcile-shape", summary: `Apply this environment's settings (replicas, commands, domains)`, params: {} },
    { kind: "reconcile-config", summary: "Set this environment's variables and secret references", params: {} },
    ...migrating.map((n) => ({
      kind: "migrate" as const,
      summary: `Migrate ${n} on the new database`,
      params: { service: n, job: `${n}-migrate` },
    })),
    ...order
      .filter((n) => refs[n])
      .map((n) => ({
        kind: "deploy-service" as const,
        summary: `Deploy ${n} at ${refs[n].message}`,
        params: { service: n },
      })),
    { kind: "verify-health", summary: "Verify health", params: { services: order } },
    { kind: "finalize-release", summary: "Record the first release", params: {} },
  ];
  return {
    type: "setup",
    steps: numberSteps(steps),
    diff: [{ path: "provisioned", op: "add", to: `${input.env} at Railway, copied from ${source.name}` }],
    risk: {
      level: "medium",
      notes: [
        "creates a Railway environment and its database (the source's data is not copied)",
        "each environment needs its own secrets before this can finish",
      ],
    },
  };
}

/** Billing events Invoice Perfect's api handles; the endpoint subscribes to exactly these. */
export const STRIPE_WEBHOOK_EVENTS = [
  "checkout.session.completed",
  "customer.subscription.deleted",
  "customer.subscription.updated",
  "invoice.paid",
  "invoice.payment_failed",
];

/** What a fresh setup provisions beyond the spec: names at the providers and the connections to wire. */
export interface ProvisionTarget {
  /** The Railway project, found or created by this name. */
  projectName: string;
  /** The Railway workspace a created project goes into (absent: the token's default). */
  workspaceId?: string;
  /** Where Stripe delivers this environment's events (null: the environment does not use Stripe). */
  stripeWebhookUrl: string | null;
  /** The domain SendGrid authenticates for this environment's mail (null: none, e.g. local mail goes to a sink). */
  senderDomain: string | null;
}

/** The public hostname of an environment's api: its domain, or for local the dev tunnel's default host (src/local/bootstrap.ts). */
export function apiHostname(spec: EnvironmentSpec, projectSlug: string, envName: string): string | null {
  return spec.domains.api ?? (envName === "local" ? `${projectSlug}-dev.example.com` : null);
}

/**
 * setup (fresh): provision an environment from its own spec — the Railway project and environment found
 * or created by name, services and components created, connections wired (Stripe webhook endpoint with
 * its signing secret stored, SendGrid domain authentication published through Cloudflare), variables
 * set, migrations run and every service deployed at its branch head. Every step is an "ensure", so a
 * re-run changes nothing that is already right. Local has no Railway side: only its connections.
 */
export function planProvision(input: PlanInput, target: ProvisionTarget): PlanOutput | { error: string } {
  const { spec, refs } = input;
  const connectionSteps: StepDraft[] = [
    ...(target.stripeWebhookUrl
      ? [
          {
            kind: "ensure-stripe-webhook" as const,
            summary: `Stripe webhook endpoint ${target.stripeWebhookUrl} (found by url, else created); its signing secret stored as STRIPE_WEBHOOK_SECRET`,
            params: { url: target.stripeWebhookUrl, events: STRIPE_WEBHOOK_EVENTS },
          },
        ]
      : []),
    ...(target.senderDomain
      ? [
          {
            kind: "ensure-sendgrid-domain" as const,
            summary: `SendGrid domain authentication for ${target.senderDomain}: records written to Cloudflare DNS, then validated`,
            params: { domain: target.senderDomain, subdomain: "em" },
          },
        ]
      : []),
  ];
  const diff: SpecChange[] = [
    ...(target.stripeWebhookUrl
      ? [{ path: "connections.stripe.webhook", op: "add" as const, to: target.stripeWebhookUrl }]
      : []),
    ...(target.senderDomain
      ? [{ path: "connections.sendgrid.domain", op: "add" as const, to: target.senderDomain }]
      : []),
  ];
  if (!spec.connections.includes("railway")) {
    if (!connectionSteps.length) return { error: `${input.env} runs locally and uses no connection that needs wiring` };
    return {
      type: "setup",
      steps: numberSteps(connectionSteps),
      diff,
      risk: {
        level: "low",
        notes: [
          'local runs on the developer\'s machine: only its connections are wired ("bootstrap local" writes the files)',
        ],
      },
    };
  }
  const order = deployOrder(spec);
  const missing = order.filter((n) => !refs[n]);
  if (missing.length) return { error: `no commit to deploy for ${missing.join(", ")}` };
  const components = Object.entries(spec.components).filter(([, c]) => c.type !== "storage");
  const steps: StepDraft[] = [
    {
      kind: "resolve-ref",
      summary: `Pin each service's branch head: ${order.map((n) => `${n} ${refs[n].message}`).join(", ")}`,
      params: { refs },
    },
    {
      kind: "ensure-environment",
      summary: `Railway project "${target.projectName}" and environment ${envNameOf(input.env)} (found by name, else created)`,
      params: {
        fresh: {
          projectName: target.projectName,
          domains: Object.values(spec.domains),
          ...(target.workspaceId ? { workspaceId: target.workspaceId } : {}),
        },
      },
    },
    {
      kind: "reconcile-shape",
      summary: `Services: ${order.join(", ")} (created where missing, with their source, build and settings)`,
      params: {},
    },
    ...components.map(([name, c]) => ({
      kind: "ensure-component" as const,
      summary: `${name} (${c.size}) from its Railway template, if missing`,
      params: { component: c.type },
    })),
    ...connectionSteps,
    { kind: "preflight", summary: "Preflight: secrets set, components present", params: {} },
    {
      kind: "reconcile-config",
      summary: "Variables: literals, secret references and component bindings on every service",
      params: {},
    },
    ...order
      .filter((n) => spec.services[n].migrateCommand)
      .map((n) => ({
        kind: "migrate" as const,
        summary: `Migrate ${n} on the new database`,
        params: { service: n, job: `${n}-migrate` },
      })),
    ...order.map((n) => ({
      kind: "deploy-service" as const,
      summary: `Deploy ${n} at ${refs[n].message}`,
      params: { service: n },
    })),
    { kind: "verify-health", summary: "Verify health", params: { services: order } },
    { kind: "finalize-release", summary: "Record the first release", params: {} },
  ];
  return {
    type: "setup",
    steps: numberSteps(steps),
    diff: [{ path: "provisioned", op: "add", to: `${input.env} at Railway (project ${target.projectName})` }, ...diff],
    risk: {
      level: "medium",
      notes: [
        "creates Railway services and databases where missing; nothing existing is deleted",
        "each connection uses this environment's own keys",
      ],
    },
  };
}
