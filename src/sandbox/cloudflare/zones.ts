/** Zones (read-only through the API; the seed creates them) and the Invoice Perfect account. */
import { iso, type World } from "../world/store";
import { fail, paginate, type CfContext, type CfReply } from "./envelope";
import { createAccount, createZone, getAccount, getZone, listZones, type ZoneRow } from "./store";

const NAME_SERVERS = ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"];

/** Ids of the seeded Cloudflare account and zone. */
export interface CloudflareSeed {
  accountId: string;
  zoneId: string;
  zoneName: string;
}

/** Creates the Invoice Perfect account and its active zone once; later calls return the same ids. */
export function seedCloudflare(world: World, zoneName = "invoiceperfect.com"): CloudflareSeed {
  const existing = listZones(world).find((z) => z.name === zoneName);
  if (existing) return { accountId: existing.account_id, zoneId: existing.id, zoneName };
  const account = createAccount(world, "Invoice Perfect");
  const zone = createZone(world, account.id, zoneName, "active");
  return { accountId: account.id, zoneId: zone.id, zoneName };
}

/** A zone as the API returns it. */
export function zoneView(world: World, z: ZoneRow) {
  const account = getAccount(world, z.account_id);
  return {
    id: z.id,
    name: z.name,
    status: z.status,
    paused: false,
    type: "full",
    development_mode: 0,
    name_servers: NAME_SERVERS,
    original_name_servers: null,
    original_registrar: null,
    original_dnshost: null,
    created_on: iso(z.created_at),
    modified_on: iso(z.created_at),
    activated_on: z.status === "active" ? iso(z.created_at) : null,
    meta: { step: 2, custom_certificate_quota: 0, page_rule_quota: 3, phishing_detected: false },
    owner: { id: null, type: "user", email: null },
    account: { id: z.account_id, name: account?.name ?? "" },
    permissions: ["#dns_records:edit", "#dns_records:read", "#lb:edit", "#lb:read", "#zone:read"],
  };
}

// `name` takes operators (`contains:`, `starts_with:`, …); plain means equal.
function nameMatches(name: string, filter: string | null): boolean {
  if (filter === null) return true;
  const [op, value] = filter.includes(":")
    ? [filter.slice(0, filter.indexOf(":")), filter.slice(filter.indexOf(":") + 1)]
    : ["equal", filter];
  const sensitive = op.endsWith("_case_sensitive");
  const [n, v] = sensitive ? [name, value] : [name.toLowerCase(), value.toLowerCase()];
  switch (op.replace("_case_sensitive", "")) {
    case "equal":
      return n === v;
    case "not_equal":
      return n !== v;
    case "starts_with":
      return n.startsWith(v);
    case "ends_with":
      return n.endsWith(v);
    case "contains":
      return n.includes(v);
    default:
      return false;
  }
}

/** GET /zones */
export function zonesCollection(cx: CfContext): CfReply {
  const q = cx.url.searchParams;
  const zones = listZones(cx.world).filter(
    (z) =>
      nameMatches(z.name, q.get("name")) &&
      (q.get("status") === null || z.status === q.get("status")) &&
      (q.get("account.id") === null || z.account_id === q.get("account.id")),
  );
  const { page, info } = paginate(zones, q, { min: 5, max: 50, fallback: 20 });
  return { result: page.map((z) => zoneView(cx.world, z)), resultInfo: info };
}

/** GET /zones/{zone_id} */
export function zoneItem(cx: CfContext): CfReply {
  const zone = getZone(cx.world, cx.zoneId);
  if (!zone) throw fail(404, 1001, "Invalid zone identifier");
  return { result: zoneView(cx.world, zone) };
}
