/**
 * Proves "bootstrap local" inside workerd: the generated files for Invoice Perfect, `.env.local`
 * carrying staging's variable names (plus what a local component binds) with placeholders for secrets, the tunnel's ingress
 * order, and a tar.gz that round-trips through DecompressionStream with valid ustar checksums.
 */
import { describe, expect, it } from "vitest";
import type { EnvironmentSpec } from "../../src/domain/spec";
import { invoicePerfectSpec } from "../../src/domain/template";
import { tarGz, type ArchiveFile } from "../../src/local/archive";
import { bootstrapFiles, bootstrapRoot, type BootstrapInput } from "../../src/local/bootstrap";

const SLUG = "invoice-perfect";
const secretRef = (name: string) => `secretref://${SLUG}/local/${name}`;

function input(overrides: Partial<BootstrapInput> = {}): BootstrapInput {
  return {
    projectSlug: SLUG,
    projectName: "Invoice Perfect",
    local: invoicePerfectSpec("local"),
    reference: invoicePerfectSpec("staging"),
    secretRef,
    ...overrides,
  };
}

function fileOf(files: ArchiveFile[], path: string): string {
  const file = files.find((f) => f.path === path);
  if (!file) throw new Error(`${path} was not generated`);
  return file.content;
}

/** `NAME=value` pairs of a dotenv file, comments and blank lines skipped. */
function parseEnv(content: string): Map<string, string> {
  const lines = content.split("\n").filter((l) => l && !l.startsWith("#"));
  return new Map(lines.map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
}

function variableNames(spec: EnvironmentSpec): string[] {
  return [...new Set(Object.values(spec.services).flatMap((s) => Object.keys(s.env)))].sort();
}

function secretNames(spec: EnvironmentSpec): Map<string, string> {
  const entries = Object.values(spec.services).flatMap((s) =>
    Object.entries(s.env).flatMap(([name, v]) => ("secret" in v ? [[name, v.secret] as const] : [])),
  );
  return new Map(entries);
}

interface TarEntry {
  path: string;
  mode: number;
  size: number;
  content: string;
  checksumValid: boolean;
  magic: string;
}

/** A minimal ustar reader, independent of the writer: headers, octal fields, checksum, padding. */
function readTar(bytes: Uint8Array): TarEntry[] {
  const decoder = new TextDecoder();
  const str = (o: number, n: number) => decoder.decode(bytes.subarray(o, o + n)).replace(/\0.*$/s, "");
  const entries: TarEntry[] = [];
  let offset = 0;
  while (offset + 512 <= bytes.length) {
    const header = bytes.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const octal = (o: number, n: number) => parseInt(str(offset + o, n).trim(), 8);
    const size = octal(124, 12);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i];
    const prefix = str(offset + 345, 155);
    const name = str(offset + 0, 100);
    entries.push({
      path: prefix ? `${prefix}/${name}` : name,
      mode: octal(100, 8),
      size,
      content: decoder.decode(bytes.subarray(offset + 512, offset + 512 + size)),
      checksumValid: octal(148, 8) === sum,
      magic: str(offset + 257, 6),
    });
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return entries;
}

async function gunzip(data: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([data]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

describe("bootstrap local files", () => {
  it("generates compose, .env.local, tunnel config, seed scripts, README and manifest", () => {
    const paths = bootstrapFiles(input())
      .map((f) => f.path)
      .sort();
    expect(paths).toEqual([
      ".env.local",
      "README.md",
      "cloudflared/config.yml",
      "compose.yaml",
      "infra-chat.json",
      "seed/README.md",
      "seed/seed.sh",
    ]);
  });

  it("gives .env.local exactly staging's variable names, no more and no fewer", () => {
    const env = parseEnv(fileOf(bootstrapFiles(input()), ".env.local"));
    expect([...env.keys()].sort()).toEqual(variableNames(invoicePerfectSpec("staging")));
  });

  it("never adds a name staging lacks, even when the local spec has extra variables", () => {
    const local = invoicePerfectSpec("local");
    local.services.api.env.LOCAL_ONLY_FLAG = { value: "1" };
    local.services.web.env.SMTP_HOST = { value: "smtp.sendgrid.net" };
    const env = parseEnv(fileOf(bootstrapFiles(input({ local })), ".env.local"));
    expect([...env.keys()].sort()).toEqual(variableNames(invoicePerfectSpec("staging")));
  });

  it("adds the variable a component binds once the local stack runs it: REDIS_URL for api, which depends on Redis", () => {
    const local = invoicePerfectSpec("local");
    local.components.redis = { type: "redis", size: "small" };
    const files = bootstrapFiles(input({ local }));
    const env = parseEnv(fileOf(files, ".env.local"));
    expect([...env.keys()].sort()).toEqual([...variableNames(invoicePerfectSpec("staging")), "REDIS_URL"].sort());
    expect(env.get("REDIS_URL")).toBe("redis://redis:6379");
    expect(fileOf(files, "compose.yaml")).toMatch(/^ {2}redis:\n {4}image: "?redis:7"?$/m);
  });

  it("writes secretref placeholders for secret-backed names and Stripe test-mode placeholders", () => {
    const content = fileOf(bootstrapFiles(input()), ".env.local");
    const env = parseEnv(content);
    for (const [name, secret] of secretNames(invoicePerfectSpec("staging"))) {
      if (name.startsWith("STRIPE_")) expect(env.get(name)).toMatch(/^(sk|pk|rk)_test_|^whsec_/);
      else expect(env.get(name)).toBe(`secretref://${SLUG}/local/${secret}`);
    }
    expect(content).toMatch(/# Stripe test mode.*\nSTRIPE_SECRET_KEY=sk_test_/);
    expect(content).toMatch(/# SendGrid goes to the sink.*mailpit:1025.*\nSENDGRID_API_KEY=/);
    expect(content).not.toMatch(/sk_live_|pk_live_/);
  });

  it("points component outputs at the compose services and sets NODE_ENV=development", () => {
    const env = parseEnv(fileOf(bootstrapFiles(input()), ".env.local"));
    expect(env.get("DATABASE_URL")).toBe("postgresql://postgres:postgres@postgres:5432/invoice_perfect");
    expect(env.get("NODE_ENV")).toBe("development");
  });

  it("maps staging's SMTP names to the mail sink and its public URLs to localhost", () => {
    const reference = invoicePerfectSpec("staging");
    reference.services.api.env.SMTP_HOST = { value: "smtp.sendgrid.net" };
    reference.services.api.env.SMTP_PORT = { value: "587" };
    reference.services.web.env.API_URL = { value: "https://api.staging.invoiceperfect.com/v1" };
    const env = parseEnv(fileOf(bootstrapFiles(input({ reference })), ".env.local"));
    expect(env.get("SMTP_HOST")).toBe("mailpit");
    expect(env.get("SMTP_PORT")).toBe("1025");
    expect(env.get("API_URL")).toBe("http://localhost:3000/v1");
  });

  it("cannot leak a secret value: the generator is only ever given secret names", () => {
    const files = bootstrapFiles(input());
    const seen: string[] = [];
    bootstrapFiles(
      input({
        secretRef: (name) => {
          seen.push(name);
          return secretRef(name);
        },
      }),
    );
    // Stripe is replaced by a test placeholder before any reference is asked for.
    expect(seen).toEqual(["SENDGRID_API_KEY"]);
    expect(files.map((f) => f.content).join("\n")).not.toMatch(/SG\.[\w-]{10,}|sk_live|whsec_[A-Za-z0-9]{20,}/);
  });

  it("routes both webhook paths to the api and ends the tunnel ingress with a hostname-less catch-all", () => {
    const files = bootstrapFiles(input({ devHostname: "dev.invoiceperfect.test" }));
    const manifest = JSON.parse(fileOf(files, "infra-chat.json")) as {
      tunnel: { ingress: { hostname?: string; path?: string; service: string }[] };
    };
    const ingress = manifest.tunnel.ingress;
    expect(ingress.at(-1)).toEqual({ service: "http_status:404" });
    expect(ingress.slice(0, -1)).toEqual([
      { hostname: "dev.invoiceperfect.test", path: "^/webhooks/stripe(/.*)?$", service: "http://api:3000" },
      { hostname: "dev.invoiceperfect.test", path: "^/webhooks/twilio(/.*)?$", service: "http://api:3000" },
    ]);
    const paths = ingress.slice(0, -1).map((r) => new RegExp(r.path ?? ""));
    expect(paths.some((re) => re.test("/webhooks/stripe"))).toBe(true);
    expect(paths.some((re) => re.test("/webhooks/twilio/sms"))).toBe(true);
    expect(paths.some((re) => re.test("/admin"))).toBe(false);
    const config = fileOf(files, "cloudflared/config.yml");
    expect(config.trimEnd().split("\n").at(-1)).toBe("  - service: http_status:404");
  });

  it("makes the seed script executable and runs migrations inside the api container", () => {
    const files = bootstrapFiles(input());
    expect(files.find((f) => f.path === "seed/seed.sh")?.mode).toBe(0o755);
    const seed = fileOf(files, "seed/seed.sh");
    expect(seed).toContain("docker compose run --rm minio-init");
    expect(seed).toContain("docker compose run --rm --no-deps api sh -c 'npx sequelize-cli db:migrate'");
    expect(seed).toContain("db:seed:all");
  });

  it("puts the download one-liner and the health table in the README", () => {
    const readme = fileOf(bootstrapFiles(input({ publicUrl: "https://chat.example.com/" })), "README.md");
    expect(readme).toContain(`"https://chat.example.com/api/envs/${SLUG}:local/bootstrap" | tar -xzf -`);
    expect(readme).toContain("docker compose up -d");
    expect(readme).toContain("| api | http://localhost:3000/health |");
    expect(readme).toContain("| mail sink (Mailpit inbox) | http://localhost:8025 |");
  });

  it("rejects a slug that could inject into the shell script", () => {
    expect(() => bootstrapFiles(input({ projectSlug: "x; rm -rf ~" }))).toThrow(/slug/);
  });
});

describe("bootstrap archive", () => {
  it("round-trips through gunzip and a ustar reader: same paths, contents and modes, valid checksums", async () => {
    const files = bootstrapFiles(input());
    const gz = await tarGz(files, { root: bootstrapRoot(SLUG), mtime: new Date("2026-11-01T00:00:00Z") });
    expect([gz[0], gz[1]]).toEqual([0x1f, 0x8b]);
    const raw = await gunzip(gz);
    expect(raw.length % 512).toBe(0);
    expect(raw.subarray(raw.length - 1024).every((b) => b === 0)).toBe(true);
    const entries = readTar(raw);
    expect(entries.map((e) => e.path)).toEqual(files.map((f) => `${SLUG}-local/${f.path}`));
    for (const [i, e] of entries.entries()) {
      expect(e.checksumValid, e.path).toBe(true);
      expect(e.magic).toBe("ustar");
      expect(e.content).toBe(files[i].content);
      expect(e.mode).toBe(files[i].mode ?? 0o644);
    }
  });

  it("splits paths longer than 100 bytes into the ustar prefix field", async () => {
    const long = `${"a".repeat(60)}/${"b".repeat(60)}/file.txt`;
    const entries = readTar(await gunzip(await tarGz([{ path: long, content: "é multi-byte ✓" }], { root: "r" })));
    expect(entries).toHaveLength(1);
    expect(entries[0].path).toBe(`r/${long}`);
    expect(entries[0].content).toBe("é multi-byte ✓");
    expect(entries[0].checksumValid).toBe(true);
  });

  it("refuses paths that would escape the archive root", async () => {
    await expect(tarGz([{ path: "../evil", content: "" }], { root: "r" })).rejects.toThrow(/plain relative path/);
  });
});
