/**
 * The wire requests issue 14 adds (auto-deploy, repo connections, token kinds, custom domains, zone SSL
 * mode, Twilio status callbacks), checked against the providers' official schemas before any adapter sends them: each
 * Railway document validates against Railway's SDL and against the sandbox's served subset (so the
 * sandbox answers exactly these), each Cloudflare body and the sandbox's answer shape against Cloudflare's
 * OpenAPI, and a Messages create carrying StatusCallback against Twilio's. These are the documents and
 * bodies the sandbox's workers tests send; the product's adapters can take them from here.
 */
import { readFileSync } from "node:fs";
import Ajv, { type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { buildSchema, getVariableValues, Kind, parse, validate, type OperationDefinitionNode } from "graphql";
import { describe, expect, it } from "vitest";
import { RAILWAY_SDL } from "../../src/sandbox/railway/schema";

const here = import.meta.url;
const fixture = (name: string) => readFileSync(new URL(`../fixtures/providers/${name}`, here), "utf8");

// Railway's own SDL trips a graphql 17 rule unrelated to operations (see railway-documents.test.ts).
const official = buildSchema(fixture("railway.schema.graphql"), { assumeValid: true });
const served = buildSchema(RAILWAY_SDL);

/** Documents (railway.md "Added for the second round") with the variables the product will send. */
const RAILWAY: { name: string; query: string; variables: Record<string, unknown> }[] = [
  {
    name: "ServiceInstanceAutoDeployUpdate",
    query: `mutation ServiceInstanceAutoDeployUpdate($input: ServiceInstanceAutoDeployUpdateInput!) {
  serviceInstanceAutoDeployUpdate(input: $input) { enabled }
}`,
    variables: { input: { enabled: false, projectId: "p", environmentId: "e", serviceId: "s" } },
  },
  {
    name: "ServiceInstanceAutoDeployStatus",
    query: `query ServiceInstanceAutoDeployStatus($projectId: String!, $environmentId: String!, $serviceId: String!) {
  serviceInstanceAutoDeployStatus(projectId: $projectId, environmentId: $environmentId, serviceId: $serviceId) { enabled canEnable reason }
}`,
    variables: { projectId: "p", environmentId: "e", serviceId: "s" },
  },
  {
    name: "ServiceConnect",
    query: `mutation ServiceConnect($id: String!, $input: ServiceConnectInput!) { serviceConnect(id: $id, input: $input) { id } }`,
    variables: { id: "s", input: { repo: "invoice-perfect/api", branch: "main" } },
  },
  {
    name: "ProjectToken",
    query: `query ProjectToken { projectToken { projectId environmentId } }`,
    variables: {},
  },
  {
    name: "CustomDomainCreate",
    query: `mutation CustomDomainCreate($input: CustomDomainCreateInput!) {
  customDomainCreate(input: $input) {
    id domain syncStatus
    status { verified verificationDnsHost verificationToken certificateStatus dnsRecords { recordType hostlabel fqdn requiredValue currentValue status purpose } }
  }
}`,
    variables: {
      input: { projectId: "p", environmentId: "e", serviceId: "s", domain: "api.example.com", targetPort: 3000 },
    },
  },
  {
    name: "CustomDomain",
    query: `query CustomDomain($id: String!, $projectId: String!) {
  customDomain(id: $id, projectId: $projectId) { status { verified certificateStatus cdnProvider dnsRecords { status currentValue } } }
}`,
    variables: { id: "d", projectId: "p" },
  },
  {
    name: "CustomDomainAvailable",
    query: `query CustomDomainAvailable($domain: String!) { customDomainAvailable(domain: $domain) { available message } }`,
    variables: { domain: "api.example.com" },
  },
  {
    name: "CustomDomainDelete",
    query: `mutation CustomDomainDelete($id: String!) { customDomainDelete(id: $id) }`,
    variables: { id: "d" },
  },
  {
    name: "ProjectCreate",
    query: `mutation ProjectCreate($input: ProjectCreateInput!) { projectCreate(input: $input) { id name } }`,
    variables: { input: { name: "Invoice Perfect", workspaceId: "ws" } },
  },
];

function operationOf(query: string): OperationDefinitionNode {
  const operation = parse(query).definitions.find((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (!operation) throw new Error("no operation");
  return operation as OperationDefinitionNode;
}

describe("Railway documents", () => {
  it.each(RAILWAY.map((d) => [d.name, d] as const))(
    "%s validates against Railway's schema and the sandbox's",
    (_n, d) => {
      for (const schema of [official, served]) {
        expect(validate(schema, parse(d.query)).map((e) => e.message)).toEqual([]);
        const coerced = getVariableValues(schema, operationOf(d.query).variableDefinitions ?? [], d.variables);
        expect("errors" in coerced ? coerced.errors?.map((e) => e.message) : []).toEqual([]);
      }
    },
  );
});

function ajvFor(spec: object, id: string, vendorFormats: string[] = []) {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  for (const format of vendorFormats) ajv.addFormat(format, true);
  ajv.addSchema(spec, id);
  return (...segments: string[]): ValidateFunction => {
    const pointer = segments.map((s) => encodeURIComponent(s.replace(/~/g, "~0").replace(/\//g, "~1"))).join("/");
    const validator = ajv.getSchema(`${id}#/${pointer}`);
    if (!validator) throw new Error(`no schema at ${pointer}`);
    return validator;
  };
}

describe("Cloudflare zone SSL setting", () => {
  const at = ajvFor(JSON.parse(fixture("cloudflare.openapi.json")), "cloudflare");
  const PATH = "/zones/{zone_id}/settings/{setting_id}";

  it("accepts the PATCH body {value} for every mode and refuses another value", () => {
    const body = at("paths", PATH, "patch", "requestBody", "content", "application/json", "schema");
    for (const value of ["off", "flexible", "full", "strict"]) expect(body({ value }), value).toBe(true);
    expect(body({ id: "ssl", value: "loose" })).toBe(false);
  });

  it("describes the sandbox's answer (sandbox-cloudflare-limits.test.ts) as a zone setting", () => {
    const ok = at("paths", PATH, "get", "responses", "200", "content", "application/json", "schema");
    const answer = {
      success: true,
      errors: [],
      messages: [],
      result: { id: "ssl", value: "strict", editable: true, modified_on: "2026-12-01T00:00:00.000Z" },
    };
    expect(ok(answer), JSON.stringify(ok.errors)).toBe(true);
    const failure = at("paths", PATH, "patch", "responses", "4XX", "content", "application/json", "schema");
    expect(
      failure({
        success: false,
        errors: [{ code: 1007, message: "Invalid value for zone setting ssl" }],
        messages: [],
        result: null,
      }),
    ).toBe(true);
  });

  it("describes the entitlement refusals as Cloudflare failures", () => {
    // The operation's own 4XX schema is allOf(success response, failure), which nothing satisfies (a defect
    // of the 2024 file like those in cloudflare.md "Schema caveats"); the failure envelope is checked alone.
    const failure = at("components", "schemas", "load-balancing_api-response-common-failure");
    for (const error of [
      { code: 1002, message: "load balancing not enabled for zone: validation failed" },
      { code: 10000, message: "Authentication error" },
    ])
      expect(
        failure({ success: false, errors: [error], messages: [], result: null }),
        JSON.stringify(failure.errors),
      ).toBe(true);
  });
});

describe("Twilio StatusCallback", () => {
  const at = ajvFor(JSON.parse(fixture("twilio.openapi.json")), "twilio", [
    "phone-number",
    "date-time-rfc-2822",
    "currency",
    "uri-map",
  ]);

  it("is a field of the Messages create form", () => {
    const body = at(
      "paths",
      "/2010-04-01/Accounts/{AccountSid}/Messages.json",
      "post",
      "requestBody",
      "content",
      "application/x-www-form-urlencoded",
      "schema",
    );
    const form = {
      To: "+15550001001",
      From: "+15550009999",
      Body: "canary rolled back",
      StatusCallback: "https://infra-chat.example/webhooks/twilio/status",
    };
    expect(body(form), JSON.stringify(body.errors)).toBe(true);
    expect(body({ ...form, StatusCallback: 42 })).toBe(false);
  });
});
