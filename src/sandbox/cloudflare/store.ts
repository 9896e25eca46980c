/** The simulated Cloudflare account: accounts, zones, and every monitor, pool, load balancer and DNS record. */
import { iso, parseJson, randomHex, type World } from "../world/store";
import type {
  CfDnsRecord,
  CfLoadBalancer,
  CfMonitor,
  CfPool,
  DnsRecordSettings,
  LoadBalancerSettings,
  MonitorSettings,
  PoolSettings,
  WorkerRouteSettings,
  WorkerScriptSettings,
} from "./model";

export type ResourceKind = "monitor" | "pool" | "load_balancer" | "dns_record" | "worker_script" | "worker_route";

interface Settings {
  monitor: MonitorSettings;
  pool: PoolSettings;
  load_balancer: LoadBalancerSettings;
  dns_record: DnsRecordSettings;
  worker_script: WorkerScriptSettings;
  worker_route: WorkerRouteSettings;
}

/** A resource as stored: owner is the account (monitors, pools) or the zone (load balancers, DNS records). */
export interface StoredResource<K extends ResourceKind> {
  id: string;
  ownerId: string;
  settings: Settings[K];
  createdAt: number;
  modifiedAt: number;
}

type ResourceRow = {
  id: string;
  kind: string;
  owner_id: string;
  seq: number;
  body: string;
  created_at: number;
  modified_at: number;
};

export type AccountRow = { id: string; name: string; created_at: number };
export type ZoneRow = { id: string; account_id: string; name: string; status: string; created_at: number };

/** Cloudflare ids are 32 lowercase hex characters. */
export function newCfId(): string {
  return randomHex(16);
}

/** Whether a path segment has the shape of a Cloudflare id (anything else is a routing error, not a 404). */
export function isCfId(value: string): boolean {
  return /^[0-9a-f]{32}$/.test(value);
}

function toStored<K extends ResourceKind>(row: ResourceRow): StoredResource<K> {
  return {
    id: row.id,
    ownerId: row.owner_id,
    settings: parseJson<Settings[K]>(row.body),
    createdAt: row.created_at,
    modifiedAt: row.modified_at,
  };
}

/** Stores a new resource and returns it. */
export function insertResource<K extends ResourceKind>(
  world: World,
  kind: K,
  ownerId: string,
  settings: Settings[K],
): StoredResource<K> {
  const now = world.now();
  const row: ResourceRow = {
    id: newCfId(),
    kind,
    owner_id: ownerId,
    seq: world.nextSeq("cf"),
    body: JSON.stringify(settings),
    created_at: now,
    modified_at: now,
  };
  world.run(
    "INSERT INTO cf_resources VALUES (?, ?, ?, ?, ?, ?, ?)",
    row.id,
    kind,
    ownerId,
    row.seq,
    row.body,
    now,
    now,
  );
  return toStored<K>(row);
}

/** One resource of an owner, or null. */
export function getResource<K extends ResourceKind>(
  world: World,
  kind: K,
  ownerId: string,
  id: string,
): StoredResource<K> | null {
  const row = world.first<ResourceRow>(
    "SELECT * FROM cf_resources WHERE kind = ? AND owner_id = ? AND id = ?",
    kind,
    ownerId,
    id,
  );
  return row ? toStored<K>(row) : null;
}

/** Resources of one kind, oldest first; of one owner, or of all owners. */
export function listResources<K extends ResourceKind>(
  world: World,
  kind: K,
  ownerId: string | null = null,
): StoredResource<K>[] {
  return world
    .rows<ResourceRow>(
      "SELECT * FROM cf_resources WHERE kind = ?1 AND (?2 IS NULL OR owner_id = ?2) ORDER BY seq",
      kind,
      ownerId,
    )
    .map((row) => toStored<K>(row));
}

/** Overwrites a resource's settings and bumps modified_on. */
export function updateResource<K extends ResourceKind>(
  world: World,
  resource: StoredResource<K>,
  settings: Settings[K],
): StoredResource<K> {
  const now = world.now();
  world.run(
    "UPDATE cf_resources SET body = ?, modified_at = ? WHERE id = ?",
    JSON.stringify(settings),
    now,
    resource.id,
  );
  return { ...resource, settings, modifiedAt: now };
}

/** Deletes a resource by id. */
export function deleteResource(world: World, id: string): void {
  world.run("DELETE FROM cf_resources WHERE id = ?", id);
}

/** Creates an account (seed). */
export function createAccount(world: World, name: string): AccountRow {
  const row: AccountRow = { id: newCfId(), name, created_at: world.now() };
  world.run("INSERT INTO cf_accounts VALUES (?, ?, ?)", row.id, row.name, row.created_at);
  return row;
}

/** Creates a zone of an account (seed). */
export function createZone(world: World, accountId: string, name: string, status = "active"): ZoneRow {
  const row: ZoneRow = { id: newCfId(), account_id: accountId, name, status, created_at: world.now() };
  world.run("INSERT INTO cf_zones VALUES (?, ?, ?, ?, ?)", row.id, accountId, name, status, row.created_at);
  return row;
}

