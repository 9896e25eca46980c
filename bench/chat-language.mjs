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

/**
 * The cost of reading a message: each message is read `rounds` times (after a warm-up round) and its
 * median taken, so a preemption by another process on a shared machine counts as noise, not as the layer's
 * cost; p50/p99/max are over messages. `calls` keeps the raw distribution of every call for comparison.
 */
export function measureLatency(understand, context, messages, rounds = 21) {
  for (const m of messages) understand(m, context);
  const perCall = [];
  const perMessage = messages.map((m) => {
    const times = [];
    for (let r = 0; r < rounds; r++) {
      const t0 = performance.now();
      understand(m, context);
      times.push(performance.now() - t0);
    }
    perCall.push(...times);
    return times.sort((a, b) => a - b)[Math.floor(rounds / 2)];
  });
  return { ...quantiles(perMessage), messages: messages.length, calls: quantiles(perCall) };
}

function quantiles(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5), p99: at(0.99), max: sorted.at(-1) };
}
