/** The Invoice Perfect fixture as processes: shared by the fixture-app and control-plane tests. */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { fileURLToPath } from "node:url";

export const APP_DIR = fileURLToPath(new URL("../fixtures/invoice-perfect/", import.meta.url));

export type Child = ChildProcessWithoutNullStreams;

/** Runs a fixture script to completion: exit code and both outputs. */
export function runNode(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: APP_DIR, env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Starts server.js on a free port; resolves once it prints its `listening` line. */
export function startApp(env: Record<string, string>): Promise<{ child: Child; baseUrl: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["server.js"], { cwd: APP_DIR, env: { ...process.env, ...env, PORT: "0" } });
    let output = "";
    const timer = setTimeout(() => reject(new Error(`fixture app did not start:\n${output}`)), 15_000);
    const collect = (chunk: string) => {
      output += chunk;
      const port = /"event":"listening","port":(\d+)/.exec(output)?.[1];
      if (port) {
        clearTimeout(timer);
        resolve({ child, baseUrl: `http://127.0.0.1:${port}` });
      }
    };
    child.stdout.setEncoding("utf8").on("data", collect);
    child.stderr.setEncoding("utf8").on("data", collect);
    child.on("exit", (code) => reject(new Error(`fixture app exited with ${code}:\n${output}`)));
  });
}
