/** The Twilio operations the control plane uses (providers/twilio.md), as a small typed interface. */

export interface SmsApi {
  /**
   * Sends one SMS (`POST …/Messages.json`). Not idempotent: a re-send is a second SMS, so callers record
   * the returned `sid` before anything else and never blindly retry an ambiguous failure.
   */
  send(input: { to: string; body: string; statusCallback?: string }): Promise<SmsReceipt>;
}

export interface SmsReceipt {
  /** `SM…` (or `MM…`) message SID; status callbacks name it as `MessageSid`. */
  sid: string;
  /**
   * Twilio's status at creation, usually `queued` (or `accepted` / `scheduled` with a Messaging Service).
   * Kept an open string: a status Twilio adds later must not turn a message that was sent into a failure.
   */
  status: string;
}
