/**
 * The SendGrid adapter inside workerd, against a fake SendGrid: key check via /v3/scopes, domain
 * authentication "ensure" (exact match out of a fuzzy search, create only when absent), validation
 * results, error mapping, write safety, and 429s driven by X-RateLimit-Reset.
 */
import { describe, expect, it } from "vitest";
import { createSendGridApi, SENDGRID_DOMAINS_PATH, SENDGRID_VALIDATE_PATH } from "../../src/providers/sendgrid/adapter";
import type { ProviderContext, Receipt } from "../../src/providers/types";
import { failureOf } from "./helpers";

type Json = Record<string, unknown>;
interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Headers;
  body: Json | undefined;
}

const KEY = "SG.fake-key.secret-part";

/** An automatic-security domain as SendGrid returns it (shape of the spec's 201 example). */
function domain(id: number, name: string, subdomain: string, valid = false): Json {
  const record = (host: string, data: string) => ({ valid, type: "cname", host, data });
  return {
    id,
    user_id: 7,
    domain: name,
    subdomain,
    username: "infra",
    ips: [],
    custom_spf: false,
    default: false,
    legacy: false,
    automatic_security: true,
    valid,
    dns: {
      mail_cname: record(`${subdomain}.${name}`, "u7.wl.sendgrid.net"),
      dkim1: record(`s1._domainkey.${name}`, "s1.domainkey.u7.wl.sendgrid.net"),
      dkim2: record(`s2._domainkey.${name}`, "s2.domainkey.u7.wl.sendgrid.net"),
    },
  };
}

/** A fake SendGrid over an in-memory domain list; `faults` answer the next requests instead (null = answer normally). */
function fakeSendGrid(seed: Json[] = []) {
  const domains = [...seed];
  const requests: Recorded[] = [];
  const receipts: Receipt[] = [];
  const sleeps: number[] = [];
  const faults: ((() => Response) | null)[] = [];
  let nextId = 1000;

  function answer(r: Recorded): Response {
    if (r.method === "GET" && r.path === "/v3/scopes")
      return Response.json({ scopes: ["mail.send", "whitelabel.create", "whitelabel.read"] });
    if (r.method === "GET" && r.path === SENDGRID_DOMAINS_PATH) {
      // Like SendGrid's, the `domain=` filter is a search: it also returns names that merely contain it.
      const hits = domains.filter((d) => String(d.domain).includes(r.query.get("domain") ?? ""));
      const offset = Number(r.query.get("offset") ?? 0);
      return Response.json(hits.slice(offset, offset + Number(r.query.get("limit") ?? 50)));
    }
    if (r.method === "POST" && r.path === SENDGRID_DOMAINS_PATH) {
      const created = domain(++nextId, String(r.body?.domain), String(r.body?.subdomain ?? "em1234"));
      domains.push(created);
      return Response.json(created, { status: 201 });
    }
    const validate = /^\/v3\/whitelabel\/domains\/(\d+)\/validate$/.exec(r.path);
    if (r.method === "POST" && validate) {
      return Response.json({
        id: Number(validate[1]),
        valid: false,
        validation_results: {
          mail_cname: { valid: true, reason: null },
          dkim1: {
            valid: false,
            reason: 'Expected CNAME for "s1._domainkey.example.com" to match "s1.domainkey.u7.wl.sendgrid.net".',
          },
          dkim2: { valid: true, reason: null },
        },
      });
    }
    return Response.json({ errors: [{ field: null, message: "not found" }] }, { status: 404 });
  }

  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    const body = init?.body === undefined ? undefined : (JSON.parse(String(init.body)) as Json);
    const request: Recorded = {
      method: init?.method ?? "GET",
      path: url.pathname,
      query: url.searchParams,
      headers: new Headers(init?.headers),
      body,
    };
    requests.push(request);
    const fault = faults.shift();
    return fault ? fault() : answer(request);
  };
  const ctx: ProviderContext = { fetch, onReceipt: (r) => receipts.push(r), sleep: async (ms) => void sleeps.push(ms) };
  return { ctx, domains, requests, receipts, sleeps, faults };
}

