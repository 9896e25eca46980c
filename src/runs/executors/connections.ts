/**
 * Setup's connection steps: the Stripe webhook endpoint of an environment (signing secret stored as a
 * secret) and SendGrid domain authentication (records written to Cloudflare DNS, then validated). Both
 * are "ensure" steps: a re-run finds what the first run made and changes nothing.
 */
import type { CloudflareApi, CloudflareDnsRecordType, CloudflareZone } from "../../providers/cloudflare/api";
import type { SendGridDnsRecord } from "../../providers/sendgrid/api";
import { ProviderError } from "../../providers/types";
import type { StepContext, StepExecutor } from "../context";
import type { ConnectionApis } from "../context";

/** The secret an environment's Stripe webhook signing secret is stored as (read by /webhooks/stripe too). */
export const STRIPE_WEBHOOK_SECRET_NAME = "STRIPE_WEBHOOK_SECRET";
/** How often domain validation is retried before the step fails (DNS propagation can take a while). */
const MAX_VALIDATIONS = 20;

function apis(ctx: StepContext): ConnectionApis {
  if (!ctx.connections) throw new Error("no connection clients are configured for runs");
  return ctx.connections;
}

/** Finds the environment's endpoint by url (creating it when missing) and stores the signing secret once. */
export const ensureStripeWebhook: StepExecutor<"ensure-stripe-webhook"> = async (ctx) => {
  const { url, events } = ctx.step.params;
  const key = await ctx.port.resolveSecret(ctx.env.envId, "STRIPE_SECRET_KEY");
  if (!key)
    return { kind: "fail", error: `STRIPE_SECRET_KEY is not set for ${ctx.env.env}: give the Stripe key first` };
  const stripe = apis(ctx).stripe(key);
  const description = `Infra Chat: ${ctx.env.env}`;
  const seed = `${ctx.run.id}/${ctx.step.id}`;
  let endpoint = await stripe.ensureWebhookEndpoint({ url, enabledEvents: events, description, idempotencySeed: seed });
  const stored = (await ctx.port.secretNames(ctx.env.envId)).includes(STRIPE_WEBHOOK_SECRET_NAME);
  let replaced: string | null = null;
  if (!endpoint.secret && !stored) {
    // Stripe returns the secret only on create: an endpoint whose secret we never stored must be re-made (stripe.md).
    replaced = endpoint.id;
    await stripe.deleteWebhookEndpoint(endpoint.id);
    endpoint = await stripe.ensureWebhookEndpoint({
      url,
      enabledEvents: events,
      description,
      idempotencySeed: `${seed}/replaces/${replaced}`,
    });
  }
  if (endpoint.secret) await ctx.port.putSecret(ctx.env.envId, STRIPE_WEBHOOK_SECRET_NAME, endpoint.secret);
  await ctx.port.recordConnection(ctx.env.envId, "stripe", {
    status: "verified",
    metadata: {
      mode: endpoint.livemode ? "live" : "test",
      webhookEndpointId: endpoint.id,
      webhookUrl: endpoint.url,
      signingSecret: STRIPE_WEBHOOK_SECRET_NAME,
    },
  });
  const what = endpoint.created
    ? replaced
      ? `re-created (replacing ${replaced}, whose secret was never stored)`
      : "created"
    : "found";
  return {
    kind: "done",
    note: `webhook endpoint ${endpoint.id} ${what} for ${endpoint.url}${endpoint.secret ? `; signing secret stored as ${STRIPE_WEBHOOK_SECRET_NAME}` : ""}`,
  };
};