/** One account, or null. */
export function getAccount(world: World, id: string): AccountRow | null {
  return world.first<AccountRow>("SELECT * FROM cf_accounts WHERE id = ?", id);
}

/** Every account, oldest first. */
export function listAccounts(world: World): AccountRow[] {
  return world.rows<AccountRow>("SELECT * FROM cf_accounts ORDER BY created_at, rowid");
}

/** One zone, or null. */
export function getZone(world: World, id: string): ZoneRow | null {
  return world.first<ZoneRow>("SELECT * FROM cf_zones WHERE id = ?", id);
}

/** Every zone, oldest first. */
export function listZones(world: World): ZoneRow[] {
  return world.rows<ZoneRow>("SELECT * FROM cf_zones ORDER BY created_at, rowid");
}

function stamp(r: StoredResource<ResourceKind>) {
  return { id: r.id, created_on: iso(r.createdAt), modified_on: iso(r.modifiedAt) };
}

/** A monitor as the API returns it. */
export function monitorView(r: StoredResource<"monitor">): CfMonitor {
  return { ...stamp(r), ...r.settings };
}

/** A pool as the API returns it (`disabled_at` only while disabled). */
export function poolView(r: StoredResource<"pool">): CfPool & { disabled_at?: string } {
  return { ...stamp(r), ...r.settings, ...(r.settings.enabled ? {} : { disabled_at: iso(r.modifiedAt) }) };
}

/** A load balancer as the API returns it. */
export function loadBalancerView(world: World, r: StoredResource<"load_balancer">): CfLoadBalancer {
  return { ...stamp(r), ...r.settings, zone_name: getZone(world, r.ownerId)?.name ?? "" };
}

/** A DNS record as the API returns it. */
export function dnsRecordView(world: World, r: StoredResource<"dns_record">): CfDnsRecord {
  return {
    ...stamp(r),
    ...r.settings,
    zone_id: r.ownerId,
    zone_name: getZone(world, r.ownerId)?.name ?? "",
    proxiable: ["A", "AAAA", "CNAME"].includes(r.settings.type),
    settings: {},
    meta: { auto_added: false, managed_by_apps: false, managed_by_argo_tunnel: false, source: "primary" },
  };
}

/** The Cloudflare part of `SandboxDO.state()`. */
export interface CloudflareState {
  accounts: { id: string; name: string }[];
  /** `ssl` is the zone's SSL/TLS mode (added by inspect.ts, which owns the account settings). */
  zones: { id: string; name: string; status: string; accountId: string; ssl?: string }[];
  dnsRecords: CfDnsRecord[];
  monitors: CfMonitor[];
  pools: (CfPool & { disabled_at?: string })[];
  loadBalancers: CfLoadBalancer[];
  /** Worker scripts (secret binding values masked) and the zone routes in front of them. */
  /** Bindings with json as its text, and secrets without theirs. */
  workers: {
    id: string;
    name: string;
    accountId: string;
    etag: string;
    bindings: { type: string; name: string; value?: string }[];
  }[];
  workerRoutes: { id: string; zoneId: string; pattern: string; script: string | null }[];
}

/** Bindings as the API's reads return them: a secret's text never leaves the account. */
export function bindingViews(settings: WorkerScriptSettings): object[] {
  return settings.bindings.map((b) => (b.type === "secret_text" ? { type: b.type, name: b.name } : { ...b }));
}

/** Every Cloudflare object of the world. */
export function cloudflareState(world: World): CloudflareState {
  return {
    accounts: listAccounts(world).map((a) => ({ id: a.id, name: a.name })),
    zones: listZones(world).map((z) => ({ id: z.id, name: z.name, status: z.status, accountId: z.account_id })),
    dnsRecords: listResources(world, "dns_record").map((r) => dnsRecordView(world, r)),
    monitors: listResources(world, "monitor").map(monitorView),
    pools: listResources(world, "pool").map(poolView),
    loadBalancers: listResources(world, "load_balancer").map((r) => loadBalancerView(world, r)),
    workers: listResources(world, "worker_script").map((r) => ({
      id: r.id,
      name: r.settings.name,
      accountId: r.ownerId,
      etag: r.settings.etag,
      bindings: r.settings.bindings.map((b) => ({
        type: b.type,
        name: b.name,
        ...(b.type === "json" ? { value: JSON.stringify(b.json) } : b.type === "plain_text" ? { value: b.text } : {}),
      })),
    })),
    workerRoutes: listResources(world, "worker_route").map((r) => ({
      id: r.id,
      zoneId: r.ownerId,
      pattern: r.settings.pattern,
      script: r.settings.script,
    })),
  };
}

/** The world's public DNS as far as sandbox zones answer it: records of one name (optionally one type). */
export function recordsNamed(world: World, name: string, type?: string): StoredResource<"dns_record">[] {
  const fqdn = name.toLowerCase().replace(/\.$/, "");
  return listResources(world, "dns_record").filter(
    (r) => r.settings.name === fqdn && (type === undefined || r.settings.type === type),
  );
}
