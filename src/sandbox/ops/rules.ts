/**
 * The sandbox app's own small rule table: postal address → IANA zone, or one of the fixture app's reason
 * codes. Deliberately independent of test/fixtures (the sandbox is a fake, not a copy); what must match is
 * the vocabulary — `no_address`, `ambiguous_region`, `unknown_region` — and the rule order: country, then
 * region, then a city override inside a region split by a zone line.
 */

export type ReasonCode = "no_address" | "ambiguous_region" | "unknown_region";
export type Derived = { ok: true; timezone: string } | { ok: false; reason: ReasonCode };

/** The address columns the rules read. */
export type Address = {
  address_line1: string | null;
  city: string | null;
  region: string | null;
  country: string | null;
};

/** Single-zone countries: code → [zone, …spellings users type]. */
export const SINGLE_ZONE: Record<string, string[]> = {
  GB: ["Europe/London", "UK", "United Kingdom", "England"],
  IE: ["Europe/Dublin", "Ireland"],
  FR: ["Europe/Paris", "France"],
  DE: ["Europe/Berlin", "Germany", "Deutschland"],
  NL: ["Europe/Amsterdam", "Netherlands"],
  JP: ["Asia/Tokyo", "Japan"],
  IN: ["Asia/Kolkata", "India"],
  SG: ["Asia/Singapore", "Singapore"],
  ZA: ["Africa/Johannesburg", "South Africa"],
};

type MultiZone = {
  aliases: string[];
  regions: Record<string, [string | null, string]>;
  cities: Record<string, Record<string, string>>;
};

/** Multi-zone countries: region code → [zone (null = split, needs a city), full name]; city overrides by region. */
export const BY_REGION: Record<string, MultiZone> = {
  US: {
    aliases: ["USA", "U.S.", "United States"],
    regions: {
      NY: ["America/New_York", "New York"],
      CA: ["America/Los_Angeles", "California"],
      TX: ["America/Chicago", "Texas"],
      IL: ["America/Chicago", "Illinois"],
      CO: ["America/Denver", "Colorado"],
      AZ: ["America/Phoenix", "Arizona"],
      WA: ["America/Los_Angeles", "Washington"],
      FL: ["America/New_York", "Florida"],
      MA: ["America/New_York", "Massachusetts"],
      HI: ["Pacific/Honolulu", "Hawaii"],
      AK: ["America/Anchorage", "Alaska"],
      GA: ["America/New_York", "Georgia"],
    },
    cities: { TX: { "el paso": "America/Denver" }, FL: { pensacola: "America/Chicago" } },
  },
  CA: {
    aliases: ["Canada"],
    regions: {
      ON: ["America/Toronto", "Ontario"],
      QC: ["America/Toronto", "Quebec"],
      BC: ["America/Vancouver", "British Columbia"],
      AB: ["America/Edmonton", "Alberta"],
      NU: [null, "Nunavut"],
    },
    cities: { NU: { iqaluit: "America/Iqaluit" } },
  },
  AU: {
    aliases: ["Australia"],
    regions: {
      NSW: ["Australia/Sydney", "New South Wales"],
      VIC: ["Australia/Melbourne", "Victoria"],
      WA: ["Australia/Perth", "Western Australia"],
    },
    cities: {},
  },
};

/** Upper case with accents and punctuation folded away, so "U.S." and "us" compare equal. */
function fold(text: string | null): string {
  return (text ?? "")
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^A-Za-z0-9' -]/g, " ")
    .replace(/\s+/g, " ")
    .trim()
    .toUpperCase();
}

// Every accepted spelling → its code, built once at module load.
const COUNTRY_CODES = new Map<string, string>();
for (const [code, [, ...names]] of Object.entries(SINGLE_ZONE))
  for (const n of [code, ...names]) COUNTRY_CODES.set(fold(n), code);
for (const [code, { aliases }] of Object.entries(BY_REGION))
  for (const n of [code, ...aliases]) COUNTRY_CODES.set(fold(n), code);

function regionCode(table: MultiZone, region: string): string | null {
  for (const [code, [, name]] of Object.entries(table.regions))
    if (fold(code) === region || fold(name) === region) return code;
  return null;
}

/** The zone for an address, or why the rules cannot decide one. Pure: the same address always answers the same. */
export function deriveTimezone(address: Address): Derived {
  const country = fold(address.country);
  const region = fold(address.region);
  const city = fold(address.city).toLowerCase();
  // A city or street without a country could be anywhere (30-odd Springfields in the US alone).
  if (!country)
    return { ok: false, reason: region || city || fold(address.address_line1) ? "ambiguous_region" : "no_address" };
  const code = COUNTRY_CODES.get(country);
  if (!code) return { ok: false, reason: "unknown_region" };
  const single = SINGLE_ZONE[code];
  if (single?.[0]) return { ok: true, timezone: single[0] };
  const table = BY_REGION[code];
  if (!table) return { ok: false, reason: "unknown_region" };
  if (!region) return { ok: false, reason: "ambiguous_region" };
  const rc = regionCode(table, region);
  if (!rc) return { ok: false, reason: "unknown_region" };
  const cityZone = table.cities[rc]?.[city];
  if (cityZone) return { ok: true, timezone: cityZone };
  const zone = table.regions[rc]?.[0];
  return zone ? { ok: true, timezone: zone } : { ok: false, reason: "ambiguous_region" };
}

// Shape first: Intl also accepts offsets and abbreviations ("EST"), none of which belong in the column.
const IANA_SHAPE = /^(?:UTC|[A-Z][A-Za-z_]*(?:\/[A-Z0-9][A-Za-z0-9_+-]*)+)$/;

/** True when `zone` is spelt like an IANA zone name and the runtime's zone database knows it. */
export function isIanaZone(zone: unknown): zone is string {
  if (typeof zone !== "string" || !IANA_SHAPE.test(zone)) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
