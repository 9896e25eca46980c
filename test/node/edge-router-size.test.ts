import { build } from "esbuild";
import { describe, expect, it } from "vitest";

/** The router as Infra Chat uploads it: one self-contained ES module (esbuild is what wrangler bundles with). */
async function bundle(minify: boolean): Promise<string> {
  const result = await build({
    entryPoints: ["src/edge-router/index.ts"],
    bundle: true,
    format: "esm",
    target: "es2022",
    platform: "browser",
    minify,
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0].text;
}

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
});
