/**
 * The simulated accounts' plan and settings (`POST /sandbox/account`, API.md "Sandbox"): the Railway
 * plan that sizes the hourly request budget, whether the Cloudflare account has the Load Balancing
 * add-on, and the SSL/TLS mode of its zones. The defaults are what `npm start` has always shown: a Hobby
 * budget that the seeded project fits in, load balancing on, SSL Full.
 */
import { z } from "zod";
import { listZones } from "./cloudflare/store";
import type { World } from "./world/store";

export const RAILWAY_PLANS = ["free", "hobby", "pro"] as const;
export const SSL_MODES = ["off", "flexible", "full", "strict"] as const;
export type RailwayPlan = (typeof RAILWAY_PLANS)[number];
export type SslMode = (typeof SSL_MODES)[number];

/** Railway's public API requests per hour per token (docs.railway.com "Public API", Rate limits). */
export const RAILWAY_REQUESTS_PER_HOUR: Record<RailwayPlan, number> = { free: 100, hobby: 1000, pro: 10_000 };

export const accountSchema = z
  .object({
    railwayPlan: z.enum(RAILWAY_PLANS).optional(),
    loadBalancing: z.boolean().optional(),
    sslMode: z.enum(SSL_MODES).optional(),
  })
  .strict();
export type AccountInput = z.infer<typeof accountSchema>;

/** The accounts as `GET /sandbox/state` shows them (`account`). */
export interface AccountSettings {
  railwayPlan: RailwayPlan;
  /** The Cloudflare account has the Load Balancing add-on (a paid subscription). */
  loadBalancing: boolean;
  /** The SSL/TLS mode every zone of the Cloudflare account was last set to here (a zone may differ after a PATCH). */
  sslMode: SslMode;
}

export const DEFAULT_ACCOUNT: AccountSettings = { railwayPlan: "hobby", loadBalancing: true, sslMode: "full" };
const KEY = "account";

/** The current settings (defaults until `POST /sandbox/account` changed them). */
export function accountSettings(world: World): AccountSettings {
  const stored = world.getMeta(KEY);
  return stored ? { ...DEFAULT_ACCOUNT, ...(JSON.parse(stored) as Partial<AccountSettings>) } : DEFAULT_ACCOUNT;
}

/** Applies a change; an SSL mode is set on every zone of the account, as a person would in each zone's dashboard. */
export function updateAccount(world: World, input: AccountInput): AccountSettings {
  const next: AccountSettings = {
    railwayPlan: input.railwayPlan ?? accountSettings(world).railwayPlan,
    loadBalancing: input.loadBalancing ?? accountSettings(world).loadBalancing,
    sslMode: input.sslMode ?? accountSettings(world).sslMode,
  };
  world.setMeta(KEY, JSON.stringify(next));
  if (input.sslMode) for (const zone of listZones(world)) setZoneSslMode(world, zone.id, input.sslMode);
  return next;
}

const sslKey = (zoneId: string) => `cf:zone-ssl:${zoneId}`;

/** A zone's SSL/TLS mode (Cloudflare's `ssl` zone setting). */
export function zoneSslMode(world: World, zoneId: string): { value: SslMode; modifiedAt: number | null } {
  const stored = world.getMeta(sslKey(zoneId));
  if (!stored) return { value: accountSettings(world).sslMode, modifiedAt: null };
  return JSON.parse(stored) as { value: SslMode; modifiedAt: number };
}

/** Sets one zone's SSL/TLS mode (`PATCH /zones/{id}/settings/ssl`, or the account knob). */
export function setZoneSslMode(world: World, zoneId: string, value: SslMode): void {
  world.setMeta(sslKey(zoneId), JSON.stringify({ value, modifiedAt: world.now() }));
}
