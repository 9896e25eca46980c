/** The SendGrid v3 operations the control plane uses (providers/sendgrid.md), as a small typed interface. */

export interface SendGridApi {
  /** `GET /v3/scopes`: the cheapest authenticated read, and it says what the key may do. */
  verify(): Promise<SendGridKeyCheck>;
  /**
   * Domain authentication, "ensure" style: lists with `domain=` and creates (automatic security, i.e. three
   * CNAMEs) only when no authenticated domain matches. Once it validates, every address on the domain is
   * a verified sender identity, so no single-sender verification email is needed.
   */
  ensureSenderDomain(domain: string, subdomain?: string): Promise<SendGridDomain>;
  /** `POST /v3/whitelabel/domains/{id}/validate`: asks SendGrid to look the published records up now. */
  validateDomain(id: number): Promise<SendGridDomainValidation>;
}

export interface SendGridKeyCheck {
  /** e.g. `mail.send`, `whitelabel.create`; not checked here, since the exact scope names needed are not confirmed. */
  scopes: string[];
}

/** One record SendGrid wants published; feed it to Cloudflare DNS with `proxied: false` (and a priority for MX). */
export interface SendGridDnsRecord {
  /** SendGrid's key for it (`mail_cname`, `dkim1`, `dkim2`, or `mail_server`, `subdomain_spf`, `domain_spf`, `dkim`); joins with validation checks. */
  name: string;
  /** Upper-cased (`CNAME`, `MX`, `TXT`): SendGrid sends lower case, Cloudflare expects upper. */
  type: string;
  /** Fully qualified record name, e.g. `s1._domainkey.example.com`. */
  host: string;
  /** Record content, e.g. `s1.domainkey.u1446226.wl.sendgrid.net`. */
  data: string;
  valid: boolean;
}

export interface SendGridDomain {
  id: number;
  domain: string;
  /** The return-path label (SendGrid picks one such as `em1234` when none was asked for). */
  subdomain: string | null;
  valid: boolean;
  /** True when this call created it. */
  created: boolean;
  dns: SendGridDnsRecord[];
}

export interface SendGridDomainValidation {
  id: number;
  valid: boolean;
  /** One per record SendGrid checked, `reason` saying what it expected and found when invalid. */
  checks: { name: string; valid: boolean; reason: string | null }[];
}
