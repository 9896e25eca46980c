/**
 * Cloudflare's v4 REST API over the world (providers/cloudflare.md): Bearer auth, routing under
 * /client/v4, owner resolution (zone or account in the path), and the success/error envelopes.
 */
import { recordToken } from "../tokens";
import { hashString } from "../traffic/random";
import type { World } from "../world/store";
import { requireLoadBalancing, subscriptionsCollection, zoneSettingItem } from "./account-settings";
import { dnsCollection, dnsItem } from "./dns";
import { CfFailure, fail, parseObjectBody, renderFailure, renderReply, type CfContext, type CfReply } from "./envelope";
import { loadBalancerItem, loadBalancersCollection } from "./load-balancers";
import { monitorItem, monitorsCollection, poolItem, poolsCollection } from "./load-balancing";
import { getAccount, getZone, isCfId } from "./store";
import {
  workerRouteItem,
  workerRoutesCollection,
  workerScriptItem,
  workerScriptsCollection,
  workerSettingsItem,
} from "./workers";
import { zoneItem, zonesCollection } from "./zones";

export const CLOUDFLARE_HOST = "api.cloudflare.com";
const BASE = "/client/v4";

type Handler = (cx: CfContext, id: string) => CfReply;
interface Route {
  pattern: RegExp;
  methods: string[];
  /** Which path parameter is the owner: the zone (`/zones/{id}`) or the account (`/accounts/{id}`). */
  owner: "zone" | "account" | null;
  /** A Load Balancing resource: writes need the add-on (account-settings.ts). */
  loadBalancing?: "monitor" | "pool" | "load_balancer";
  handle: Handler;
}

const ITEM = ["GET", "PATCH", "PUT", "DELETE"];
const ROUTES: Route[] = [
  { pattern: /^\/user\/tokens\/verify$/, methods: ["GET"], owner: null, handle: (cx) => verifyToken(cx) },
  { pattern: /^\/zones$/, methods: ["GET"], owner: null, handle: zonesCollection },
  { pattern: /^\/zones\/([^/]+)$/, methods: ["GET"], owner: "zone", handle: zoneItem },
  { pattern: /^\/zones\/([^/]+)\/dns_records$/, methods: ["GET", "POST"], owner: "zone", handle: dnsCollection },
  { pattern: /^\/zones\/([^/]+)\/dns_records\/([^/]+)$/, methods: ITEM, owner: "zone", handle: dnsItem },
  {
    pattern: /^\/zones\/([^/]+)\/settings\/([^/]+)$/,
    methods: ["GET", "PATCH"],
    owner: "zone",
    handle: zoneSettingItem,
  },
  {
    pattern: /^\/accounts\/([^/]+)\/subscriptions$/,
    methods: ["GET"],
    owner: "account",
    handle: subscriptionsCollection,
  },
  {
    pattern: /^\/zones\/([^/]+)\/load_balancers$/,
    methods: ["GET", "POST"],
    owner: "zone",
    loadBalancing: "load_balancer",
    handle: loadBalancersCollection,
  },
  {
    pattern: /^\/zones\/([^/]+)\/load_balancers\/([^/]+)$/,
    methods: ITEM,
    owner: "zone",
    loadBalancing: "load_balancer",
    handle: loadBalancerItem,
  },
  {
    pattern: /^\/accounts\/([^/]+)\/load_balancers\/monitors$/,
    methods: ["GET", "POST"],
    owner: "account",
    loadBalancing: "monitor",
    handle: monitorsCollection,
  },
  {
    pattern: /^\/accounts\/([^/]+)\/load_balancers\/monitors\/([^/]+)$/,
    methods: ITEM,
    owner: "account",
    loadBalancing: "monitor",
    handle: monitorItem,
  },
  {
    pattern: /^\/accounts\/([^/]+)\/load_balancers\/pools$/,
    methods: ["GET", "POST"],
    owner: "account",
    loadBalancing: "pool",
    handle: poolsCollection,
  },
  {
    pattern: /^\/accounts\/([^/]+)\/load_balancers\/pools\/([^/]+)$/,
    methods: ITEM,
    owner: "account",
    loadBalancing: "pool",
    handle: poolItem,
  },
  {
    pattern: /^\/accounts\/([^/]+)\/workers\/scripts$/,
    methods: ["GET"],
    owner: "account",
    handle: workerScriptsCollection,
  },
  {
    pattern: /^\/accounts\/([^/]+)\/workers\/scripts\/([^/]+)$/,
    methods: ["GET", "PUT", "DELETE"],
    owner: "account",
    handle: workerScriptItem,
  },
  {
    pattern: /^\/accounts\/([^/]+)\/workers\/scripts\/([^/]+)\/settings$/,
    methods: ["GET", "PATCH"],
    owner: "account",
    handle: workerSettingsItem,
  },
  {
    pattern: /^\/zones\/([^/]+)\/workers\/routes$/,
    methods: ["GET", "POST"],
    owner: "zone",
    handle: workerRoutesCollection,
  },
  {
    pattern: /^\/zones\/([^/]+)\/workers\/routes\/([^/]+)$/,
    methods: ["GET", "PUT", "DELETE"],
    owner: "zone",
    handle: workerRouteItem,
  },
];

