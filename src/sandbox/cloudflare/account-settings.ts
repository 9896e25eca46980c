/**
 * What the Cloudflare account and zone plans allow (cloudflare.md "Added for the second round"): the
 * zones' SSL/TLS mode (`/zones/{id}/settings/ssl`), the account's subscriptions (the one read that tells
 * whether Load Balancing is there before anything is created), and the errors load-balancing writes get
 * without the add-on.
 */
import { accountSettings, SSL_MODES, setZoneSslMode, zoneSslMode, type SslMode } from "../account";
import { iso } from "../world/store";
import { CfFailure, fail, wholeList, type CfContext, type CfReply } from "./envelope";

/** GET/PATCH /zones/{zone_id}/settings/{setting_id}: the sandbox models `ssl` only. */
export function zoneSettingItem(cx: CfContext, settingId: string): CfReply {
  if (settingId !== "ssl") throw fail(400, 1006, "Unrecognized zone setting name");
  if (cx.method === "PATCH") {
    const value = cx.body().value;
    if (typeof value !== "string" || !SSL_MODES.includes(value as SslMode))
      throw fail(400, 1007, "Invalid value for zone setting ssl");
    setZoneSslMode(cx.world, cx.zoneId, value as SslMode);
  }
  const ssl = zoneSslMode(cx.world, cx.zoneId);
  return {
    result: { id: "ssl", value: ssl.value, editable: true, modified_on: ssl.modifiedAt ? iso(ssl.modifiedAt) : null },
  };
}

// The Load Balancing add-on as an account subscription lists it (rate plan id from Cloudflare's tenant
// docs; `product.name` is what clients match on).
function loadBalancingSubscription(cx: CfContext) {
  return {
    id: `${cx.accountId.slice(0, 24)}1b0000000`,
    product: { name: "prod_load_balancing", public_name: "Load Balancing" },
    rate_plan: {
      id: "LOAD_BALANCING_BASIC_PLUS",
      public_name: "Load Balancing",
      currency: "USD",
      scope: "account",
      externally_managed: false,
      is_contract: false,
      sets: [],
    },
    component_values: [{ name: "origins", value: 2, default: 2, price: 5 }],
    currency: "USD",
    frequency: "monthly",
    price: 5,
    state: "Paid",
    current_period_start: iso(cx.world.now() - 86_400_000),
    current_period_end: iso(cx.world.now() + 29 * 86_400_000),
  };
}

/** GET /accounts/{account_id}/subscriptions: the Load Balancing add-on appears only when the account has it. */
export function subscriptionsCollection(cx: CfContext): CfReply {
  return wholeList(accountSettings(cx.world).loadBalancing ? [loadBalancingSubscription(cx)] : []);
}

/**
 * Refuses a load-balancing write on an account without the add-on, in the words Cloudflare uses (seen on
 * a real account without it): monitors fail authentication for an API token, pools fail with an access
 * error, load balancers say load balancing is not enabled for the zone. Reads and deletes still answer.
 */
export function requireLoadBalancing(cx: CfContext, resource: "monitor" | "pool" | "load_balancer"): void {
  if (accountSettings(cx.world).loadBalancing || cx.method === "GET" || cx.method === "DELETE") return;
  if (resource === "monitor") throw fail(403, 10000, "Authentication error");
  if (resource === "pool")
    throw new CfFailure(400, [
      {
        code: 1002,
        message:
          "Internal error creating or modifying pool. Access Failed. Please reach out to Support.: validation failed",
      },
    ]);
  throw fail(400, 1002, "load balancing not enabled for zone: validation failed");
}
