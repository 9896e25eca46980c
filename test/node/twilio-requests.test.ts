/**
 * Proves the Twilio SMS adapter's request is what Twilio's official OpenAPI (twilio-oai, API 2010-04-01)
 * accepts: method and path template, path parameter, and the form body decoded and validated with Ajv
 * against the Messages create requestBody schema; and that the adapter reads the spec's own 201 example.
 */
import { readFileSync } from "node:fs";
import Ajv, { type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { createTwilioSms, type TwilioSmsOptions } from "../../src/providers/twilio/adapter";
import type { SmsApi } from "../../src/providers/twilio/api";

const here = import.meta.url;

interface Operation {
  parameters?: { name: string; in: string; schema: object }[];
  requestBody?: { content: Record<string, { schema: object }> };
  responses: Record<
    string,
    { content?: Record<string, { schema: object; examples?: Record<string, { value: unknown }> }> }
  >;
  "x-twilio"?: { conditional?: string[][] };
}
const spec = JSON.parse(readFileSync(new URL("../fixtures/providers/twilio.openapi.json", here), "utf8")) as {
  paths: Record<string, Record<string, Operation>>;
};

const PATH = "/2010-04-01/Accounts/{AccountSid}/Messages.json";
const FORM = "application/x-www-form-urlencoded";
const operation = spec.paths[PATH].post;

const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
// Twilio's vendor formats carry no checkable rule of their own (providers/README.md).
for (const format of ["phone-number", "date-time-rfc-2822", "currency", "uri-map"]) ajv.addFormat(format, true);
ajv.addSchema(spec, "twilio");

/** The compiled validator at a JSON pointer inside the OpenAPI document (so its $refs resolve). */
function validatorAt(...segments: string[]): ValidateFunction {
  const pointer = segments.map((s) => encodeURIComponent(s.replace(/~/g, "~0").replace(/\//g, "~1"))).join("/");
  const validate = ajv.getSchema(`twilio#/${pointer}`);
  if (!validate) throw new Error(`no schema at ${pointer}`);
  return validate;
}

const requestBody = validatorAt("paths", PATH, "post", "requestBody", "content", FORM, "schema");
const accountSidParam = operation.parameters?.find((p) => p.in === "path" && p.name === "AccountSid");

interface Captured {
  method: string;
  url: URL;
  contentType: string | null;
  form: Record<string, string | string[]>;
}

/** Form body → object, a repeated key becoming an array (how Twilio reads repeatable fields such as MediaUrl). */
function decodeForm(body: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const previous = out[key];
    out[key] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  return out;
}

const ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef";
const EXAMPLE_201 = operation.responses["201"].content?.["application/json"].examples?.create.value;

/** Runs `send` against a fake Twilio answering the spec's own 201 example, capturing the one request. */
async function capture(
  opts: Omit<TwilioSmsOptions, "accountSid" | "authToken">,
  send: (sms: SmsApi) => Promise<unknown>,
): Promise<Captured> {
  const captured: Captured[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    captured.push({
      method: init?.method ?? "GET",
      url: new URL(String(input)),
      contentType: new Headers(init?.headers).get("Content-Type"),
      form: decodeForm(String(init?.body)),
    });
    return Response.json(EXAMPLE_201, { status: 201 });
  };
  await send(createTwilioSms({ fetch }, { accountSid: ACCOUNT_SID, authToken: "test-token", ...opts }));
  expect(captured).toHaveLength(1);
  return captured[0];
}

/** `x-twilio.conditional` one-of groups (snake_case in the spec) as the PascalCase form fields they name. */
function conditionalGroupsMet(form: Record<string, unknown>): boolean[] {
  const pascal = (snake: string) => snake.replace(/(^|_)([a-z])/g, (_m, _u, c: string) => c.toUpperCase());
  return (operation["x-twilio"]?.conditional ?? []).map((group) =>
    group.some((field) => form[pascal(field)] !== undefined),
  );
}

const CASES: [string, Omit<TwilioSmsOptions, "accountSid" | "authToken">, (sms: SmsApi) => Promise<unknown>][] = [
  [
    "From + Body + StatusCallback",
    { from: "+15550009999" },
    (sms) =>
      sms.send({
        to: "+15550000001",
        body: "production canary rolled back (score 41). Reply STATUS production",
        statusCallback: "https://cp.example.com/webhooks/twilio/status",
      }),
  ],
  [
    "MessagingServiceSid + Body",
    { messagingServiceSid: "MG0123456789abcdef0123456789abcdef" },
    (sms) => sms.send({ to: "+15550000001", body: "YES 482193 to approve run r_1" }),
  ],
  [
    "both senders, a non-ASCII body cut at 1600 characters",
    { from: "+15550009999", messagingServiceSid: "MG0123456789abcdef0123456789abcdef" },
    (sms) => sms.send({ to: "whatsapp:+15550000001", body: "Déploiement ✅ ".repeat(200) }),
  ],
];

describe("Twilio Messages create request", () => {
  it("targets the spec's POST path template with an AccountSid its parameter schema accepts", async () => {
    const { method, url } = await capture({ from: "+15550009999" }, (sms) =>
      sms.send({ to: "+15550000001", body: "hi" }),
    );
    expect(method).toBe("POST");
    expect(`${url.origin}`).toBe("https://api.twilio.com");
    const template = new RegExp(`^${PATH.replace(/[.]/g, "\\.").replace("{AccountSid}", "([^/]+)")}$`);
    const accountSid = template.exec(url.pathname)?.[1];
    expect(accountSid).toBe(ACCOUNT_SID);
    expect(accountSidParam).toBeDefined();
    expect(ajv.validate(accountSidParam?.schema ?? false, accountSid), JSON.stringify(ajv.errors)).toBe(true);
  });

  it.each(CASES)("sends a form body the requestBody schema accepts: %s", async (_name, opts, send) => {
    const { contentType, form } = await capture(opts, send);
    expect(contentType).toBe(FORM);
    expect(operation.requestBody?.content[FORM]).toBeDefined();
    expect(requestBody(form), JSON.stringify(requestBody.errors)).toBe(true);
    // JSON Schema cannot say "From or MessagingServiceSid" and "Body, MediaUrl or ContentSid"; the spec's extension does.
    expect(conditionalGroupsMet(form)).toEqual([true, true]);
    expect(String(form.Body).length).toBeLessThanOrEqual(1600);
  });

  it("rejects bodies the real API would refuse (the check can fail)", () => {
    expect(requestBody({ From: "+15550009999", Body: "no recipient" })).toBe(false);
    expect(requestBody({ To: "+15550000001", MessagingServiceSid: "MG1", Body: "x" })).toBe(false);
    expect(requestBody({ To: "+15550000001", StatusCallback: "not a uri", Body: "x" })).toBe(false);
    expect(conditionalGroupsMet({ To: "+15550000001", Body: "x" })).toEqual([false, true]);
  });

  it("reads sid and status from the spec's own 201 example response", async () => {
    let result: unknown;
    await capture(
      { from: "+15550009999" },
      async (sms) => (result = await sms.send({ to: "+15550000001", body: "hi" })),
    );
    const example = EXAMPLE_201 as { sid: string; status: string };
    expect(
      validatorAt("paths", PATH, "post", "responses", "201", "content", "application/json", "schema")(example),
    ).toBe(true);
    expect(result).toEqual({ sid: example.sid, status: example.status });
  });
});
