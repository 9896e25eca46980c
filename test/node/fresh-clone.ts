/**
 * A new user's first hour, reproduced: a copy of the repository as a clone would have it (tracked and
 * not-ignored files only: no .dev.vars, no .wrangler state), `npm start` run in it on a free port, and one
 * bash session in which shell commands run one after another, sharing variables as a terminal does.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

const ROOT = resolve(__dirname, "../..");

/** Copies the repository's files (as `git clone` would see them, plus uncommitted edits) into a new folder. */
export function freshClone(): string {
  const dir = mkdtempSync(join(tmpdir(), "infra-chat-clone-"));
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: ROOT,
    encoding: "utf8",
  })
    .split("\0")
    .filter(Boolean);
  for (const file of files) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    try {
      copyFileSync(join(ROOT, file), join(dir, file));
    } catch (e) {
      // A tracked file deleted in the working tree is not part of this checkout.
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
  }
  // `npm install` is the README's first command; its result is the same for every clone, so it is shared.
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  return dir;
}

/** A TCP port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer()
      .once("error", fail)
      .listen(0, "127.0.0.1", () => {
        const address = probe.address();
        probe.close(() => (typeof address === "object" && address ? done(address.port) : fail(new Error("no port"))));
      });
  });
}

export interface NpmStart {
  process: ChildProcess;
  /** Everything `npm start` printed so far (stdout and stderr, in order). */
  output(): string;
  stop(): Promise<void>;
}

/** Runs `npm start` in `dir` on `port` and resolves once it printed its token line. */
export async function npmStart(dir: string, port: number, timeoutMs = 180_000): Promise<NpmStart> {
  // Its own process group: stop() ends npm, node and wrangler's workerd together.
  const child = spawn("npm", ["start"], { cwd: dir, env: { ...process.env, PORT: String(port) }, detached: true });
  let text = "";
  child.stdout.on("data", (d) => {
    text += d;
  });
  child.stderr.on("data", (d) => {
    text += d;
  });
  const stop = async () => {
    if (child.exitCode !== null || child.pid === undefined) return;
    const gone = new Promise((r) => child.once("exit", r));
    process.kill(-child.pid, "SIGTERM");
    await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
    if (child.exitCode === null) process.kill(-child.pid, "SIGKILL");
  };
  const deadline = Date.now() + timeoutMs;
  while (!/^Token: \S+$/m.test(text)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`npm start did not come up:\n${text}\n${readLog(dir)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { process: child, output: () => text, stop };
}

function readLog(dir: string): string {
  try {
    return readFileSync(join(dir, ".wrangler/npm-start.log"), "utf8").slice(-4000);
  } catch {
    return "";
  }
}

export interface ShellResult {
  output: string;
  exitCode: number;
}

/** One bash session: each command runs in it after the previous one, stdout and stderr together. */
export function shellSession(cwd: string, env: NodeJS.ProcessEnv) {
  const bash = spawn("bash", ["--noprofile", "--norc"], { cwd, env });
  let buffer = "";
  bash.stdout.on("data", (d) => {
    buffer += d;
  });
  bash.stdin.write("exec 2>&1\n");
  let n = 0;
  return {
    async run(command: string, timeoutMs = 180_000): Promise<ShellResult> {
      const mark = `__readme_command_${++n}_done__`;
      // The mark on a line of its own, after a newline: a command's output need not end with one.
      bash.stdin.write(`${command}\nprintf '\\n${mark} %s\\n' "$?"\n`);
      const deadline = Date.now() + timeoutMs;
      const pattern = new RegExp(`\\n${mark} (\\d+)\\n`);
      for (;;) {
        const found = pattern.exec(buffer);
        if (found) {
          const output = buffer.slice(0, found.index);
          buffer = buffer.slice(found.index + found[0].length);
          return { output, exitCode: Number(found[1]) };
        }
        if (bash.exitCode !== null) throw new Error(`bash exited during: ${command}\n${buffer}`);
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${command}\n${buffer}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close() {
      bash.kill();
    },
  };
}

/** KEY=value lines of a .dev.vars file. */
export function readDevVars(dir: string): Record<string, string> {
  return Object.fromEntries(
    readFileSync(join(dir, ".dev.vars"), "utf8")
      .split("\n")
      .flatMap((line) => {
        const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
        return m ? [[m[1], m[2]]] : [];
      }),
  );
}

/** Writes KEY=value lines, as a developer would before `npm start` (which keeps what it finds). */
export function writeDevVars(dir: string, vars: Record<string, string>): void {
  writeFileSync(
    join(dir, ".dev.vars"),
    Object.entries(vars)
      .map(([k, v]) => `${k}=${v}\n`)
      .join(""),
  );
}

/** Removes the clone (never the repository itself). */
export function removeClone(dir: string): void {
  if (dir.startsWith(tmpdir())) rmSync(dir, { recursive: true, force: true });
}
