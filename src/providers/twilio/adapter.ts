/** The Twilio adapter: SmsApi over Twilio REST 2010-04-01 `POST …/Messages.json` (providers/twilio.md). */
import { z } from "zod";
import { parseJsonBody, providerRequest, resolveTransportOptions } from "../http";
import { ProviderError, type ProviderContext } from "../types";
import type { SmsApi } from "./api";

export const TWILIO_API_BASE = "https://api.twilio.com";
export const TWILIO_SEND_OPERATION = "POST /2010-04-01/Accounts/{AccountSid}/Messages.json";
/** Twilio's documented cap on `Body`, in characters. */
export const TWILIO_MAX_BODY_CHARS = 1600;

export interface TwilioSmsOptions {
  /** `AC…`; it is both the Basic-auth username and part of the request path. */
  accountSid: string;
  authToken: string;
  /** A Twilio number / sender owned by the account; needed unless `messagingServiceSid` is given. */
  from?: string;
  /** `MG…`: Twilio picks the sender from the service's pool. */
  messagingServiceSid?: string;
  apiBase?: string;
}

// The OpenAPI path-parameter pattern; checking it also keeps a bad SID from reshaping the URL path.
const ACCOUNT_SID = /^AC[0-9a-fA-F]{32}$/;
const MESSAGING_SERVICE_SID = /^MG[0-9a-fA-F]{32}$/;

// Only what the caller needs; `sid` format and `status` values are not checked so a provider-side change
// cannot turn a message that was already sent into a reported failure.
const Message = z.object({ sid: z.string().min(1), status: z.string() });

const TwilioErrorBody = z.object({ code: z.number().int(), more_info: z.string().optional() });
type TwilioErrorBody = z.infer<typeof TwilioErrorBody>;

/** Builds the Twilio SMS adapter; each send is one form-encoded POST through providerRequest. */
export function createTwilioSms(ctx: ProviderContext, opts: TwilioSmsOptions): SmsApi {
  const { accountSid, authToken, from, messagingServiceSid } = opts;
  if (!ACCOUNT_SID.test(accountSid)) throw new Error("Twilio accountSid must be AC followed by 32 hex digits");
  if (!authToken) throw new Error("Twilio authToken is required");
  if (messagingServiceSid !== undefined && !MESSAGING_SERVICE_SID.test(messagingServiceSid)) {
    throw new Error("Twilio messagingServiceSid must be MG followed by 32 hex digits");
  }
  if (!from && !messagingServiceSid) throw new Error("Twilio needs a sender: from or messagingServiceSid");
  resolveTransportOptions(ctx);
  const url = `${(opts.apiBase ?? TWILIO_API_BASE).replace(/\/+$/, "")}/2010-04-01/Accounts/${accountSid}/Messages.json`;
  const headers = {
    Authorization: `Basic ${btoa(`${accountSid}:${authToken}`)}`,
    "Content-Type": "application/x-www-form-urlencoded",
    Accept: "application/json",
  };

  return {
    async send({ to, body, statusCallback }) {
      const form = new URLSearchParams({ To: to });
      if (from) form.set("From", from);
      if (messagingServiceSid) form.set("MessagingServiceSid", messagingServiceSid);
      form.set("Body", fitBody(body));
      if (statusCallback) form.set("StatusCallback", statusCallback);
      const call = withTwilioErrorCodes(ctx);
      try {
        return await providerRequest(call.ctx, "twilio", {
          operation: TWILIO_SEND_OPERATION,
          // A retried create sends a second SMS: http.ts then re-sends only after a 429 (not processed).
          kind: "write",
          method: "POST",
          url,
          headers,
          body: form.toString(),
          read: (response) => parseJsonBody("twilio", response, Message),
          responseIds: (message) => ({ messageSid: message.sid }),
        });
      } catch (err) {
        throw call.annotate(err);
      }
    },
  };
}

/**
 * The docs cap `Body` at 1600 characters and Twilio refuses a longer one outright; an alert cut short
 * beats an alert never sent. Counted in UTF-16 units (never fewer than characters), and the cut never
 * splits a surrogate pair, so the text stays valid.
 */
function fitBody(body: string): string {
  if (body.length <= TWILIO_MAX_BODY_CHARS) return body;
  const cut = body.slice(0, TWILIO_MAX_BODY_CHARS - 1);
  return `${/[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut}…`;
}

/**
 * http.ts quotes only Twilio's `message`; the numeric `code` (21211 bad To, 21610 opted out, …) is what
 * says which failure it was. This per-call view of the context remembers the last error body and adds
 * its code to the thrown ProviderError and to the receipt, without changing the transport's behaviour.
 */
function withTwilioErrorCodes(ctx: ProviderContext) {
  const send = ctx.fetch;
  const redact = ctx.redact ?? ((text: string) => text);
  let last: TwilioErrorBody | undefined;
  const suffix = () =>
    last ? redact(` (Twilio error ${last.code}${last.more_info ? `, ${last.more_info}` : ""})`) : "";
  const callCtx: ProviderContext = {
    ...ctx,
    fetch: async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
      last = undefined;
      const response = await send(input, init);
      if (!response.ok) last = twilioError(await response.clone().text());
      return response;
    },
    onReceipt:
      ctx.onReceipt &&
      ((receipt) => ctx.onReceipt?.(receipt.error ? { ...receipt, error: receipt.error + suffix() } : receipt)),
  };
  const annotate = (err: unknown): unknown =>
    err instanceof ProviderError && last
      ? new ProviderError(
          err.message + suffix(),
          err.provider,
          err.status,
          err.retryable,
          err.ambiguous,
          err.retryAfterMs,
        )
      : err;
  return { ctx: callCtx, annotate };
}

function twilioError(text: string): TwilioErrorBody | undefined {
  try {
    return TwilioErrorBody.safeParse(JSON.parse(text)).data;
  } catch {
    return undefined;
  }
}
