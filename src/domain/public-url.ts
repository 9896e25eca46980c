/** Whether a deployed Worker's PUBLIC_URL can be handed to people and providers. */

/**
 * Why `url` cannot be a deployed Worker's public URL, or null when it can: it must be an https origin that
 * is not a loopback or `localhost` address (texts, Twilio's signature base and Stripe's webhook point at it).
 */
export function publicUrlProblem(url: string | undefined): string | null {
  const fix =
    "set PUBLIC_URL to the Worker's public https origin (npm run deploy does, e.g. --public-url https://infra-chat.example.com)";
  if (!url) return `PUBLIC_URL is not set: ${fix}`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `PUBLIC_URL "${url}" is not a URL: ${fix}`;
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, "");
  if (
    host === "localhost" ||
    host.endsWith(".localhost") ||
    /^127\./.test(host) ||
    host === "::1" ||
    host === "0.0.0.0"
  )
    return `PUBLIC_URL is ${url}, a local address: ${fix}`;
  if (parsed.protocol !== "https:") return `PUBLIC_URL ${url} is not https: ${fix}`;
  return null;
}
