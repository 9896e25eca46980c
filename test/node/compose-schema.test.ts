/**
 * Proves the generated `compose.yaml` is a valid Compose file (the Compose Specification's own JSON
 * schema, draft-07, validated with Ajv), with and without Redis, and that the in-house YAML emitter's
 * output reads back as exactly the value it was given, tricky strings included.
 */
import Ajv from "ajv";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { invoicePerfectSpec } from "../../src/domain/template";
import { bootstrapFiles } from "../../src/local/bootstrap";
import { toYaml, type YamlValue } from "../../src/local/yaml";
import schemaJson from "../fixtures/schemas/compose-spec.json";

const schema: Record<string, unknown> = schemaJson;

// The schema declares draft-07 as "https://json-schema.org/draft-07/schema", a spelling Ajv's
// built-in draft-07 meta-schema (http://…#) does not answer to; the draft is the same.
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
const validateCompose = ajv.compile({ ...schema, $schema: "http://json-schema.org/draft-07/schema#" });

function composeOf(
  local = invoicePerfectSpec("local"),
  reference = invoicePerfectSpec("staging"),
): Record<string, unknown> {
  const files = bootstrapFiles({
    projectSlug: "invoice-perfect",
    projectName: "Invoice Perfect",
    local,
    reference,
    secretRef: (n) => `secretref://invoice-perfect/local/${n}`,
  });
  const content = files.find((f) => f.path === "compose.yaml")?.content;
  if (!content) throw new Error("compose.yaml was not generated");
  return parse(content) as Record<string, unknown>;
}

function services(compose: Record<string, unknown>): Record<string, Record<string, unknown>> {
  return compose.services as Record<string, Record<string, unknown>>;
}

describe("compose.yaml against the Compose Specification schema", () => {
  it("uses the schema's own draft (07) and rejects a broken compose file", () => {
    expect(schema.$schema).toBe("https://json-schema.org/draft-07/schema");
    // A dependency without `condition` and a non-list ports value: the validator must say no.
    const broken = { services: { api: { image: "x", ports: "3000", depends_on: { db: {} } } } };
    expect(validateCompose(broken)).toBe(false);
  });

  it("validates for Invoice Perfect with zero errors", () => {
    const compose = composeOf();
    expect(validateCompose(compose), ajv.errorsText(validateCompose.errors)).toBe(true);
  });

  it("runs every component, the mail sink, the app services and the tunnel connector", () => {
    const s = services(composeOf());
    expect(Object.keys(s).sort()).toEqual([
      "api",
      "cloudflared",
      "cron",
      "mailpit",
      "minio",
      "minio-init",
      "postgres",
      "web",
    ]);
    expect(s.postgres.image).toBe("postgres:16");
    expect(s.postgres.healthcheck).toMatchObject({ test: ["CMD-SHELL", "pg_isready -U postgres -d invoice_perfect"] });
    expect(s.postgres.volumes).toEqual(["postgres-data:/var/lib/postgresql/data"]);
    expect(s.mailpit.image).toBe("axllent/mailpit:latest");
    expect(s["minio-init"].depends_on).toEqual({ minio: { condition: "service_healthy" } });
    expect(s.api).toMatchObject({ env_file: [".env.local"], ports: ["3000:3000"], environment: { PORT: "3000" } });
    expect(s.api.depends_on).toMatchObject({
      postgres: { condition: "service_healthy" },
      minio: { condition: "service_healthy" },
      "minio-init": { condition: "service_completed_successfully" },
    });
    expect(s.cron.profiles).toEqual(["cron"]);
    expect(s.cloudflared).toMatchObject({
      profiles: ["tunnel"],
      environment: { TUNNEL_TOKEN: "${CLOUDFLARE_TUNNEL_TOKEN:-}" },
    });
  });

  it("adds Redis when staging enables it, and the result still validates", () => {
    const reference = invoicePerfectSpec("staging");
    reference.components.cache = { type: "redis", size: "small" };
    reference.services.api.env.REDIS_URL = { component: "cache", output: "REDIS_URL" };
    const compose = composeOf(invoicePerfectSpec("local"), reference);
    expect(validateCompose(compose), ajv.errorsText(validateCompose.errors)).toBe(true);
    const s = services(compose);
    expect(s.redis).toMatchObject({ image: "redis:7", healthcheck: { test: ["CMD", "redis-cli", "ping"] } });
    expect(s.api.depends_on).toMatchObject({ redis: { condition: "service_healthy" } });
  });

  it("builds Dockerfile services from ../<repo> and validates", () => {
    const local = invoicePerfectSpec("local");
    local.services.api.build = "dockerfile";
    local.services.api.source.path = "server";
    const compose = composeOf(local);
    expect(validateCompose(compose), ajv.errorsText(validateCompose.errors)).toBe(true);
    expect(services(compose).api.build).toEqual({ context: "../api/server" });
  });
});

describe("YAML emitter", () => {
  const tricky = [
    "a: b",
    "a:b",
    "trailing:",
    "#comment",
    "a #b",
    "*alias",
    "&anchor",
    "!tag",
    "%directive",
    "@at",
    "`tick",
    "yes",
    "no",
    "Yes",
    "NO",
    "on",
    "off",
    "y",
    "n",
    "true",
    "False",
    "null",
    "Null",
    "~",
    "123",
    "0x1F",
    "0o17",
    "1e3",
    "-1",
    "+1",
    ".5",
    ".inf",
    "-.inf",
    ".nan",
    "1:30",
    "2026-11-01",
    "3000:3000",
    "",
    " leading",
    "trailing ",
    "line one\nline two",
    "\ttab",
    "'single'",
    '"double"',
    "back\\slash",
    "- dash",
    "-dash",
    "? key",
    "[flow]",
    "{flow}",
    "a, b",
    "a,b",
    "| block",
    "> folded",
    "é ✓ 日本",
    "\u0085next-line",
    "\u2028ls",
    "\u007fdel",
    "\u0000nul",
    "${VAR:-default}",
    "http://api:3000/x?y=1#z",
  ];

  it("reads back every tricky string exactly, as a value and as a key", () => {
    const doc: YamlValue = {
      values: tricky,
      keyed: Object.fromEntries(tricky.map((s, i) => [s, i])),
    };
    const out = toYaml(doc);
    expect(parse(out)).toEqual(doc);
    // YAML 1.1 readers resolve yes/no/on/off and sexagesimals; quoting must hold there too.
    expect(parse(out, { version: "1.1" })).toEqual(doc);
  });

  it("reads back nested lists, maps, empties, numbers and booleans", () => {
    const doc: YamlValue = {
      list: [[1, 2], [], {}, { a: [{ b: "c" }], d: {} }, true, false, 0, -2.5],
      empty: {},
      none: [],
      deep: { x: { y: { z: ["w"] } } },
    };
    expect(parse(toYaml(doc))).toEqual(doc);
  });

  it("writes header comments and a top-level scalar or empty document", () => {
    expect(toYaml({ a: "b" }, { header: ["why", ""] })).toBe("# why\n#\na: b\n");
    expect(parse(toYaml("yes"))).toBe("yes");
    expect(parse(toYaml([]))).toEqual([]);
  });

  it("rejects non-finite numbers", () => {
    expect(() => toYaml({ n: Number.NaN })).toThrow(/finite/);
  });
});
