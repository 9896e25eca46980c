/**
 * Public hostnames (the spec's `domains`): each is a Railway custom domain of its service, routed by the
 * environment's Cloudflare zone with a proxied CNAME to the target Railway gives, beside the TXT record
 * Railway checks ownership with. Reconciled with the rest of the shape: looked up before anything is
 * created, and changed only where it differs. A canary's load balancer takes the hostname over while it
 * splits (a load balancer wins over a DNS record of the same name) and hands it back when it ends.
 */
import type { CloudflareApi, CloudflareDnsRecordInput } from "../../providers/cloudflare/api";
import { MANAGED_COMMENT } from "../../providers/cloudflare/adapter";
import type { RailwayCustomDomain } from "../../providers/railway/api";
import { ProviderError } from "../../providers/types";
import type { StepContext } from "../context";

/** A service's public hostname, and the custom domains Railway already has for it. */
export interface HostnameTarget {
  service: string;
  serviceId: string;
  hostname: string;
  port?: number;
  existing: RailwayCustomDomain[];
}

type Zone = NonNullable<StepContext["env"]["bindings"]["cloudflare"]>;

/** Ensures every hostname; returns one line per hostname saying where it stands. */
export async function reconcileHostnames(
  ctx: StepContext,
  railway: { projectId: string; environmentId: string },
  targets: HostnameTarget[],
): Promise<string[]> {
  const notes: string[] = [];
  for (const target of targets) {
    const domain =
      target.existing.find((d) => d.domain.toLowerCase() === target.hostname.toLowerCase()) ??
      (await createDomain(ctx, railway, target));
    const records = wantedRecords(domain);
    const zone = ctx.env.bindings.cloudflare;
    const cloudflare = ctx.connections?.cloudflare;
    if (!zone || !cloudflare || !inZone(target.hostname, zone)) {
      notes.push(
        `${target.hostname} → ${target.service}: add ${records.map(describeRecord).join(" and ")} at its DNS provider`,
      );
      continue;
    }
    for (const record of records) await ensureRecord(cloudflare, zone, record);
    notes.push(`${target.hostname} → ${target.service}${domain.status.verified ? "" : " (Railway verifying)"}`);
  }
  return notes;
}

/** customDomainCreate, with the hostname named when Railway refuses it (in use by another service, invalid). */
async function createDomain(
  ctx: StepContext,
  railway: { projectId: string; environmentId: string },
  target: HostnameTarget,
): Promise<RailwayCustomDomain> {
  try {
    return await ctx.railway.createCustomDomain({
      ...railway,
      serviceId: target.serviceId,
      domain: target.hostname,
      targetPort: target.port,
    });
  } catch (e) {
    if (e instanceof ProviderError && !e.retryable && !e.ambiguous)
      throw new Error(
        `Railway will not serve ${target.hostname} for ${target.service}: ${e.message} (a hostname serves one environment; change this environment's domains)`,
      );
    throw e;
  }
}

/** The records Railway asks for: the routing CNAME (proxied through Cloudflare's edge) and the TXT proof. */
function wantedRecords(domain: RailwayCustomDomain): CloudflareDnsRecordInput[] {
  const records: CloudflareDnsRecordInput[] = domain.status.dnsRecords
    .filter((r) => /CNAME/i.test(r.recordType))
    .map((r) => ({ type: "CNAME", name: r.fqdn, content: r.requiredValue, proxied: true, ttl: 1 }));
  const { verificationDnsHost: host, verificationToken: token } = domain.status;
  if (host && token) records.push({ type: "TXT", name: host, content: token, ttl: 1 });
  return records;
}

function inZone(hostname: string, zone: Zone): boolean {
  const host = hostname.toLowerCase();
  return host === zone.zoneName || host.endsWith(`.${zone.zoneName}`);
}

const bare = (value: string) =>
  value
    .replace(/^"(.*)"$/, "$1")
    .replace(/\.$/, "")
    .toLowerCase();

/** Creates the record, or changes ours when it differs; a foreign record in the way stops the step, saying which. */
async function ensureRecord(cloudflare: CloudflareApi, zone: Zone, wanted: CloudflareDnsRecordInput): Promise<void> {
  const named = await cloudflare.listDnsRecords(zone.zoneId, { name: wanted.name });
  if (wanted.type === "TXT") {
    // A name may hold several TXT records (other verifications): only ours is added, none is replaced.
    if (!named.some((r) => r.type === "TXT" && bare(r.content) === bare(wanted.content)))
      await cloudflare.createDnsRecord(zone.zoneId, wanted);
    return;
  }
  // A CNAME cannot share its name with another record; one Infra Chat did not make is a person's decision.
  const blocking = named.find((r) => r.type !== "CNAME" && r.type !== "TXT" && r.comment !== MANAGED_COMMENT);
  if (blocking)
    throw new Error(
      `${wanted.name} has a ${blocking.type} record (${blocking.content}) that Infra Chat did not create: delete it in Cloudflare, or take the hostname out of the spec's domains`,
    );
  const current = named.find((r) => r.type === "CNAME");
  if (!current) {
    await cloudflare.createDnsRecord(zone.zoneId, wanted);
    return;
  }
  if (bare(current.content) !== bare(wanted.content) || current.proxied !== wanted.proxied)
    await cloudflare.patchDnsRecord(zone.zoneId, current.id, wanted);
}

function describeRecord(r: CloudflareDnsRecordInput): string {
  return `${r.type} ${r.name} → ${r.content}${r.proxied ? " (proxied)" : ""}`;
}