/** Authenticates the sender domain: SendGrid's records written to the zone (DNS only), then validated. */
export const ensureSendGridDomain: StepExecutor<"ensure-sendgrid-domain"> = async (ctx) => {
  const { domain: name, subdomain } = ctx.step.params;
  const { state } = ctx.step;
  const key = await ctx.port.resolveSecret(ctx.env.envId, "SENDGRID_API_KEY");
  if (!key)
    return { kind: "fail", error: `SENDGRID_API_KEY is not set for ${ctx.env.env}: give the SendGrid key first` };
  const { cloudflare } = apis(ctx);
  if (!cloudflare)
    return { kind: "fail", error: "Cloudflare is not connected: the SendGrid records cannot be written" };
  const sendgrid = apis(ctx).sendgrid(key);
  // Staging and production may authenticate the same domain at once: the loser of the create race finds the winner's.
  const domain = await sendgrid
    .ensureSenderDomain(name, subdomain)
    .catch((e: unknown) =>
      e instanceof ProviderError && e.status === 400 ? sendgrid.ensureSenderDomain(name, subdomain) : Promise.reject(e),
    );
  const zone = await zoneFor(cloudflare, domain.domain);
  if (!zone)
    return {
      kind: "fail",
      error: `no Cloudflare zone holds ${domain.domain}: add the zone, or publish the records by hand`,
    };
  const written = await writeRecords(cloudflare, zone.id, domain.dns);
  const checklist = (validated: boolean, reasons: string[] = []) => ({
    senderDomain: domain.domain,
    domainId: domain.id,
    zone: zone.name,
    records: domain.dns.map((r) => ({ name: r.name, type: r.type, host: r.host, data: r.data })),
    checklist: { recordsWritten: true, validated },
    ...(reasons.length ? { reasons } : {}),
  });
  await ctx.port.recordConnection(ctx.env.envId, "sendgrid", { status: "configured", metadata: checklist(false) });
  const validation = await sendgrid.validateDomain(domain.id);
  if (!validation.valid) {
    const reasons = validation.checks.filter((c) => !c.valid).map((c) => `${c.name}: ${c.reason ?? "invalid"}`);
    await ctx.port.recordConnection(ctx.env.envId, "sendgrid", {
      status: "configured",
      metadata: checklist(false, reasons),
    });
    state.validations = (state.validations ?? 0) + 1;
    ctx.save();
    if (state.validations >= MAX_VALIDATIONS)
      return { kind: "fail", error: `SendGrid could not validate ${domain.domain}: ${reasons.join("; ")}` };
    return { kind: "wait", ms: ctx.pollMs * 4, note: `records written (${written}); waiting for SendGrid to see them` };
  }
  await ctx.port.recordConnection(ctx.env.envId, "sendgrid", { status: "verified", metadata: checklist(true) });
  return {
    kind: "done",
    note: `${domain.domain} authenticated (${domain.created ? "created" : "found"}; records ${written}; validated)`,
  };
};

/** The zone whose name is the longest suffix of `domain` (the zone holding that name). */
export async function zoneFor(cloudflare: CloudflareApi, domain: string): Promise<CloudflareZone | null> {
  const labels = domain.split(".");
  for (let i = 0; i < labels.length - 1; i++) {
    const zone = (await cloudflare.listZones(labels.slice(i).join(".")))[0];
    if (zone) return zone;
  }
  return null;
}

/** Ensures each record: looked up by type and name, created when missing, corrected when its content differs. */
async function writeRecords(cloudflare: CloudflareApi, zoneId: string, records: SendGridDnsRecord[]): Promise<string> {
  let created = 0;
  let fixed = 0;
  for (const r of records) {
    if (!["CNAME", "TXT"].includes(r.type))
      throw new Error(`SendGrid asked for a ${r.type} record, which Infra Chat does not write yet`);
    const type = r.type as CloudflareDnsRecordType;
    // SendGrid validates what resolvers see: its CNAMEs must be DNS-only, never proxied.
    const input = { type, name: r.host, content: r.data, proxied: false, ttl: 1 };
    const existing = await cloudflare.listDnsRecords(zoneId, { type, name: r.host });
    if (existing.some((e) => e.content.toLowerCase() === r.data.toLowerCase() && !e.proxied)) continue;
    if (existing[0]) {
      await cloudflare.patchDnsRecord(zoneId, existing[0].id, input);
      fixed++;
    } else {
      // Another environment's run may publish the same record between the list and the create.
      const made = await cloudflare.createDnsRecord(zoneId, input).then(
        () => true,
        async (e: unknown) => {
          const now = await cloudflare.listDnsRecords(zoneId, { type, name: r.host });
          if (now.some((x) => x.content.toLowerCase() === r.data.toLowerCase())) return false;
          throw e;
        },
      );
      if (made) created++;
    }
  }
  return created || fixed ? `${created} created, ${fixed} corrected` : "already present";
}
