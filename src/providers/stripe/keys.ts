/**
 * Which Stripe key may serve which environment (providers/stripe.md, "Keys, auth, versioning"). Pure: the
 * prefix is all that is known about a key before it is used, and it is what Stripe itself scopes modes by
 * (objects made with a test key are invisible to a live key and vice versa).
 */

export type StripeKeyMode = "test" | "live" | "unknown";
export type StripeKeyKind = "secret" | "restricted" | "publishable" | "unknown";

export interface StripeKeyClass {
  mode: StripeKeyMode;
  kind: StripeKeyKind;
}

/** The one environment name that takes live keys (environment names are lowercase slugs, see control/environments.ts). */
export const STRIPE_LIVE_ENVIRONMENT = "production";

const KINDS: Record<string, StripeKeyKind> = { sk: "secret", rk: "restricted", pk: "publishable" };
// The body is checked too: a pasted key with a newline or a space would otherwise reach an Authorization header.
const KEY = /^(sk|rk|pk)_(test|live)_[A-Za-z0-9_]+$/;

/** Mode and kind from the key's documented prefix (`sk_`/`rk_`/`pk_` + `test_`/`live_`); anything else is unknown. */
export function classifyStripeKey(key: string): StripeKeyClass {
  const match = KEY.exec(key);
  if (!match) return { mode: "unknown", kind: "unknown" };
  return { mode: match[2] === "live" ? "live" : "test", kind: KINDS[match[1]] };
}

/**
 * Why `key` must not be stored for environment `envName` (bare `production` or `<slug>:production`), or
 * null when it may. Live keys serve production only, so staging can never touch real money. Test keys are
 * refused in production too: production's webhook endpoint would then exist only in test mode, so real
 * payment events would never arrive while the connection still looked verified.
 */
export function stripeKeyRefusal(envName: string, key: string): string | null {
  const production = envName.slice(envName.lastIndexOf(":") + 1) === STRIPE_LIVE_ENVIRONMENT;
  if (key.startsWith("whsec_")) {
    return "this is a webhook signing secret (whsec_…), not an API key; Infra Chat creates the webhook endpoint and stores its secret itself";
  }
  const { mode, kind } = classifyStripeKey(key);
  const wanted = production
    ? "a live secret or restricted key (sk_live_… or rk_live_…)"
    : "a test secret or restricted key (sk_test_… or rk_test_…)";
  if (kind === "unknown") return `not a recognisable Stripe API key; ${envName} needs ${wanted}`;
  if (kind === "publishable")
    return `publishable keys (pk_…) cannot manage webhook endpoints; ${envName} needs ${wanted}`;
  if (mode === "live" && !production) {
    return `live Stripe keys are accepted only for ${STRIPE_LIVE_ENVIRONMENT}; ${envName} needs ${wanted} so it can never touch real payments`;
  }
  if (mode === "test" && production) {
    return `test Stripe keys are refused for ${STRIPE_LIVE_ENVIRONMENT}: its webhooks would exist only in test mode and real payment events would never arrive; use ${wanted}`;
  }
  return null;
}
