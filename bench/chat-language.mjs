// The chat language layer (src/chat/language/) bundled for Node, and its per-message latency: shared by
// the eval (bench/chat-eval.mjs) and the benchmark (bench/run.mjs).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";

/** Bundles the layer's entry (and since.ts for the scorer) into one ES module and imports it. */
export async function loadLanguageLayer() {
  const dir = mkdtempSync(join(tmpdir(), "chat-language-"));
  const entry = join(dir, "entry.ts");
  const out = join(dir, "language.mjs");
  const root = new URL("..", import.meta.url).pathname;
  const { writeFileSync } = await import("node:fs");
  writeFileSync(
    entry,
    [
      `export { understand, continueRequest } from ${JSON.stringify(join(root, "src/chat/language/understand.ts"))};`,
      `export { sinceInstant } from ${JSON.stringify(join(root, "src/chat/since.ts"))};`,
      `export { ACTING_KINDS } from ${JSON.stringify(join(root, "src/chat/language/draft.ts"))};`,
    ].join("\n"),
  );
  await build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "neutral",
    outfile: out,
    logLevel: "error",
  });
  const layer = await import(out);
  rmSync(dir, { recursive: true, force: true });
  return layer;
}

/** The corpus and its context (bench/chat-eval/). */
export function loadCorpus() {
  const dir = new URL("./chat-eval/", import.meta.url);
  const read = (name) =>
    readFileSync(new URL(name, dir), "utf8")
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line, i) => ({ ...JSON.parse(line), id: `${name.replace(".jsonl", "")}:${i + 1}` }));
  const context = JSON.parse(readFileSync(new URL("context.json", dir), "utf8"));
  delete context.about;
  return { context, tuned: read("tuned.jsonl"), heldBack: read("held-back.jsonl") };
}

/** p50 and p99 of one understand() call, over every message `rounds` times (after a warm-up round). */
export function measureLatency(understand, context, messages, rounds = 20) {
  for (const m of messages) understand(m, context);
  const samples = [];
  for (let r = 0; r < rounds; r++)
    for (const m of messages) {
      const t0 = performance.now();
      understand(m, context);
      samples.push(performance.now() - t0);
    }
  samples.sort((a, b) => a - b);
  const at = (q) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))];
  return { p50: at(0.5), p99: at(0.99), max: samples.at(-1), samples: samples.length };
}
