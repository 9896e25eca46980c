/**
 * Railway custom domains (railway.md §12): a hostname of yours routed to a service instance. Railway
 * answers with a CNAME target to point the hostname at and a TXT token to prove you own it; it serves the
 * hostname by its Host header. Whether the records exist is read from the world's public DNS, which is
 * whatever the sandbox's Cloudflare zones hold: a zone without them leaves the domain unverified.
 */
import { recordsNamed } from "../cloudflare/store";
import { getEnvironment, getInstance } from "./entities";
import { findDomain, RAILWAY_APP_SUFFIX } from "./domains";
import { newId, randomHex, WorldError, type World } from "./store";

export type CustomDomainRow = {
  id: string;
  project_id: string;
  environment_id: string;
  service_id: string;
  domain: string;
  target_port: number | null;
  target: string;
  token: string;
  created_at: number;
};

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** Where the TXT proof goes for a domain. */
export function verificationHost(domain: string): string {
  return `_railway-verify.${domain}`;
}

/** customDomainAvailable: a well-formed hostname no service (and no Railway domain) uses yet. */
export function domainAvailability(world: World, domain: string): { available: boolean; message: string } {
  const name = domain.toLowerCase();
  if (!HOSTNAME.test(name) || name.endsWith(`.${RAILWAY_APP_SUFFIX}`))
    return { available: false, message: "Invalid domain" };
  if (findCustomDomain(world, name)) return { available: false, message: "Domain is already in use" };
  return { available: true, message: "Domain is available" };
}

/** customDomainCreate: the instance must exist and the domain be free. */
export function createCustomDomain(
  world: World,
  input: { projectId: string; environmentId: string; serviceId: string; domain: string; targetPort?: number | null },
): CustomDomainRow {
  const instance = getInstance(world, input.serviceId, input.environmentId);
  const env = getEnvironment(world, input.environmentId);
  if (!instance || !env || env.project_id !== input.projectId) throw new WorldError("ServiceInstance not found");
  const availability = domainAvailability(world, input.domain);
  if (!availability.available) throw new WorldError(availability.message);
  const row: CustomDomainRow = {
    id: newId(),
    project_id: input.projectId,
    environment_id: input.environmentId,
    service_id: input.serviceId,
    domain: input.domain.toLowerCase(),
    target_port: input.targetPort ?? null,
    target: `${randomHex(4)}.${RAILWAY_APP_SUFFIX}`,
    token: `railway-verify=${randomHex(16)}`,
    created_at: world.now(),
  };
  world.run(
    "INSERT INTO custom_domains VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    row.id,
    row.project_id,
    row.environment_id,
    row.service_id,
    row.domain,
    row.target_port,
    row.target,
    row.token,
    row.created_at,
  );
  return row;
}

export function getCustomDomain(world: World, id: string): CustomDomainRow | null {
  return world.first<CustomDomainRow>("SELECT * FROM custom_domains WHERE id = ?", id);
}

export function findCustomDomain(world: World, domain: string): CustomDomainRow | null {
  return world.first<CustomDomainRow>("SELECT * FROM custom_domains WHERE domain = ?", domain.toLowerCase());
}

export function listCustomDomains(
  world: World,
  filter: { serviceId?: string; environmentId?: string } = {},
): CustomDomainRow[] {
  return world.rows<CustomDomainRow>(
    "SELECT * FROM custom_domains WHERE (?1 IS NULL OR service_id = ?1) AND (?2 IS NULL OR environment_id = ?2) ORDER BY created_at, rowid",
    filter.serviceId ?? null,
    filter.environmentId ?? null,
  );
}

export function deleteCustomDomain(world: World, id: string): boolean {
  const existed = getCustomDomain(world, id) !== null;
  world.run("DELETE FROM custom_domains WHERE id = ?", id);
  return existed;
}

const unquote = (text: string) => text.replace(/^"(.*)"$/, "$1");

/** CustomDomainStatus as Railway reports it, from the records the public DNS (sandbox zones) holds. */
export function customDomainStatus(world: World, d: CustomDomainRow) {
  const cname = recordsNamed(world, d.domain, "CNAME")[0];
  const routed = cname?.settings.content.toLowerCase().replace(/\.$/, "") === d.target;
  const verified = recordsNamed(world, verificationHost(d.domain), "TXT").some(
    (r) => unquote(r.settings.content) === d.token,
  );
  const label = d.domain.split(".")[0];
  return {
    verified,
    verificationDnsHost: verificationHost(d.domain),
    verificationToken: d.token,
    certificateStatus:
      verified && routed ? "CERTIFICATE_STATUS_TYPE_VALID" : "CERTIFICATE_STATUS_TYPE_VALIDATING_OWNERSHIP",
    cdnProvider: cname?.settings.proxied ? "DETECTED_CDN_PROVIDER_CLOUDFLARE" : "DETECTED_CDN_PROVIDER_UNSPECIFIED",
    dnsRecords: [
      {
        recordType: "DNS_RECORD_TYPE_CNAME",
        hostlabel: label,
        fqdn: d.domain,
        requiredValue: d.target,
        currentValue: cname?.settings.content ?? "",
        status: routed ? "DNS_RECORD_STATUS_PROPAGATED" : "DNS_RECORD_STATUS_REQUIRES_UPDATE",
        purpose: "DNS_RECORD_PURPOSE_TRAFFIC_ROUTE",
        zone: d.domain.split(".").slice(1).join("."),
      },
    ],
  };
}

/** The instance Railway's edge serves for a Host: a service domain, else a custom domain. */
export function instanceForHost(world: World, hostname: string): { service_id: string; environment_id: string } | null {
  return findDomain(world, hostname) ?? findCustomDomain(world, hostname);
}