/** The presented API token, or null (Cloudflare wants `Authorization: Bearer <token>`). */
function bearer(headers: Headers): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(headers.get("authorization") ?? "");
  return match ? match[1] : null;
}

// The sandbox accepts any token, so "verify" reports it active; its id is derived, never the token itself.
function verifyToken(cx: CfContext): CfReply {
  const id = [0, 1, 2, 3].map((i) => hashString(`${i}:${cx.token}`).toString(16).padStart(8, "0")).join("");
  return {
    result: { id, status: "active" },
    messages: [{ code: 10000, message: "This API Token is valid and active" }],
  };
}

// A malformed id cannot be routed (7003); a well-formed unknown one is somebody else's, so access is refused.
function resolveOwner(world: World, kind: "zone" | "account", id: string, path: string): void {
  if (!isCfId(id))
    throw fail(400, 7003, `Could not route to ${BASE}${path}, perhaps your object identifier is invalid?`);
  const exists = kind === "zone" ? getZone(world, id) !== null : getAccount(world, id) !== null;
  if (!exists) throw fail(403, 9109, "Unauthorized to access requested resource");
}

/** Answers one Cloudflare API request synchronously (so a write applies without interleaving). */
export function handleCloudflare(world: World, request: Request, text: string): Response {
  const url = new URL(request.url);
  try {
    const token = bearer(request.headers);
    if (!token) throw fail(403, 10000, "Authentication error");
    recordToken(world, "cloudflare", token);
    if (!url.pathname.startsWith(`${BASE}/`)) throw fail(400, 7000, "No route for that URI");
    const path = url.pathname.slice(BASE.length);
    const route = ROUTES.find((r) => r.pattern.test(path));
    if (!route) throw fail(400, 7000, "No route for that URI");
    if (!route.methods.includes(request.method))
      throw fail(405, 7001, `Method ${request.method} not allowed for this endpoint`);
    const params = (route.pattern.exec(path) ?? []).slice(1).map(decodeURIComponent);
    if (route.owner) resolveOwner(world, route.owner, params[0], path);
    const cx: CfContext = {
      world,
      method: request.method,
      url,
      token,
      body: () => parseObjectBody(text),
      text,
      contentType: request.headers.get("content-type"),
      accountId: route.owner === "account" ? params[0] : "",
      zoneId: route.owner === "zone" ? params[0] : "",
    };
    if (route.loadBalancing) requireLoadBalancing(cx, route.loadBalancing);
    return renderReply(route.handle(cx, params[1] ?? ""));
  } catch (error) {
    if (error instanceof CfFailure) return renderFailure(error);
    throw error;
  }
}
