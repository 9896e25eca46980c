/** The simulated Stripe account: webhook endpoints per mode (test objects are invisible to live keys) and idempotency records. */
import { parseJson, randomHex, type World } from "../world/store";

/** A webhook endpoint as Stripe returns it (the `secret` is kept beside it and shown only on create). */
export interface StripeEndpoint {
  id: string;
  object: "webhook_endpoint";
  api_version: string | null;
  application: string | null;
  created: number;
  description: string | null;
  enabled_events: string[];
  livemode: boolean;
  metadata: Record<string, string>;
  status: "enabled" | "disabled";
  url: string;
}

type EndpointRow = { id: string; seq: number; livemode: number; body: string; secret: string };
type IdempotencyRow = { params: string; status: number; body: string };

/** Stores a new endpoint with a fresh `whsec_…` signing secret; returns both. */
export function insertEndpoint(
  world: World,
  fields: Omit<StripeEndpoint, "id" | "object" | "created" | "status" | "application">,
): { endpoint: StripeEndpoint; secret: string } {
  const endpoint: StripeEndpoint = {
    id: `we_${randomHex(12)}`,
    object: "webhook_endpoint",
    application: null,
    created: Math.floor(world.now() / 1000),
    status: "enabled",
    ...fields,
  };
  const secret = `whsec_${randomHex(24)}`;
  world.run(
    "INSERT INTO stripe_webhook_endpoints VALUES (?, ?, ?, ?, ?)",
    endpoint.id,
    world.nextSeq("stripe"),
    endpoint.livemode ? 1 : 0,
    JSON.stringify(endpoint),
    secret,
  );
  return { endpoint, secret };
}

/** Endpoints of one mode, newest first (Stripe lists in reverse creation order). */
export function listEndpoints(world: World, livemode: boolean): StripeEndpoint[] {
  return world
    .rows<EndpointRow>("SELECT * FROM stripe_webhook_endpoints WHERE livemode = ? ORDER BY seq DESC", livemode ? 1 : 0)
    .map((r) => parseJson<StripeEndpoint>(r.body));
}

/** One endpoint of one mode, or null (an object of the other mode does not exist for this key). */
export function getEndpoint(world: World, livemode: boolean, id: string): StripeEndpoint | null {
  const row = world.first<EndpointRow>(
    "SELECT * FROM stripe_webhook_endpoints WHERE livemode = ? AND id = ?",
    livemode ? 1 : 0,
    id,
  );
  return row ? parseJson<StripeEndpoint>(row.body) : null;
}

/** Overwrites an endpoint's fields. */
export function saveEndpoint(world: World, endpoint: StripeEndpoint): void {
  world.run("UPDATE stripe_webhook_endpoints SET body = ? WHERE id = ?", JSON.stringify(endpoint), endpoint.id);
}

/** Deletes an endpoint. */
export function deleteEndpoint(world: World, id: string): void {
  world.run("DELETE FROM stripe_webhook_endpoints WHERE id = ?", id);
}

/** The first answer given under an Idempotency-Key (per mode), or null. */
export function idempotentAnswer(world: World, livemode: boolean, key: string): IdempotencyRow | null {
  return world.first<IdempotencyRow>(
    "SELECT params, status, body FROM stripe_idempotency WHERE livemode = ? AND key = ?",
    livemode ? 1 : 0,
    key,
  );
}

/** Remembers the answer to a request made under an Idempotency-Key. */
export function rememberAnswer(
  world: World,
  livemode: boolean,
  key: string,
  params: string,
  status: number,
  body: string,
): void {
  world.run(
    "INSERT OR IGNORE INTO stripe_idempotency VALUES (?, ?, ?, ?, ?, ?)",
    livemode ? 1 : 0,
    key,
    params,
    status,
    body,
    world.now(),
  );
}

/** Webhook endpoints of the world for `SandboxDO.state()` (never their secrets). */
export function stripeState(world: World): StripeEndpoint[] {
  return [...listEndpoints(world, false), ...listEndpoints(world, true)];
}
