/**
 * Which URLs the sandbox may call on someone's say-so (`POST /sandbox/apps`): public hosts only. Loopback,
 * link-local (cloud metadata at 169.254.169.254), private and unspecified addresses, and names that only
 * resolve inside a network, are someone's internals; the one allowance is loopback when the control plane
 * itself runs locally (its PUBLIC_URL is a loopback URL: `npm start`, the tests), where the fixture app
 * listens on 127.0.0.1. Hosts are checked as the URL parser normalizes them, so "0x7f.1" and "2130706433"
 * are 127.0.0.1; a public name that resolves privately is beyond what a Worker can see (it has no DNS API).
 */

const INTERNAL_NAMES = /(?:^|\.)(?:localhost|local|internal|localdomain|home\.arpa)$/i;

/** Why the sandbox must not call `url`, or null when it may. */
export function appUrlRefusal(url: string, { controlPlaneIsLocal }: { controlPlaneIsLocal: boolean }): string | null {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase().replace(/^\[|\]$/g, "");
  } catch {
    return "not a URL";
  }
  const kind = addressKind(host);
  if (kind === "loopback" && controlPlaneIsLocal) return null;
  if (kind === "public") return null;
  return kind === "loopback"
    ? `${host} is a loopback address: allowed only while the control plane itself runs locally (npm start)`
    : `${host} is a ${kind} address: the sandbox calls public hosts only`;
}

/** Whether a URL (the control plane's PUBLIC_URL) points at this machine. */
export function isLoopbackUrl(url: string): boolean {
  try {
    return addressKind(new URL(url).hostname.toLowerCase().replace(/^\[|\]$/g, "")) === "loopback";
  } catch {
    return false;
  }
}

type AddressKind = "public" | "loopback" | "link-local" | "private" | "unspecified" | "internal-name";

function addressKind(host: string): AddressKind {
  if (host === "localhost" || host.endsWith(".localhost")) return "loopback";
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host)?.slice(1).map(Number);
  if (v4) return ipv4Kind(v4);
  if (host.includes(":")) return ipv6Kind(host);
  return INTERNAL_NAMES.test(host) || !host.includes(".") ? "internal-name" : "public";
}

function ipv4Kind([a, b]: number[]): AddressKind {
  if (a === 127) return "loopback";
  if (a === 0) return "unspecified";
  if (a === 169 && b === 254) return "link-local";
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127))
    return "private";
  return "public";
}

function ipv6Kind(host: string): AddressKind {
  if (host === "::1") return "loopback";
  if (host === "::") return "unspecified";
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(host)?.[1];
  if (mapped) return addressKind(mapped);
  // The URL parser writes IPv4-mapped addresses in hex ("::ffff:7f00:1").
  const hexMapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (hexMapped) {
    const [hi, lo] = [Number.parseInt(hexMapped[1], 16), Number.parseInt(hexMapped[2], 16)];
    return ipv4Kind([hi >> 8, hi & 255, lo >> 8, lo & 255]);
  }
  if (/^fe[89ab]/.test(host)) return "link-local";
  if (/^f[cd]/.test(host)) return "private";
  return "public";
}
