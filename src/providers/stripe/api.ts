/** The Stripe operations the control plane uses (providers/stripe.md), as a small typed interface. */

export interface StripeApi {
  /**
   * Proves the key works with one cheap authenticated read, `GET /v1/webhook_endpoints?limit=1`: it needs
   * only the webhook-endpoint permission a restricted key is given, and it is in the schema pack.
   */
  verify(): Promise<StripeKeyCheck>;
  /**
   * Finds the endpoint whose `url` matches (listing every page) and brings its events and description in
   * line; creates it only when missing. Only a create returns `secret`: store it encrypted at once.
   */
  ensureWebhookEndpoint(input: StripeWebhookEndpointInput): Promise<StripeWebhookEndpoint>;
  /** `DELETE /v1/webhook_endpoints/{id}`: the only remedy for an endpoint whose secret was lost. */
  deleteWebhookEndpoint(id: string): Promise<void>;
}

export interface StripeKeyCheck {
  /**
   * Whether the key acts in live mode. Taken from an endpoint's `livemode` when the account has one, else
   * from the key prefix. There is no account id: `GET /v1/account` is outside the schema pack and the
   * permissions of a webhook-only restricted key.
   */
  livemode: boolean;
}

export interface StripeWebhookEndpointInput {
  /** Where Stripe delivers events, e.g. `https://cp.example.com/webhooks/stripe`; matched exactly. */
  url: string;
  /** Event types, or `["*"]`; at least one. Not checked against the spec's 2023 enum, which is stale. */
  enabledEvents: string[];
  description: string;
  /**
   * Mixed into the Idempotency-Key (default: none, so the key depends on url, events and description only).
   * Pass the control-plane step id (stripe.md), and always a fresh one after deleting an endpoint: within
   * Stripe's ≥ 24 h key window an unchanged key would replay the deleted endpoint instead of creating one.
   */
  idempotencySeed?: string;
}

export interface StripeWebhookEndpoint {
  /** `we_…` */
  id: string;
  url: string;
  enabledEvents: string[];
  /** `enabled` | `disabled` (kept open: a disabled endpoint is reported, never silently re-enabled). */
  status: string;
  livemode: boolean;
  /** True when this call created the endpoint. */
  created: boolean;
  /** `whsec_…`, present only when `created` (or when Stripe replayed the create under the same key). */
  secret?: string;
}
