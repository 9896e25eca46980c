// `npx infra-chat audit export --env production [--out file.json]`: writes one audit chain with its
// checkpoint and hourly digests (GET /api/audit/export) to a file that src/cli/verify-audit.mjs verifies
// offline. `npx infra-chat audit verify [--env production]` asks the control plane to verify instead.
import { createWriteStream } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

const USAGE =
  "usage: infra-chat audit export --env <env|global> [--out <file>]\n       infra-chat audit verify [--env <env|global>]";

/** Runs `audit <export|verify>`; returns the process exit code (0 done/intact, 1 tampered, 2 failed). */
export async function auditCommand(argv, { base, token }) {
  const [verb, ...rest] = argv;
  const option = (name) => {
    const i = rest.indexOf(name);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  const env = option("--env");
  if ((verb !== "export" && verb !== "verify") || (verb === "export" && !env)) {
    console.error(USAGE);
    return 2;
  }
  const query = env ? `?env=${encodeURIComponent(env)}` : "";
  const res = await fetch(`${base}/api/audit/${verb}${query}`, { headers: { authorization: `Bearer ${token}` } }).catch(
    (e) => {
      console.error(`cannot reach ${base}: ${e.cause?.code ?? e.message}`);
      return null;
    },
  );
  if (!res) return 2;
  if (!res.ok) {
    const body = await res.json().catch(() => null);
    console.error(`error ${res.status}: ${body?.error?.message ?? "unexpected answer"}`);
    return 2;
  }
  if (verb === "verify") {
    const verdict = await res.json();
    const cp = verdict.checkpoint;
    console.log(
      verdict.ok
        ? `OK: ${verdict.events} events intact${cp ? `; last checkpoint: chain ${cp.chain} at event ${cp.seq} (${cp.at})` : ""}`
        : `TAMPERED: ${verdict.reason}`,
    );
    return verdict.ok ? 0 : 1;
  }
  const out =
    option("--out") ?? `audit-${env.replace(/[^A-Za-z0-9_.-]/g, "_")}-${new Date().toISOString().slice(0, 10)}.json`;
  await pipeline(Readable.fromWeb(res.body), createWriteStream(out, { mode: 0o600 }));
  console.log(
    `wrote ${out}\nverify it offline: AUDIT_KEY=<the Worker's AUDIT_KEY> node src/cli/verify-audit.mjs ${out}`,
  );
  return 0;
}
