/**
 * The README's "Try it" section, run as a new user would: a fresh copy of the repository (no .dev.vars, no
 * .wrangler state), `npm start` on a free port, then every shell command of the section — parsed out of
 * README.md itself, in order — in one bash session, each checked against what its comment promises. The
 * canary block runs twice: as written (the fault rolls the canary back) and without the fault (promoted).
 * README and test cannot drift: a command added, removed or changed in the README fails the first test here
 * until its expectation is written.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  freePort,
  freshClone,
  type NpmStart,
  npmStart,
  readDevVars,
  removeClone,
  type ShellResult,
  shellSession,
  writeDevVars,
} from "./fresh-clone";

/** The shell commands of the README's "Try it" section: logical lines (`\` continuations joined), comments cut. */
function tryItCommands(readme: string): { command: string; comment: string }[] {
  const start = readme.indexOf("\n## Try it\n");
  if (start < 0) throw new Error('README.md has no "## Try it" section');
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  return blocks.flatMap((block) =>
    block
      .replace(/\\\n\s*/g, "")
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith("#"))
      .map((line) => {
        // A comment starts at " # " outside quotes; none of the commands has one inside quotes.
        const cut = line.search(/\s#\s/);
        return cut < 0
          ? { command: line, comment: "" }
          : { command: line.slice(0, cut).trim(), comment: line.slice(cut).replace(/^\s*#\s*/, "") };
      }),
  );
}

interface Context {
  /** The fresh clone the commands run in. */
  dir: string;
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** Which pass of the canary block this is: as written, or without the fault. */
  pass: "with fault" | "without fault";
}

type Check = (r: ShellResult, cx: Context) => Promise<void> | void;

/** The run id in a CLI output's closing "run <id>: <status>" line. */
function runOf(output: string): string {
  const id = /^run (run_\w+): /m.exec(output)?.[1];
  if (!id) throw new Error(`no run in:\n${output}`);
  return id;
}

const succeeded: Check = (r) => {
  expect(r.exitCode, r.output).toBe(0);
  expect(r.output).toMatch(/^run run_\w+: succeeded$/m);
};
const json =
  (test: (body: any) => void): Check =>
  (r) => {
    expect(r.exitCode, r.output).toBe(0);
    test(JSON.parse(r.output));
  };
const quiet: Check = (r) => {
  expect(r.exitCode, r.output).toBe(0);
  expect(r.output.trim()).toBe("");
};
const replied =
  (pattern: RegExp): Check =>
  (r) => {
    expect(r.exitCode, r.output).toBe(0);
    expect(r.output).toMatch(pattern);
  };

const AUTH = `-H "authorization: Bearer $TOKEN"`;
const JSON_BODY = `-H 'content-type: application/json'`;
const CANARY_FAULT = `curl -s -XPOST localhost:8787/sandbox/faults ${JSON_BODY} -d '{"kind":"app","env":"production","service":"api","track":"canary","errorRate":0.2}'`;
const SECOND_ADMIN = `BOB=$(curl -s -XPOST localhost:8787/api/users ${AUTH} ${JSON_BODY} -d '{"name":"Bob","role":"admin","phone":"+15550000002"}' | grep -o '"token":"[^"]*"' | cut -d'"' -f4)`;
const CLEAR_FAULTS = "curl -s -XDELETE localhost:8787/sandbox/faults";

/** Every "Try it" command, in README order, with what the README says it does. */
const EXPECTED: { command: string; check: Check }[] = [
  {
    command: 'npx infra-chat "deploy staging"',
    check: (r, cx) => {
      succeeded(r, cx);
      expect(r.output).toContain("invoice-perfect:staging auto-applies by policy.");
      expect(r.output).toMatch(/\[succeeded\] Finalize release record — release v2 recorded/);
    },
  },
  {
    command: 'npx infra-chat "status of staging"',
    check: replied(/Current release v2 [\s\S]*deploy run_\w+ — succeeded/),
  },
  {
    command: 'npx infra-chat "what differs between staging and production?"',
    check: replied(/invoice-perfect:staging → invoice-perfect:production \(\d+ differences\)/),
  },
  {
    command: 'npx infra-chat "rollback staging to the previous release"',
    check: async (r, cx) => {
      // Applied at once: nothing waits for "apply" (the README once said to send it).
      succeeded(r, cx);
      expect(r.output).toContain("invoice-perfect:staging auto-applies by policy.");
      const env = (await cx.api("GET", "/api/envs/invoice-perfect:staging")).body.environment;
      expect(env.currentRelease.services.api.commitMessage).toBe("v1");
    },
  },
  { command: "TOKEN=$(grep INFRA_CHAT_ADMIN_TOKEN .dev.vars | cut -d= -f2)", check: quiet },
  {
    command: `curl -s localhost:8787/api/chat ${AUTH} ${JSON_BODY} -d '{"message":"status of staging"}'`,
    check: json((body) => {
      expect(body.conversationId).toMatch(/^conv_/);
      expect(body.replies[0].text).toMatch(/^invoice-perfect:staging \(spec revision \d+\)/);
    }),
  },
  {
    command: 'npx infra-chat "bootstrap local"',
    check: replied(/Local stack for invoice-perfect:local is ready/),
  },
  {
    command: `curl -s ${AUTH} localhost:8787/api/envs/invoice-perfect:local/bootstrap | tar xz`,
    check: (r, cx) => {
      quiet(r, cx);
      expect(readFileSync(`${cx.dir}/invoice-perfect-local/compose.yaml`, "utf8")).toMatch(/^ {2}postgres:$/m);
      const dotenv = readFileSync(`${cx.dir}/invoice-perfect-local/.env.local`, "utf8");
      expect(dotenv).toMatch(/^STRIPE_SECRET_KEY=sk_test_replace_me$/m);
    },
  },
  {
    command: 'npx infra-chat "add redis to my local env"',
    check: async (r, cx) => {
      succeeded(r, cx);
      expect(r.output).toMatch(/compose\.yaml runs redis as "redis"/);
      const compose = await cx.api("GET", `/api/runs/${runOf(r.output)}/artifacts/local/compose.yaml`);
      expect(compose.body).toMatch(/^ {2}redis:\n {4}image: "?redis:7"?$/m);
    },
  },
  {
    command: 'npx infra-chat "create qa from staging"',
    check: replied(/Created invoice-perfect:qa from invoice-perfect:staging[\s\S]*Nothing is provisioned yet/),
  },
  {
    command: `curl -s -XPUT localhost:8787/api/envs/invoice-perfect:qa/secrets/STRIPE_SECRET_KEY ${AUTH} ${JSON_BODY} -d '{"value":"sk_test_qa"}'`,
    check: quiet,
  },
  {
    command: `curl -s -XPUT localhost:8787/api/envs/invoice-perfect:qa/secrets/SENDGRID_API_KEY ${AUTH} ${JSON_BODY} -d '{"value":"SG.qa"}'`,
    check: quiet,
  },
  {
    command: 'npx infra-chat "set up qa"',
    check: async (r, cx) => {
      succeeded(r, cx);
      const qa = (await cx.api("GET", "/api/envs/invoice-perfect:qa")).body.environment;
      expect(qa.bindings.railway.environmentId).toBeTruthy();
      expect(qa.currentRelease.services.api.commitMessage).toBe("v1");
    },
  },
  {
    command: `curl -s -XPOST localhost:8787/sandbox/faults ${JSON_BODY} -d '{"kind":"app","env":"staging","service":"api","track":"all","jobBug":"lost-writes"}'`,
    check: json((body) => expect(body.fault).toMatchObject({ kind: "app", jobBug: "lost-writes" })),
  },
  {
    command: 'npx infra-chat "backfill timezone in staging at 6000 users/min"',
    check: (r) => {
      // The broken job fails verification, and the chat says why in the run's own words.
      expect(r.exitCode, r.output).toBe(1);
      expect(r.output).toMatch(/^run run_\w+: failed$/m);
      expect(r.output).toMatch(
        /verification failed: \d{3} rows the rules can derive are still empty \(not_backfilled\): \d+(\.\d+)?% of derivable rows filled, target 100%/,
      );
    },
  },
  { command: CLEAR_FAULTS, check: quiet },
  {
    command: 'npx infra-chat --detach "backfill timezone in staging at 500 users/min"',
    check: replied(/batches of 83 at 500 rows\/min[\s\S]*^run run_\w+: (queued|running) \(detached: it goes on\)$/m),
  },
  {
    command: 'npx infra-chat "stop the backfill in staging"',
    check: replied(/^run run_\w+: stopped$/m),
  },
  {
    command: 'npx infra-chat "how is the backfill going in staging?"',
    check: replied(/Backfill run_\w+ is stopped: \d+ of 2000 processed, \d+ failed \(\w+ \d+/),
  },
  {
    command: 'npx infra-chat "resume the backfill in staging"',
    check: (r, cx) => {
      // The README's example succeeds honestly: every derivable row filled, the underivable ones counted by reason.
      succeeded(r, cx);
      expect(r.output).toMatch(
        /verified: (\d+) of \1 derivable rows filled \(100%, target 100%\); \d+ of 2000 rows \(\d+(\.\d)?%, bound 10%\) cannot be derived and stay empty: \w+ \d+, \w+ \d+, \w+ \d+; every value valid/,
      );
    },
  },
  {
    command: 'npx infra-chat "backfill timezone in production at 500 users/min"',
    // The production gate (a successful staging run of the job) is open now.
    check: replied(
      /Plan: backfill invoice-perfect:production[\s\S]*Say "apply" to queue it; an admin other than you must then approve it\./,
    ),
  },
  {
    command: 'npx infra-chat "text me if the canary looks weird"',
    check: replied(/I'll text \+15550000001 about invoice-perfect:production/),
  },
  {
    command: 'npx infra-chat "deploy production with canary 10/50/100"',
    check: replied(/Plan: deploy invoice-perfect:production[\s\S]*weighted canary 10\/50\/100/),
  },
  { command: "npx infra-chat -c apply", check: replied(/^run run_\w+: awaiting-approval$/m) },
  { command: SECOND_ADMIN, check: quiet },
  {
    command: CANARY_FAULT,
    check: json((body) => expect(body.fault).toMatchObject({ track: "canary", errorRate: 0.2 })),
  },
  {
    command: "INFRA_CHAT_TOKEN=$BOB npx infra-chat approve",
    check: (r, cx) => {
      if (cx.pass === "without fault") return succeeded(r, cx);
      expect(r.exitCode, r.output).toBe(1);
      expect(r.output).toMatch(/^run run_\w+: rolled-back$/m);
    },
  },
  {
    command: "curl -s localhost:8787/sandbox/sms",
    check: json((body) => {
      const texts = body.messages.map((m: { body: string }) => m.body).join("\n");
      expect(texts).toMatch(
        /^Infra Chat: ROLLED BACK invoice-perfect:production canary v1→v2 \(run run_\w+\)\. Why: regression at 10%: 5xx canary \d+\/\d+ vs baseline \d+\/\d+; evidence \S+ ≥ 1\/α = 100/m,
      );
      expect(texts).toMatch(
        /backfill on invoice-perfect:staging FAILED .* verification failed: \d+ rows the rules can derive are still empty/,
      );
    }),
  },
  { command: CLEAR_FAULTS, check: quiet },
  {
    command: "curl -s localhost:8787/sandbox/state",
    check: json((body) => {
      expect(body.services.length).toBeGreaterThan(3);
      expect(body.faults).toEqual([]);
    }),
  },
  {
    command: `curl -s -XPOST localhost:8787/sandbox/faults ${JSON_BODY} -d '{"kind":"deploy","env":"staging","service":"web","fail":"crash"}'`,
    check: json((body) => expect(body.fault).toMatchObject({ fail: "crash", remaining: 1 })),
  },
  {
    command: 'npx infra-chat "deploy staging"',
    check: (r) => {
      expect(r.exitCode, r.output).toBe(1);
      expect(r.output).toMatch(/\[failed\] Deploy web at v2 .* CRASHED/);
      expect(r.output).toMatch(/^run run_\w+: failed$/m);
    },
  },
  {
    command: 'npx infra-chat "deploy staging"',
    check: async (r, cx) => {
      succeeded(r, cx);
      expect((await cx.api("GET", "/sandbox/state")).body.faults).toEqual([]);
    },
  },
];

/** The sandbox's 0.2% background 5xx: one healthy canary in ~300 is rolled back (canary-judge.test.ts). */
const NO_BACKGROUND_5XX = `curl -s -XPOST localhost:8787/sandbox/faults ${JSON_BODY} -d '{"kind":"app","env":"production","service":"api","track":"all","errorRate":0}'`;

const readme = readFileSync("README.md", "utf8");
// A little faster than npm start's 0.3, but slow enough that "stop the backfill" lands while the 2,000-user
// backfill at 500/min still runs (about 6 s of wall time here) even on a loaded machine.
const TIME_SCALE = "0.25";

describe("README: Try it", () => {
  it("lists exactly the commands this test checks, in order (write the expectation when you change the README)", () => {
    expect(tryItCommands(readme).map((c) => c.command)).toEqual(EXPECTED.map((e) => e.command));
  });

  describe("against npm start in a fresh clone", () => {
    let dir: string;
    let server: NpmStart;
    let port: number;
    let shell: ReturnType<typeof shellSession>;
    let token: string;

    beforeAll(async () => {
      dir = freshClone();
      port = await freePort();
      // The one thing set before the first start: a faster sandbox clock. npm start keeps what it finds.
      writeDevVars(dir, { SANDBOX_TIME_SCALE: TIME_SCALE });
      server = await npmStart(dir, port);
      token = readDevVars(dir).INFRA_CHAT_ADMIN_TOKEN;
      // A new user's shell: the CLI finds server and token in .dev.vars, nothing set by hand.
      const {
        INFRA_CHAT_URL: _url,
        INFRA_CHAT_TOKEN: _token,
        INFRA_CHAT_CONVERSATION: _conversation,
        ...env
      } = process.env;
      shell = shellSession(dir, { ...env, XDG_STATE_HOME: `${dir}/.state` });
    }, 240_000);

    afterAll(async () => {
      shell?.close();
      await server?.stop();
      if (dir) removeClone(dir);
    });

    const lastLines = () => server.output().trimEnd().split("\n").slice(-2);

    it("npm start ends with the URL and the admin token, and nothing after them", () => {
      expect(lastLines()).toEqual([`URL:   http://localhost:${port}`, `Token: ${token}`]);
      expect(readDevVars(dir).PUBLIC_URL).toBe(`http://localhost:${port}`);
      // The migration tables and request lines went to the log, not the screen.
      expect(server.output().split("\n").length).toBeLessThan(15);
      expect(readFileSync(`${dir}/.wrangler/npm-start.log`, "utf8")).toMatch(/Migrations to be applied|applied/);
    });

    it("every command does what the README says; the canary rolls back with the fault and is promoted without", async () => {
      const cx: Context = {
        dir,
        pass: "with fault",
        async api(method, path, body) {
          const res = await fetch(`http://127.0.0.1:${port}${path}`, {
            method,
            headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
            body: body === undefined ? undefined : JSON.stringify(body),
          });
          const text = await res.text();
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {}
          return { status: res.status, body: parsed };
        },
      };
      // The README names the default port; this server has its own.
      const run = (command: string) => shell.run(command.replaceAll("localhost:8787", `localhost:${port}`));
      const canary = {
        first: EXPECTED.findIndex((e) => e.command.includes("deploy production with canary")),
        last: EXPECTED.findIndex(
          (e, i) => i > 0 && e.command === CLEAR_FAULTS && EXPECTED[i - 1].command.includes("/sandbox/sms"),
        ),
      };
      for (const [i, { command, check }] of EXPECTED.entries()) {
        const result = await run(command);
        await check(result, cx);
        if (i !== canary.last) continue;
        // The same block again without the fault (Bob exists already): the canary is promoted.
        cx.pass = "without fault";
        for (const step of EXPECTED.slice(canary.first, canary.last + 1)) {
          if (step.command === CANARY_FAULT || step.command === SECOND_ADMIN) continue;
          if (step.command.includes("infra-chat approve")) quiet(await run(NO_BACKGROUND_5XX).then(silence), cx);
          await step.check(await run(step.command), cx);
        }
        cx.pass = "with fault";
      }
      expect(lastLines()).toEqual([`URL:   http://localhost:${port}`, `Token: ${token}`]);
    }, 600_000);
  });
});

/** A fault's JSON answer, checked and then set aside. */
function silence(r: ShellResult): ShellResult {
  expect(JSON.parse(r.output).fault).toBeTruthy();
  return { ...r, output: "" };
}
