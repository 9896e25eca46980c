/**
 * Alert escalation, pure: who is texted at each level and when the next level is due. Level 0 is the
 * environment's notify list plus its subscribers; each later level is the next phone of the policy's
 * chain. An acknowledged alert ("ACK <code>") never escalates again.
 */

export interface EscalationState {
  level: number;
  /** epoch ms when the next level is due; null when there is none (acked, or the chain is exhausted) */
  escalateAt: number | null;
  acked: boolean;
}

/** Phones of one escalation level (empty past the end of the chain). */
export function destinationsAt(level: number, first: string[], chain: string[]): string[] {
  if (level === 0) return [...new Set(first)];
  const phone = chain[level - 1];
  return phone ? [phone] : [];
}

/** When the level after `level` is due, or null when there is no further destination. */
export function nextEscalation(level: number, notifiedAt: number, timeoutMs: number, chain: string[]): number | null {
  return level < chain.length ? notifiedAt + timeoutMs : null;
}

/** Whether an incident's alert must move to its next destination at `now`. */
export function escalationDue(state: EscalationState, now: number): boolean {
  return !state.acked && state.escalateAt !== null && now >= state.escalateAt;
}

/** A random per-incident secret the recipients' ACK codes derive from (stored with the incident, never texted). */
export function newAckCode(): string {
  return [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The ACK code texted to `phone` for an incident: 6 digits of HMAC(incident's secret, phone), so a code
 * acknowledges only when it comes back from the phone it was sent to.
 */
export async function ackCodeFor(incidentSecret: string, phone: string): Promise<string> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(incidentSecret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(`ack|${phone}`)));
  const n = ((mac[0] << 24) | (mac[1] << 16) | (mac[2] << 8) | mac[3]) >>> 0;
  return String(n % 1_000_000).padStart(6, "0");
}

/** Each phone's own ACK code for an incident. */
export async function ackCodesFor(incidentSecret: string, phones: string[]): Promise<Map<string, string>> {
  return new Map(await Promise.all(phones.map(async (p) => [p, await ackCodeFor(incidentSecret, p)] as const)));
}

export interface AlertFacts {
  env: string;
  incidentId: string;
  title: string;
  ackCode: string;
  link: string;
  remediation?: string;
}

/** The first alert of an incident. */
export function incidentOpenedText(f: AlertFacts): string {
  return `Infra Chat: INCIDENT ${f.incidentId} on ${f.env}: ${f.title}.${f.remediation ? ` ${f.remediation}.` : ""} Reply ACK ${f.ackCode} to acknowledge. ${f.link}`;
}

/** The same alert, one level up. */
export function escalatedText(f: AlertFacts, level: number, minutes: number): string {
  return `Infra Chat: ESCALATED (level ${level + 1}, unacknowledged for ${minutes} min) incident ${f.incidentId} on ${f.env}: ${f.title}. Reply ACK ${f.ackCode} to acknowledge. ${f.link}`;
}

/** An incident resolved. */
export function incidentResolvedText(f: Omit<AlertFacts, "ackCode">, note: string): string {
  return `Infra Chat: resolved incident ${f.incidentId} on ${f.env} (${f.title}). ${note.slice(0, 200)} ${f.link}`;
}
