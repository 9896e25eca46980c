/**
 * The simulated app database's users table, one per environment. Created lazily the first time the ops
 * contract is used there, deterministically from the environment id, so two runs of the same world see the
 * same 2,000 users and a test can reason about them (including the deliberately unresolvable ones).
 */
import { hashString, uniforms } from "../traffic/random";
import type { World } from "../world/store";
import type { Address } from "./rules";

export const USERS_PER_ENVIRONMENT = 2000;

export type UserRow = Address & { id: number; postal_code: string | null; timezone: string | null };

type Spec = [addressLine1: string | null, city: string | null, region: string | null, country: string | null];

// Resolvable addresses in the spellings real users type (codes, names, accents, stray punctuation).
const RESOLVABLE: Spec[] = [
  ["1 Main St", "New York", "NY", "USA"],
  ["22 Pine Ave", "Brooklyn", "New York", "United States"],
  ["5 Market St", "San Francisco", "CA", "US"],
  ["9 Elm Rd", "Austin", "Texas", "U.S."],
  ["77 Desert Way", "El Paso", "TX", "USA"],
  ["3 Bay Blvd", "Pensacola", "FL", "USA"],
  ["14 Lake Shore Dr", "Chicago", "IL", "USA"],
  ["8 Peak Rd", "Denver", "CO", "USA"],
  ["40 Cactus Ln", "Phoenix", "Arizona", "USA"],
  ["2 Rain St", "Seattle", "WA", "USA"],
  ["6 Surf Ave", "Honolulu", "HI", "USA"],
  ["11 Peach St", "Atlanta", "GA", "USA"],
  ["10 Queen St", "Toronto", "ON", "Canada"],
  ["4 Rue St-Denis", "Montréal", "Québec", "Canada"],
  ["12 Harbour Rd", "Vancouver", "BC", "CA"],
  ["1 Tundra Rd", "Iqaluit", "NU", "Canada"],
  ["3 George St", "Sydney", "NSW", "Australia"],
  ["7 Swan St", "Perth", "WA", "AU"],
  ["221B Baker St", "London", null, "United Kingdom"],
  ["5 Grafton St", "Dublin", null, "Ireland"],
  ["8 Rue de Rivoli", "Paris", null, "France"],
  ["3 Unter den Linden", "Berlin", null, "Deutschland"],
  ["1 Dam", "Amsterdam", null, "NL"],
  ["2-1 Ginza", "Tokyo", null, "Japan"],
  ["4 MG Road", "Bengaluru", "Karnataka", "India"],
  ["1 Orchard Rd", "Singapore", null, "SG"],
  ["9 Long St", "Cape Town", "Western Cape", "South Africa"],
];

// Multi-zone country without a region, a city without a country, a split region with an unlisted town.
const AMBIGUOUS: Spec[] = [
  ["12 Oak St", "Springfield", null, "USA"],
  [null, "Springfield", null, null],
  ["3 Ice Rd", "Arviat", "Nunavut", "Canada"],
  ["5 Bush Rd", "Alice Springs", null, "Australia"],
];

// A country the rules do not know, or an unknown region of a known one.
const UNKNOWN: Spec[] = [
  ["1 Palace Way", "Poseidonis", null, "Atlantis"],
  ["9 Wardrobe Ln", "Cair Paravel", null, "Narnia"],
  ["4 River Rd", "Springfield", "ZZ", "USA"],
  ["2 Maple Dr", "Whitehorse", "Yukon", "Canada"],
];

function pick<T>(list: readonly T[], draw: number): T {
  const item = list[Math.floor(draw * list.length)] ?? list[0];
  if (item === undefined) throw new Error("empty address list");
  return item;
}

/** The generated user `id` of one environment (pure: the same environment id always gives the same user). */
export function generateUser(environmentId: string, id: number): UserRow {
  const next = uniforms(hashString(`${environmentId}:user:${id}`));
  const kind = next();
  const draw = next();
  // ~2% nothing to go on, ~2.5% ambiguous, ~2.5% unknown; the rest resolve.
  const spec: Spec =
    kind < 0.02
      ? [null, null, null, null]
      : kind < 0.045
        ? pick(AMBIGUOUS, draw)
        : kind < 0.07
          ? pick(UNKNOWN, draw)
          : pick(RESOLVABLE, draw);
  const [line1, city, region, country] = spec;
  const postal = line1 === null ? null : String(10000 + Math.floor(next() * 89999));
  return { id, address_line1: line1, city, region, postal_code: postal, country, timezone: null };
}

/** Creates the environment's users on first use (a meta flag, so a later empty table is not refilled). */
export function ensureUsers(world: World, environmentId: string): void {
  const key = `app-users:${environmentId}`;
  if (world.getMeta(key)) return;
  for (let id = 1; id <= USERS_PER_ENVIRONMENT; id++) {
    const u = generateUser(environmentId, id);
    world.run(
      "INSERT OR IGNORE INTO app_users (environment_id, id, address_line1, city, region, postal_code, country, timezone) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      environmentId,
      u.id,
      u.address_line1,
      u.city,
      u.region,
      u.postal_code,
      u.country,
      u.timezone,
    );
  }
  world.setMeta(key, String(world.now()));
}

/** `{total, filled}` of one environment's users (zeros before first use). */
export function userCounts(world: World, environmentId: string): { total: number; filled: number } {
  const row = world.first<{ total: number; filled: number }>(
    "SELECT COUNT(*) AS total, COUNT(timezone) AS filled FROM app_users WHERE environment_id = ?",
    environmentId,
  );
  return { total: row?.total ?? 0, filled: row?.filled ?? 0 };
}

/** Whether the environment's users exist yet. */
export function hasUsers(world: World, environmentId: string): boolean {
  return world.getMeta(`app-users:${environmentId}`) !== null;
}
