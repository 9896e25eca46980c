import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs build script, typed by what it returns
import { buildEdgeRouter } from "../../src/cli/build-edge-router.mjs";
import { EDGE_ROUTER_SCRIPT } from "../../src/edge-router/script";

/** The router as Infra Chat uploads it: one self-contained ES module (esbuild is what wrangler bundles with). */
const bundle = (minify: boolean): Promise<string> => buildEdgeRouter(minify);

describe("edge router script", () => {
  it("builds to one self-contained module under 10 KiB (uploaded minified; readable under 12 KiB)", async () => {
    const [uploaded, readable] = await Promise.all([bundle(true), bundle(false)]);
    const kib = (s: string) => new TextEncoder().encode(s).length / 1024;
    expect(kib(uploaded)).toBeLessThan(10);
    expect(kib(readable)).toBeLessThan(12);
    // Nothing left to resolve at upload time, and nothing from the control plane's dependencies.
    expect(readable).not.toMatch(/^import /m);
    expect(readable).not.toContain("zod");
    expect(readable).toMatch(/export\s*\{[^}]*default/);
  });

  it("is checked in as what it builds to (run `npm run edge-router` after changing src/edge-router/)", async () => {
    expect(EDGE_ROUTER_SCRIPT).toBe(await bundle(true));
  });
});
