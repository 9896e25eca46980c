import type { LocalTopology } from "./topology";
import { toYaml, type YamlValue } from "./yaml";

/** One cloudflared ingress rule; the catch-all has neither hostname nor path. */
export interface IngressRule {
  hostname?: string;
  path?: string;
  service: string;
}

/** Webhook paths the local api must receive from the internet, as cloudflared path regexes. */
export const WEBHOOK_PATHS = {
  stripe: "^/webhooks/stripe(/.*)?$",
  twilio: "^/webhooks/twilio(/.*)?$",
} as const;

/**
 * Ingress of the dev tunnel: Stripe and Twilio webhook paths of `hostname` go to the api container,
 * everything else gets a 404. The same list is what a remotely managed tunnel's configuration takes.
 */
export function tunnelIngress(t: LocalTopology, hostname: string): IngressRule[] {
  // cloudflared evaluates rules in order and requires a last rule that matches everything.
  const catchAll: IngressRule = { service: "http_status:404" };
  if (!t.api) return [catchAll];
  const origin = `http://${t.api.name}:${t.api.port}`;
  return [
    { hostname, path: WEBHOOK_PATHS.stripe, service: origin },
    { hostname, path: WEBHOOK_PATHS.twilio, service: origin },
    catchAll,
  ];
}

/** `cloudflared/config.yml` for the compose `cloudflared` service (token from TUNNEL_TOKEN). */
export function tunnelConfigFile(t: LocalTopology, hostname: string): string {
  const ingress: YamlValue = tunnelIngress(t, hostname).map((rule) => ({ ...rule }));
  return toYaml(
    { ingress },
    {
      header: [
        `Cloudflare Tunnel for ${t.projectName} (local): public webhooks reach the api container.`,
        `DNS: CNAME ${hostname} -> <tunnel id>.cfargotunnel.com (proxied).`,
        "The connector authenticates with TUNNEL_TOKEN (compose: CLOUDFLARE_TUNNEL_TOKEN); paths are regexes.",
        "Only webhook paths are exposed: the last rule answers everything else with 404.",
      ],
    },
  );
}
