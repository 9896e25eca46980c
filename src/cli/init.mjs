// npx infra-chat init --url https://infra-chat.example.com: creates the first admin of a fresh deployment
// (POST /api/bootstrap) and prints its token once. The bootstrap secret is the one `npm run deploy` printed.
//   --url <url>        the deployment (else INFRA_CHAT_URL)
//   --name <name>      the admin's name (asked on a terminal; else $USER)
//   --phone <E.164>    optional: where alerts and approval codes are texted
//   --secret <secret>  the bootstrap secret (else INFRA_CHAT_BOOTSTRAP_SECRET, else asked on a terminal)
// Exit codes: 0 created, 2 refused or unreachable (the reason is printed; nothing is retried).
import { createInterface } from "node:readline/promises";

const FLAGS = ["--url", "--name", "--phone", "--secret"];

/** Runs `infra-chat init` with its arguments; resolves to the process exit code. */
export async function init(argv) {
  const flag = (name) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  // Every argument is a known flag followed by its value.
  const wellFormed = argv.every((a, i) => i % 2 === 1 || (FLAGS.includes(a) && argv[i + 1] !== undefined));
  if (!wellFormed) {
    console.error("usage: infra-chat init --url <https://…> [--name <name>] [--phone <+1555…>] [--secret <secret>]");
    return 2;
  }
  const url = (flag("--url") || process.env.INFRA_CHAT_URL || "").replace(/\/$/, "");
  if (!url) {
    console.error("infra-chat init: --url is required (the URL npm run deploy printed)");
    return 2;
  }
  const prompt = process.stdin.isTTY ? createInterface({ input: process.stdin, output: process.stdout }) : null;
  const ask = async (question) => (prompt ? (await prompt.question(question)).trim() : "");
  const secret = flag("--secret") || process.env.INFRA_CHAT_BOOTSTRAP_SECRET || (await ask("Bootstrap secret: "));
  const name =
    flag("--name") || (await ask(`Your name [${process.env.USER ?? "admin"}]: `)) || process.env.USER || "admin";
  const phone = flag("--phone") || (await ask("Your phone for alerts, E.164 (empty to skip): ")) || undefined;
  prompt?.close();
  if (!secret) {
    console.error("infra-chat init: the bootstrap secret is required (--secret or INFRA_CHAT_BOOTSTRAP_SECRET)");
    return 2;
  }
  let res;
  try {
    res = await fetch(`${url}/api/bootstrap`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ secret, name, ...(phone ? { phone } : {}) }),
    });
  } catch (e) {
    console.error(`cannot reach ${url}: ${e.cause?.code ?? e.message}`);
    return 2;
  }
  const body = await res.json().catch(() => null);
  if (res.status !== 201) {
    console.error(`infra-chat init: ${res.status} ${body?.error?.message ?? "unexpected answer"}`);
    return 2;
  }
  console.log(`Created ${body.user.name}, the first admin of ${url}.

Your API token (shown once; keep it in your password manager):

  ${body.token}

Use it from this shell:

  export INFRA_CHAT_URL=${url}
  export INFRA_CHAT_TOKEN=<the token above>
  npx infra-chat "status of staging"

Add people with POST /api/users (each gets their own token).`);
  return 0;
}
