/** DNS records of a zone: list with filters, create, read, patch (partial), put (full), delete. */
import { CfFailure, fail, paginate, required, validated, type CfContext, type CfReply } from "./envelope";
import { qualify } from "./load-balancers";
import { dnsRecordInput, type DnsRecordSettings } from "./model";
import {
  deleteResource,
  dnsRecordView,
  getResource,
  getZone,
  insertResource,
  listResources,
  updateResource,
  type StoredResource,
} from "./store";

const PROXIABLE = new Set(["A", "AAAA", "CNAME"]);
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9_*]([a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.?$/i;
const IPV4 = /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const IPV6 = /^(([0-9a-f]{1,4}:){7}[0-9a-f]{1,4}|([0-9a-f]{1,4}:){0,7}(:[0-9a-f]{1,4}){0,7}|::)$/i;

// Content problems come back wrapped, as the real API does: 1004 "DNS Validation Error" with an error_chain.
function dnsValidation(code: number, message: string): CfFailure {
  return new CfFailure(400, [{ code: 1004, message: "DNS Validation Error", error_chain: [{ code, message }] }]);
}

function contentError(type: string, content: string, name: string): CfFailure | null {
  if (type === "A" && !IPV4.test(content))
    return dnsValidation(9005, "Content for A record must be a valid IPv4 address.");
  if (type === "AAAA" && !IPV6.test(content))
    return dnsValidation(9006, "Content for AAAA record must be a valid IPv6 address.");
  if ((type === "CNAME" || type === "MX" || type === "NS") && !HOSTNAME.test(content))
    return dnsValidation(9007, `Content for ${type} record is invalid.`);
  if (type === "CNAME" && content.toLowerCase().replace(/\.$/, "") === name)
    return dnsValidation(9039, "CNAME content cannot reference itself.");
  if (content === "") return dnsValidation(9005, `Content for ${type} record is invalid.`);
  return null;
}

/** Checks one record against the type rules and the zone's other records; returns it normalised. */
function checkRecord(cx: CfContext, input: DnsRecordSettings, selfId: string | null): DnsRecordSettings {
  const zoneName = getZone(cx.world, cx.zoneId)?.name ?? "";
  const name = qualify(input.name, zoneName);
  if (!HOSTNAME.test(name)) throw dnsValidation(9000, "DNS name is invalid.");
  const problem = contentError(input.type, input.content, name);
  if (problem) throw problem;
  if (input.proxied && !PROXIABLE.has(input.type)) throw fail(400, 9004, "This record type cannot be proxied.");
  if (input.ttl !== 1 && (input.ttl < 60 || input.ttl > 86400))
    throw fail(400, 9021, "Invalid TTL. Must be between 60 and 86400 seconds, or 1 for Automatic.");
  if (input.type === "MX" && input.priority === undefined) throw dnsValidation(9101, "MX records require a priority.");
  const others = listResources(cx.world, "dns_record", cx.zoneId).filter(
    (r) => r.id !== selfId && r.settings.name === name,
  );
  if (others.some((r) => r.settings.type === input.type && r.settings.content === input.content)) {
    throw fail(400, 81058, "An identical record already exists.");
  }
  const addressLike = ["A", "AAAA", "CNAME"];
  if (
    addressLike.includes(input.type) &&
    others.some((r) => r.settings.type === "CNAME" || (input.type === "CNAME" && addressLike.includes(r.settings.type)))
  ) {
    throw fail(400, 81053, "An A, AAAA, or CNAME record with that host already exists.");
  }
  // Proxied records always have automatic TTL.
  return { ...input, name, ttl: input.proxied ? 1 : input.ttl };
}

function findRecord(cx: CfContext, id: string): StoredResource<"dns_record"> {
  const record = getResource(cx.world, "dns_record", cx.zoneId, id);
  if (!record) throw fail(404, 81044, "Record does not exist.");
  return record;
}

function textMatch(value: string, query: URLSearchParams, field: string): boolean | null {
  const v = value.toLowerCase();
  const exact = query.get(field) ?? query.get(`${field}.exact`);
  if (exact !== null) return v === exact.toLowerCase().replace(/\.$/, "");
  const contains = query.get(`${field}.contains`);
  if (contains !== null) return v.includes(contains.toLowerCase());
  const starts = query.get(`${field}.startswith`);
  if (starts !== null) return v.startsWith(starts.toLowerCase());
  const ends = query.get(`${field}.endswith`);
  if (ends !== null) return v.endsWith(ends.toLowerCase());
  return null;
}

// Each filter yields true/false, or null when absent; `match=any` needs one hit, the default `all` needs every one.
function matches(r: DnsRecordSettings, q: URLSearchParams): boolean {
  const type = q.get("type");
  const proxied = q.get("proxied");
  const tag = q.get("tag");
  const search = q.get("search")?.toLowerCase();
  const results = [
    type === null ? null : r.type === type.toUpperCase(),
    textMatch(r.name, q, "name"),
    textMatch(r.content, q, "content"),
    textMatch(r.comment ?? "", q, "comment"),
    proxied === null ? null : r.proxied === (proxied === "true"),
    tag === null ? null : r.tags.includes(tag),
    search === undefined ? null : [r.name, r.content, r.comment ?? ""].some((s) => s.toLowerCase().includes(search)),
  ].filter((x): x is boolean => x !== null);
  if (results.length === 0) return true;
  return q.get("match") === "any" ? results.some(Boolean) : results.every(Boolean);
}

function ordered(records: StoredResource<"dns_record">[], q: URLSearchParams): StoredResource<"dns_record">[] {
  const key = q.get("order");
  if (key !== "type" && key !== "name" && key !== "content" && key !== "ttl" && key !== "proxied") return records;
  const sign = q.get("direction") === "desc" ? -1 : 1;
  return [...records].sort((a, b) => sign * String(a.settings[key]).localeCompare(String(b.settings[key])));
}

function parseRecord(cx: CfContext): Partial<DnsRecordSettings> {
  return validated(dnsRecordInput, cx.body(), 9207);
}

const RECORD_DEFAULTS = { proxied: false, ttl: 1, comment: null, tags: [] };

/** GET/POST /zones/{zone_id}/dns_records */
export function dnsCollection(cx: CfContext): CfReply {
  if (cx.method === "GET") {
    const q = cx.url.searchParams;
    const hits = ordered(
      listResources(cx.world, "dns_record", cx.zoneId).filter((r) => matches(r.settings, q)),
      q,
    );
    const { page, info } = paginate(hits, q, { min: 5, max: 5000, fallback: 100 });
    return { result: page.map((r) => dnsRecordView(cx.world, r)), resultInfo: info };
  }
  const input = parseRecord(cx);
  required(input, ["type", "name", "content"], 9207);
  const settings = checkRecord(cx, { ...RECORD_DEFAULTS, type: "", name: "", content: "", ...input }, null);
  return { result: dnsRecordView(cx.world, insertResource(cx.world, "dns_record", cx.zoneId, settings)) };
}

/** GET/PATCH/PUT/DELETE /zones/{zone_id}/dns_records/{id} */
export function dnsItem(cx: CfContext, id: string): CfReply {
  const record = findRecord(cx, id);
  if (cx.method === "GET") return { result: dnsRecordView(cx.world, record) };
  if (cx.method === "DELETE") {
    deleteResource(cx.world, id);
    return { result: { id } };
  }
  const input = parseRecord(cx);
  if (cx.method === "PUT") required(input, ["type", "name", "content"], 9207);
  const base = cx.method === "PUT" ? { ...RECORD_DEFAULTS, type: "", name: "", content: "" } : record.settings;
  return {
    result: dnsRecordView(cx.world, updateResource(cx.world, record, checkRecord(cx, { ...base, ...input }, id))),
  };
}
