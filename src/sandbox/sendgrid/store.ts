/** The simulated SendGrid account: authenticated domains (automatic security: three CNAMEs) and verified single senders. */
import { parseJson, type World } from "../world/store";

/** The account's user id: it appears in every record SendGrid asks to publish (`u<id>.wl.sendgrid.net`). */
export const SENDGRID_USER_ID = 7_004_201;
export const SENDGRID_USERNAME = "infra-chat-sandbox";

export interface SendGridRecord {
  valid: boolean;
  type: "cname";
  host: string;
  data: string;
}

/** An authenticated domain as SendGrid returns it (schema AuthenticatedDomain). */
export interface SendGridDomain {
  id: number;
  user_id: number;
  domain: string;
  subdomain: string;
  username: string;
  ips: string[];
  custom_spf: boolean;
  default: boolean;
  legacy: boolean;
  automatic_security: boolean;
  valid: boolean;
  dns: { mail_cname: SendGridRecord; dkim1: SendGridRecord; dkim2: SendGridRecord };
}

/** A verified single sender (schema VerifiedSenderResponse). */
export interface SendGridSender {
  id: number;
  nickname: string;
  from_email: string;
  from_name: string;
  reply_to: string;
  reply_to_name: string;
  address: string;
  address2: string;
  state: string;
  city: string;
  country: string;
  zip: string;
  verified: boolean;
  locked: boolean;
}

const record = (host: string, data: string): SendGridRecord => ({ valid: false, type: "cname", host, data });

/** Creates an automatic-security domain; SendGrid picks the return-path label when none is asked for. */
export function insertDomain(
  world: World,
  domain: string,
  subdomain: string | undefined,
  isDefault: boolean,
): SendGridDomain {
  const id = 10_000 + world.nextSeq("sendgrid-domain");
  const label = subdomain ?? `em${1000 + (id % 9000)}`;
  const target = `u${SENDGRID_USER_ID}.wl.sendgrid.net`;
  const row: SendGridDomain = {
    id,
    user_id: SENDGRID_USER_ID,
    domain,
    subdomain: label,
    username: SENDGRID_USERNAME,
    ips: [],
    custom_spf: false,
    default: isDefault,
    legacy: false,
    automatic_security: true,
    valid: false,
    dns: {
      mail_cname: record(`${label}.${domain}`, target),
      dkim1: record(`s1._domainkey.${domain}`, `s1.domainkey.${target}`),
      dkim2: record(`s2._domainkey.${domain}`, `s2.domainkey.${target}`),
    },
  };
  world.run("INSERT INTO sendgrid_domains VALUES (?, ?)", id, JSON.stringify(row));
  return row;
}

/** Every authenticated domain, oldest first. */
export function listDomains(world: World): SendGridDomain[] {
  return world
    .rows<{ body: string }>("SELECT body FROM sendgrid_domains ORDER BY id")
    .map((r) => parseJson<SendGridDomain>(r.body));
}

/** One domain, or null. */
export function getDomain(world: World, id: number): SendGridDomain | null {
  const row = world.first<{ body: string }>("SELECT body FROM sendgrid_domains WHERE id = ?", id);
  return row ? parseJson<SendGridDomain>(row.body) : null;
}

/** Overwrites a domain (after validation). */
export function saveDomain(world: World, domain: SendGridDomain): void {
  world.run("UPDATE sendgrid_domains SET body = ? WHERE id = ?", JSON.stringify(domain), domain.id);
}

/** Stores a single sender; `verified` says whether its address is already covered by a valid authenticated domain. */
export function insertSender(world: World, fields: Omit<SendGridSender, "id" | "locked">): SendGridSender {
  const sender: SendGridSender = { id: 5_000 + world.nextSeq("sendgrid-sender"), locked: false, ...fields };
  world.run("INSERT INTO sendgrid_senders VALUES (?, ?)", sender.id, JSON.stringify(sender));
  return sender;
}

/** Every single sender, oldest first; an address on a validated domain counts as verified (sendgrid.md). */
export function listSenders(world: World): SendGridSender[] {
  const validDomains = new Set(
    listDomains(world)
      .filter((d) => d.valid)
      .map((d) => d.domain),
  );
  return world.rows<{ body: string }>("SELECT body FROM sendgrid_senders ORDER BY id").map((r) => {
    const sender = parseJson<SendGridSender>(r.body);
    return {
      ...sender,
      verified: sender.verified || validDomains.has(sender.from_email.split("@")[1]?.toLowerCase() ?? ""),
    };
  });
}

/** Domains and senders of the world for `SandboxDO.state()`. */
export function sendgridState(world: World): { domains: SendGridDomain[]; senders: SendGridSender[] } {
  return { domains: listDomains(world), senders: listSenders(world) };
}
