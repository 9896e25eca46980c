// A valid 100k-event audit chain for the benchmark, sealed by the Worker's own chain code (bundled on the
// fly with esbuild, so the bench never re-implements hashing), written as SQL for `wrangler d1 execute`.
import { writeFileSync } from "node:fs";
import { build } from "esbuild";

async function loadChain() {
  const out = await build({
    entryPoints: ["src/audit/chain.ts"],
    bundle: true,
    format: "esm",
    platform: "neutral",
    write: false,
    logLevel: "error",
  });
  const url = `data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString("base64")}`;
  return import(url);
}

const sql = (v) => (v === null || v === undefined ? "NULL" : `'${String(v).replaceAll("'", "''")}'`);

/** Writes `count` chained events of `chain` (starting at its genesis) to a SQL file; returns the file. */
export async function writeAuditEventsSql(
  file,
  { chain = "global", count = 100_000, start = Date.UTC(2026, 0, 1) } = {},
) {
  const { sealEvent } = await loadChain();
  const actions = ["step.succeeded", "run.created", "plan.created", "secret.set", "run.approved"];
  const lines = [];
  let head = null;
  let batch = [];
  for (let i = 0; i < count; i++) {
    const at = new Date(start + i * 1000).toISOString();
    const e = await sealEvent(
      chain,
      head,
      {
        actor: i % 7 ? "infra-chat" : "usr_bench",
        action: actions[i % actions.length],
        intent: "deploy",
        details: { i },
      },
      `aud_bench_${i}`,
      at,
    );
    head = { seq: e.seq, hash: e.hash };
    batch.push(
      `(${[e.id, e.chain, e.seq, e.at, e.actor, e.action, e.intent, null, null, null, null, JSON.stringify(e.details), e.prevHash, e.hash].map(sql).join(",")})`,
    );
    if (batch.length === 200 || i === count - 1) {
      lines.push(
        `INSERT INTO audit_events (id, chain, seq, at, actor, action, intent, plan_id, run_id, diff_summary, receipt_hash, details, prev_hash, hash) VALUES ${batch.join(",")};`,
      );
      batch = [];
    }
  }
  writeFileSync(file, lines.join("\n"));
  return { file, first: new Date(start).toISOString(), last: new Date(start + (count - 1) * 1000).toISOString() };
}
