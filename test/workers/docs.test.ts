/**
 * docs/ written from the code stays true to it: docs/reference.md is exactly what `npm run docs` generates from
 * the OpenAPI document (API_ROUTES) and the chat grammar (the Intent schema, with sentences the phrasing table
 * proves), and docs/sandbox.md names every sandbox route the Worker mounts.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import sandboxPage from "../../docs/sandbox.md?raw";
import { type JsonSchema, type OpenApiDocument, renderReference } from "../../src/cli/reference-doc";
import { Intent } from "../../src/domain/intent";
import { openApiDocument } from "../../src/http/openapi";
import { sandboxRoutes } from "../../src/http/sandbox";
import { PHRASINGS } from "./chat-phrasings.table";

describe("docs/", () => {
  it("docs/reference.md is what `npm run docs` generates from the OpenAPI document and the chat grammar", async () => {
    const page = renderReference({
      openapi: openApiDocument() as OpenApiDocument,
      intents: z.toJSONSchema(Intent, { io: "input", unrepresentable: "any" }) as JsonSchema,
      phrasings: PHRASINGS.map((p) => ({ text: p.text, kinds: p.intents.map((i) => i.kind) })),
    });
    // Stale? `npm run docs` rewrites it; commit the page with the change that made it stale.
    await expect(page).toMatchFileSnapshot("../../docs/reference.md");
  });

  it("the reference lists every API route and every intent", () => {
    const page = renderReference({
      openapi: openApiDocument() as OpenApiDocument,
      intents: z.toJSONSchema(Intent, { io: "input", unrepresentable: "any" }) as JsonSchema,
      phrasings: [],
    });
    const doc = openApiDocument() as OpenApiDocument;
    for (const [path, methods] of Object.entries(doc.paths))
      for (const method of Object.keys(methods)) expect(page).toContain(`| \`${method.toUpperCase()} ${path}\` |`);
    for (const kind of ["deploy", "backfill", "approve", "component", "unknown"])
      expect(page).toContain(`| \`${kind}\` |`);
  });

  it("docs/sandbox.md names every sandbox route the Worker mounts", () => {
    // "ALL" is the middleware that answers 404 while the sandbox is off, not a route.
    const mounted = sandboxRoutes.routes.filter((r) => r.method !== "ALL").map((r) => `${r.method} /sandbox${r.path}`);
    expect(mounted.length).toBeGreaterThan(5);
    expect(mounted.filter((route) => !sandboxPage.includes(`\`${route}\``))).toEqual([]);
  });
});