/** The ProviderError a call failed with (fails the test if it succeeded or threw something else). */
describe("SendGrid adapter", () => {
  it("checks a key with GET /v3/scopes, Bearer auth and on-behalf-of when acting for a subuser", async () => {
    const sg = fakeSendGrid();
    const api = createSendGridApi(sg.ctx, {
      apiKey: KEY,
      onBehalfOf: "invoice-perfect",
      apiBase: "https://api.eu.sendgrid.com/",
    });
    expect(await api.verify()).toEqual({ scopes: ["mail.send", "whitelabel.create", "whitelabel.read"] });
    const [request] = sg.requests;
    expect([request.method, request.path]).toEqual(["GET", "/v3/scopes"]);
    expect(request.headers.get("Authorization")).toBe(`Bearer ${KEY}`);
    expect(request.headers.get("on-behalf-of")).toBe("invoice-perfect");
    expect(request.headers.has("Content-Type")).toBe(false);
    expect(sg.receipts).toMatchObject([
      { provider: "sendgrid", operation: "GET /v3/scopes", status: 200, url: "https://api.eu.sendgrid.com/v3/scopes" },
    ]);
  });

  it("creates domain authentication with automatic security when none exists, returning the records to publish", async () => {
    const sg = fakeSendGrid();
    const result = await createSendGridApi(sg.ctx, { apiKey: KEY }).ensureSenderDomain("Mail.Example.com.", "em");
    expect(result).toEqual({
      id: 1001,
      domain: "mail.example.com",
      subdomain: "em",
      valid: false,
      created: true,
      dns: [
        { name: "mail_cname", type: "CNAME", host: "em.mail.example.com", data: "u7.wl.sendgrid.net", valid: false },
        {
          name: "dkim1",
          type: "CNAME",
          host: "s1._domainkey.mail.example.com",
          data: "s1.domainkey.u7.wl.sendgrid.net",
          valid: false,
        },
        {
          name: "dkim2",
          type: "CNAME",
          host: "s2._domainkey.mail.example.com",
          data: "s2.domainkey.u7.wl.sendgrid.net",
          valid: false,
        },
      ],
    });
    const [list, create] = sg.requests;
    expect([list.method, list.path, list.query.toString()]).toEqual([
      "GET",
      SENDGRID_DOMAINS_PATH,
      "domain=mail.example.com&limit=50&offset=0",
    ]);
    expect([create.method, create.path, create.headers.get("Content-Type")]).toEqual([
      "POST",
      SENDGRID_DOMAINS_PATH,
      "application/json",
    ]);
    expect(create.body).toEqual({ domain: "mail.example.com", subdomain: "em", automatic_security: true });
    expect(sg.receipts[1]).toMatchObject({
      operation: `POST ${SENDGRID_DOMAINS_PATH}`,
      status: 201,
      responseIds: { domainId: "1001" },
    });
  });

  it("picks the exact domain out of the fuzzy search, preferring a validated one, and creates nothing", async () => {
    const sg = fakeSendGrid([
      domain(1, "example.com.au", "em"),
      domain(2, "mail.example.com", "em"),
      domain(3, "example.com", "em"),
      domain(4, "example.com", "mx", true),
    ]);
    const api = createSendGridApi(sg.ctx, { apiKey: KEY });
    expect(await api.ensureSenderDomain("example.com")).toMatchObject({ id: 4, valid: true, created: false });
    expect(await api.ensureSenderDomain("example.com", "em")).toMatchObject({ id: 3, valid: false, created: false });
    expect(sg.requests.map((r) => r.method)).toEqual(["GET", "GET"]);
    expect(await api.ensureSenderDomain("example.com", "news")).toMatchObject({ id: 1001, created: true });
  });

  it("pages the domain list by offset until a short page", async () => {
    const sg = fakeSendGrid([
      ...Array.from({ length: 50 }, (_, i) => domain(i + 1, `x${i}.example.com`, "em")),
      domain(99, "example.com", "em"),
    ]);
    expect(await createSendGridApi(sg.ctx, { apiKey: KEY }).ensureSenderDomain("example.com")).toMatchObject({
      id: 99,
      created: false,
    });
    expect(sg.requests.map((r) => r.query.get("offset"))).toEqual(["0", "50"]);
  });

  it("validates by id and reports every record's result with SendGrid's reason", async () => {
    const sg = fakeSendGrid();
    const result = await createSendGridApi(sg.ctx, { apiKey: KEY }).validateDomain(302183);
    expect(result).toEqual({
      id: 302183,
      valid: false,
      checks: [
        { name: "mail_cname", valid: true, reason: null },
        {
          name: "dkim1",
          valid: false,
          reason: 'Expected CNAME for "s1._domainkey.example.com" to match "s1.domainkey.u7.wl.sendgrid.net".',
        },
        { name: "dkim2", valid: true, reason: null },
      ],
    });
    expect([sg.requests[0].method, sg.requests[0].path, sg.requests[0].body]).toEqual([
      "POST",
      "/v3/whitelabel/domains/302183/validate",
      undefined,
    ]);
    expect(sg.receipts[0]).toMatchObject({
      operation: `POST ${SENDGRID_VALIDATE_PATH}`,
      responseIds: { domainId: "302183" },
    });
  });

  it("maps SendGrid's error body to a non-retryable ProviderError, and never re-sends a create after a 5xx", async () => {
    const refused = fakeSendGrid();
    refused.faults.push(() =>
      Response.json({ errors: [{ field: null, message: "authorization required" }] }, { status: 401 }),
    );
    const error = await failureOf(createSendGridApi(refused.ctx, { apiKey: KEY }).verify());
    expect(error).toMatchObject({ provider: "sendgrid", status: 401, retryable: false });
    expect(error.message).toContain("authorization required");
    expect(refused.receipts[0].error).toContain("authorization required");

    const broken = fakeSendGrid();
    broken.faults.push(null, () => new Response("upstream error", { status: 502 }));
    expect(
      await failureOf(createSendGridApi(broken.ctx, { apiKey: KEY }).ensureSenderDomain("example.com")),
    ).toMatchObject({ status: 502, ambiguous: true });
    expect(broken.requests.map((r) => r.method)).toEqual(["GET", "POST"]);
  });

  it("waits out a 429 until X-RateLimit-Reset, or hands a long wait back as retryAfterMs", async () => {
    const tooMany = (resetIn: number) => () =>
      Response.json(
        { errors: [{ field: null, message: "too many requests" }] },
        { status: 429, headers: { "X-RateLimit-Reset": String(Math.floor(Date.now() / 1000) + resetIn) } },
      );
    const short = fakeSendGrid();
    short.faults.push(tooMany(2));
    await createSendGridApi(short.ctx, { apiKey: KEY }).ensureSenderDomain("example.com");
    expect(short.sleeps).toHaveLength(1);
    expect(short.sleeps[0]).toBeGreaterThanOrEqual(1000);
    expect(short.sleeps[0]).toBeLessThanOrEqual(3000);
    expect(short.requests.map((r) => r.method)).toEqual(["GET", "GET", "POST"]);

    const long = fakeSendGrid();
    long.faults.push(null, tooMany(120));
    const error = await failureOf(createSendGridApi(long.ctx, { apiKey: KEY }).ensureSenderDomain("example.com"));
    expect(error).toMatchObject({ status: 429, retryable: true, ambiguous: false });
    expect(error.retryAfterMs).toBeGreaterThan(100_000);
  });

  it("refuses a bad key, domain, subdomain or id before sending anything", async () => {
    const sg = fakeSendGrid();
    expect(() => createSendGridApi(sg.ctx, { apiKey: "" })).toThrow(/apiKey/);
    expect(() => createSendGridApi(sg.ctx, { apiKey: "SG.a b" })).toThrow(/apiKey/);
    const api = createSendGridApi(sg.ctx, { apiKey: KEY });
    for (const bad of ["localhost", "exa mple.com", "-bad.example.com", "example.com/../x", ""]) {
      await expect(api.ensureSenderDomain(bad), bad).rejects.toThrow(/not a domain name/);
    }
    await expect(api.ensureSenderDomain("example.com", "em.mail")).rejects.toThrow(/one DNS label/);
    for (const id of [0, -1, 1.5, Number.NaN])
      await expect(api.validateDomain(id)).rejects.toThrow(/invalid SendGrid domain id/);
    expect(sg.requests).toEqual([]);
  });
});
