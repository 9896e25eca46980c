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

/** A random 6-digit acknowledgement code (per incident; unguessable enough to not ACK by accident). */
export function newAckCode(): string {
  const n = crypto.getRandomValues(new Uint32Array(1))[0];
  return String(n % 1_000_000).padStart(6, "0");
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
