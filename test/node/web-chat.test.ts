/**
 * The console in real headless Chromium (Debian's `chromium`, driven by playwright-core) against the local
 * control plane: two admins in two browsers (desktop and phone, light and dark). Alice deploys staging and
 * then production with a broken canary; Bob sees the approval arrive in his inbox without a reload, reads
 * risk, commits and diff, approves through the confirmation; Alice's page shows the run go live and roll
 * back; the rollback opens an incident. Deep links, reload, history filters, settings, keyboard-only use,
 * and axe-core on every page in both colour schemes. Screenshots go to test-artifacts/web-chat/.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHAT_JS } from "../../src/ui/client";
import { startLocalWorker } from "./local-worker";
import type { LocalWorker } from "./local-worker";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARTIFACTS = join("test-artifacts", "web-chat");
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
/** An upper bound for the page to catch up, not a speed requirement: two shared CPUs run workerd and Chromium. */
const UI = { timeout: 60_000 };
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const available = existsSync(CHROMIUM);
if (!available && !process.env.CI) {
  console.warn(
    `\n*** SKIPPING the web chat browser test: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH). CI installs it and never skips. ***\n`,
  );
}

/** What a page went through: navigations after the first load, and every status each run card showed. */
async function instrument(page: Page) {
  page.setDefaultTimeout(UI.timeout);
  const navigations: string[] = [];
  page.on("framenavigated", (frame) => {
    if (frame === page.mainFrame()) navigations.push(frame.url());
  });
  page.on("pageerror", (err) => {
    throw err;
  });
  page.on("console", (msg) => {
    if (msg.type() === "error") console.error(`[browser] ${msg.text()}`);
  });
  page.on("requestfailed", (req) => {
    // Event streams are cut on purpose (chat replies are in; a page with logs was left).
    if (req.failure()?.errorText === "net::ERR_ABORTED") return;
    console.error(`[browser] request failed: ${req.method()} ${req.url()} ${req.failure()?.errorText}`);
  });
  await page.addInitScript(() => {
    const seen: Record<string, string[]> = {};
    (window as unknown as { runStatuses: typeof seen }).runStatuses = seen;
    new MutationObserver(() => {
      for (const el of document.querySelectorAll<HTMLElement>("#log [data-run-id] .status[data-status]")) {
        const id = el.closest<HTMLElement>("[data-run-id]")!.dataset.runId!;
        const list = (seen[id] ??= []);
        if (list.at(-1) !== el.dataset.status) list.push(el.dataset.status!);
      }
    }).observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
  });
  return {
    navigations,
    statuses: (runId: string) =>
      page.evaluate(
        (id) => (window as unknown as { runStatuses: Record<string, string[]> }).runStatuses[id] ?? [],
        runId,
      ),
  };
}

async function signIn(page: Page, url: string, token: string) {
  await page.goto(url);
  await page.getByLabel("API token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator("#who").waitFor({ state: "visible" });
}

async function say(page: Page, text: string) {
  await page.getByLabel("Message").fill(text);
  await page.getByLabel("Message").press("Enter");
}

/** axe-core's serious and critical findings on the page as it is now (injected over CDP: the CSP stays on). */
async function accessibilityProblems(page: Page): Promise<string[]> {
  await page.evaluate(`${AXE};0`);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, o: unknown): Promise<{ violations: any[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ["violations"] });
    // axe lists what it checked: an empty run would pass anything.
    if (!(result as unknown as { passes: unknown[] }).passes.length) throw new Error("axe checked nothing");
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      nodes: v.nodes
        .slice(0, 3)
        .map((n: { target: string[]; failureSummary: string }) => `${n.target} ${n.failureSummary}`),
    }));
  });
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.join(" | ")}`);
}

/** Elements wider than the viewport (a phone must never scroll sideways). */
function overflowing(page: Page) {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>("body *")]
      .filter((el) => el.getClientRects().length && el.getBoundingClientRect().right > window.innerWidth + 0.5)
      .filter((el) => !el.closest(".table-wrap,pre,.chart"))
      .map((el) => `${el.tagName.toLowerCase()}.${el.className}`)
      .slice(0, 5),
  );
}

describe("web chat client script", () => {
  it("parses as an ES module (it is served as text, so nothing else checks its syntax before a browser does)", () => {
    const dir = mkdtempSync(join(tmpdir(), "infra-chat-client-"));
    try {
      writeFileSync(join(dir, "app.mjs"), CHAT_JS);
      execFileSync(process.execPath, ["--check", join(dir, "app.mjs")], { stdio: "pipe" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(!available && !process.env.CI)("the console in headless Chromium", () => {
  let worker: LocalWorker;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  let bobToken = "";
  /** What the first flow leaves behind for the pages checked after it. */
  const seen = { prodRunId: "", incidentId: "", stagingRunId: "" };

  async function open(options: { viewport?: typeof DESKTOP; dark?: boolean } = {}) {
    const context = await browser.newContext({
      viewport: options.viewport ?? DESKTOP,
      colorScheme: options.dark ? "dark" : "light",
      ...(options.viewport === PHONE ? { isMobile: true, hasTouch: true } : {}),
    });
    contexts.push(context);
    const page = await context.newPage();
    return { page, watch: await instrument(page) };
  }

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    [worker, browser] = await Promise.all([
      startLocalWorker("web"),
      chromium.launch({
        executablePath: CHROMIUM,
        args: [
          "--no-sandbox",
          "--disable-gpu",
          "--disable-background-networking",
          "--disable-component-update",
          "--no-first-run",
        ],
      }),
    ]);
    const bob = await worker.api(worker.adminToken, "POST", "/api/users", { name: "Bob", role: "admin" });
    bobToken = bob.body.token;
  }, 180_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await worker?.stop();
  });

  it("signed out, shows only the sign-in form, which says where a token comes from", { timeout: 60_000 }, async () => {
    const { page } = await open();
    await page.goto(worker.url);
    await expect.poll(() => page.locator("#signin-view").isVisible(), UI).toBe(true);
    expect(await page.locator("#app-view").isVisible()).toBe(false);
    const help = await page.locator("#token-help").textContent();
    expect(help).toContain("npm start");
    expect(help).toContain("npx infra-chat init");
    // Tab through the whole page: focus never reaches an app control.
    const reached = new Set<string>();
    for (let i = 0; i < 15; i++) {
      await page.keyboard.press("Tab");
      reached.add(await page.evaluate(() => document.activeElement?.id || document.activeElement?.tagName || ""));
    }
    expect([...reached].filter((id) => !["token", "BUTTON", "BODY", ""].includes(id))).toEqual([]);
    expect(await page.evaluate(() => !!document.activeElement?.closest("#app-view"))).toBe(false);
    // A wrong token says so, and still nothing of the app shows.
    await page.getByLabel("API token").fill("ic_wrong");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.locator("#signin-error").textContent(), UI).toMatch(/not accepted/);
    expect(await page.locator("#app-view").isVisible()).toBe(false);
    await page.screenshot({ path: join(ARTIFACTS, "0-signin.png") });
  });

  it("two admins: the approval reaches Bob's inbox live; he sees risk, commits and diff, confirms; Alice watches the rollback", async () => {
    const { page: alice, watch } = await open();
    await signIn(alice, worker.url, worker.adminToken);
    await expect.poll(() => alice.locator("#who").textContent(), UI).toBe("Local admin · admin");
    expect(await alice.content()).not.toContain(worker.adminToken);

    // Staging waits for "apply" here: the plan's Apply button starts the run, pushed live over the WebSocket.
    await say(alice, "turn off auto-apply on staging");
    await expect.poll(() => alice.locator("#log").textContent(), UI).toContain('plans now wait for "apply"');
    await say(alice, "deploy staging");
    const stagingPlan = alice.locator(".card.plan", { hasText: "Plan: deploy invoice-perfect:staging" });
    await stagingPlan.waitFor();
    // A compact plan: steps grouped with counts, the panel follows staging.
    expect(await stagingPlan.locator(".groups li").count()).toBeLessThan(
      Number((await stagingPlan.textContent())!.match(/(\d+) steps/)![1]),
    );
    await expect.poll(() => alice.locator("#env").inputValue(), UI).toBe("invoice-perfect:staging");
    await stagingPlan.getByRole("button", { name: "Apply", exact: true }).click();
    const stagingRun = alice.locator("#log article.card.run").first();
    seen.stagingRunId = (await stagingRun.getAttribute("data-run-id"))!;
    await stagingRun.locator('.status[data-status="succeeded"]').waitFor({ timeout: 120_000 });
    const stagingSeen = await watch.statuses(seen.stagingRunId);
    expect(stagingSeen[0]).not.toBe("succeeded");
    expect(stagingSeen.at(-1)).toBe("succeeded");
    await alice.screenshot({ path: join(ARTIFACTS, "1-staging-succeeded.png"), fullPage: true });

    // Bob is already signed in (phone, dark) before anything waits for him.
    const { page: bob } = await open({ viewport: PHONE, dark: true });
    await signIn(bob, worker.url, bobToken);
    expect(await bob.locator("#approvals-badge").isVisible()).toBe(false);

    expect(
      (
        await fetch(`${worker.url}/sandbox/faults`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ kind: "app", env: "production", service: "api", track: "canary", errorRate: 0.2 }),
        })
      ).status,
    ).toBe(201);
    await say(alice, "deploy production");
    const prodPlan = alice.locator(".card.plan", { hasText: "Plan: deploy invoice-perfect:production" });
    await prodPlan.waitFor();
    await expect.poll(() => alice.locator("#env").inputValue(), UI).toBe("invoice-perfect:production");
    await prodPlan.getByRole("button", { name: "Apply" }).click();
    const prodRun = alice.locator("#log article.card.run[data-run-id]", { hasText: "invoice-perfect:production" });
    await prodRun.locator('.status[data-status="awaiting-approval"]').waitFor();
    seen.prodRunId = (await prodRun.getAttribute("data-run-id"))!;
    expect(await prodRun.getByRole("button", { name: "Approve" }).count()).toBe(0);
    // The status line above the composer says what the conversation waits for.
    await expect
      .poll(() => alice.locator("#status-line").textContent(), UI)
      .toContain("Waiting for an admin other than you");
    await alice.screenshot({ path: join(ARTIFACTS, "2-production-awaiting-approval.png"), fullPage: true });

    // Bob: the inbox badge and the tab title count arrive without a reload.
    await expect.poll(() => bob.locator("#approvals-badge").textContent(), UI).toBe("1");
    await expect.poll(() => bob.title(), UI).toMatch(/^\(1\) /);
    await bob.locator("#approvals-link").click();
    const bobCard = bob.locator(`#view-page article.card.run[data-run-id="${seen.prodRunId}"]`);
    const approval = bobCard.locator("section.approval");
    await approval.locator(".risk").waitFor();
    expect(await approval.locator(".risk").textContent()).toMatch(/^risk (low|medium|high)$/);
    expect(await approval.locator(".commits li").count()).toBeGreaterThan(0);
    expect(await approval.textContent()).toMatch(/api .*\([0-9a-f]{7}\)/);
    expect(await approval.textContent()).toMatch(/now on release \d+/);
    expect(await approval.locator("table.diff, p.meta").count()).toBeGreaterThan(0);
    await bob.screenshot({ path: join(ARTIFACTS, "3-approver-phone-dark.png"), fullPage: true });
    expect(await overflowing(bob), "elements wider than a phone screen").toEqual([]);
    await bobCard.getByRole("button", { name: "Approve" }).click();
    const dialog = bob.locator("#confirm");
    await dialog.waitFor({ state: "visible" });
    expect(await dialog.textContent()).toContain("Environment: invoice-perfect:production");
    expect(await dialog.textContent()).toMatch(/Release: from release \d+ to a new release with api/);
    await bob.screenshot({ path: join(ARTIFACTS, "4-approve-confirmation.png") });
    await dialog.getByRole("button", { name: "Approve" }).click();
    await expect.poll(() => bob.locator("#approvals-badge").isVisible(), UI).toBe(false);

    // Alice's page, untouched since: the run goes live, rolls back, and the chart and incident arrive.
    await prodRun.locator('.status[data-status="rolled-back"]').waitFor({ timeout: 120_000 });
    const chart = prodRun.locator('figure.canary-figure[data-phase="rolled-back"]');
    await chart.waitFor();
    // The judge's evidence: all metrics against 1/α, 5xx against its own threshold, the rollback marked.
    expect(Number(await chart.locator("svg.chart").getAttribute("data-looks"))).toBeGreaterThan(0);
    expect(await chart.locator("svg.chart path.evidence").count()).toBe(1);
    expect(await chart.locator("svg.chart path.metric.errors").count()).toBe(1);
    expect(await chart.locator("svg.chart line.rollback").count()).toBe(1);
    expect(await chart.locator("figcaption").textContent()).toMatch(/samples canary \d+/);
    expect(await chart.locator("figcaption").textContent()).toMatch(/Traffic is back on stable/);
    expect(await prodRun.locator(".run-error").textContent()).toMatch(/regression at 10%: 5xx/);
    const prodSeen = await watch.statuses(seen.prodRunId);
    expect(prodSeen[0]).toBe("awaiting-approval");
    expect(prodSeen).toContain("running");
    expect(prodSeen.at(-1)).toBe("rolled-back");
    expect(watch.navigations).toHaveLength(1);
    await prodRun.getByRole("button", { name: "Incident: incident.md" }).waitFor();
    await alice.screenshot({ path: join(ARTIFACTS, "5-production-rolled-back.png"), fullPage: true });

    // The rollback opened an incident linked to the run.
    const incidents = await worker.api(worker.adminToken, "GET", "/api/incidents?env=invoice-perfect:production");
    const incident = incidents.body.incidents.find((i: { runIds: string[] }) => i.runIds.includes(seen.prodRunId));
    expect(incident).toBeTruthy();
    seen.incidentId = incident.id;
    await expect.poll(() => alice.locator(`#incidents [data-incident-id="${incident.id}"]`).count(), UI).toBe(1);

    // Reload keeps every card: plans with their outcome, runs with their chart.
    await alice.reload();
    await alice.locator("#who").waitFor({ state: "visible" });
    const again = alice.locator(`#log article.card.run[data-run-id="${seen.prodRunId}"]`);
    await again.locator('.status[data-status="rolled-back"]').waitFor();
    await again.locator("figure.canary-figure").waitFor();
    expect(await alice.locator("#log .card.plan").count()).toBe(2);
    await expect
      .poll(() => alice.locator(".card.plan", { hasText: "production" }).textContent(), UI)
      .toMatch(/Applied: run .* is rolled-back/);
    await alice.screenshot({ path: join(ARTIFACTS, "6-after-reload.png"), fullPage: true });
    await fetch(`${worker.url}/sandbox/faults`, { method: "DELETE" });
  }, 400_000);

  it("opens the run page from the link in an SMS after sign-in, with the live run, its logs and audit events", async () => {
    const sms = (await (await fetch(`${worker.url}/sandbox/sms`)).json()) as { messages: { body: string }[] };
    const text = sms.messages.find((m) => m.body.includes(seen.prodRunId))!.body;
    const url = text.match(/https?:\/\/\S+\/runs\/run_[a-z0-9]+/)![0];
    const { page } = await open({ dark: true });
    // The SMS link names the public URL; the local worker answers it at its own address.
    await page.goto(`${worker.url}${new URL(url).pathname}`);
    await page.getByLabel("API token").fill(bobToken);
    await page.getByRole("button", { name: "Sign in" }).click();
    const card = page.locator(`#view-page article.card.run[data-run-id="${seen.prodRunId}"]`);
    await card.locator('.status[data-status="rolled-back"]').waitFor();
    expect(new URL(page.url()).pathname).toBe(`/runs/${seen.prodRunId}`);
    await page.locator("section.logs details").first().waitFor();
    expect(await page.locator("section.logs").textContent()).toMatch(/Build \(\d+ lines\)/);
    await expect
      .poll(() => page.locator('section[aria-label="Audit events of this run"]').textContent(), UI)
      .toContain("run.rolled-back");
    await page.screenshot({ path: join(ARTIFACTS, "7-run-page-dark.png"), fullPage: true });
  }, 120_000);

  it("filters the history by status and type", async () => {
    // A planned migrate run beside the deploys, so the type filter has something to leave out.
    const plan = await worker.api(worker.adminToken, "POST", "/api/envs/invoice-perfect:staging/plan", {
      type: "migrate",
    });
    expect(plan.status).toBe(201);
    const { page } = await open();
    await signIn(page, worker.url, worker.adminToken);
    await page.getByRole("link", { name: "History" }).click();
    const rows = page.locator("table.history tbody tr");
    await page.locator(`table.history tbody tr[data-run-id="${plan.body.plan.runId}"]`).waitFor();
    const column = (key: "status" | "type") =>
      rows.evaluateAll((trs, k) => [...new Set(trs.map((r) => (r as HTMLElement).dataset[k]))].sort(), key);
    expect(await column("type")).toEqual(["deploy", "migrate"]);
    await page.locator("#history-status").selectOption("rolled-back");
    await expect.poll(() => new URL(page.url()).search, UI).toBe("?status=rolled-back");
    await expect.poll(() => column("status"), UI).toEqual(["rolled-back"]);
    await page.locator("#history-status").selectOption("");
    await page.locator("#history-type").selectOption("deploy");
    await expect.poll(() => new URL(page.url()).search, UI).toBe("?type=deploy");
    // Both deploys and no migrate: only the type-filtered page shows that (the unfiltered one before it also
    // lists both deploys, the rolled-back one only deploys), so wait for exactly that page.
    const ids = () => rows.evaluateAll((trs) => trs.map((r) => (r as HTMLElement).dataset.runId));
    const typeFiltered = async () => {
      const shown = await ids();
      return (
        [seen.stagingRunId, seen.prodRunId].every((id) => shown.includes(id)) && !shown.includes(plan.body.plan.runId)
      );
    };
    await expect.poll(typeFiltered, UI).toBe(true);
    expect(await column("type")).toEqual(["deploy"]);
    expect(await page.locator(`tr[data-run-id="${seen.stagingRunId}"]`).textContent()).toMatch(/release \d+/);
    await page.screenshot({ path: join(ARTIFACTS, "8-history.png"), fullPage: true });
  }, 120_000);

  it("settings: adds a person, changes their role, and a revoked token signs its page out", async () => {
    const { page } = await open();
    await signIn(page, worker.url, worker.adminToken);
    await page.getByRole("link", { name: "Settings" }).click();
    const form = page.getByRole("form", { name: "Add a person" });
    await form.getByLabel("Name").fill("Carol");
    await form.getByLabel("Role").selectOption("deployer");
    await form.getByRole("button", { name: "Add person" }).click();
    const token = (await page.locator('code[data-token="new"]').textContent())!;
    expect(token).toMatch(/\S{20,}/);
    await page.getByLabel("Role of Carol").selectOption("viewer");
    await expect
      .poll(
        async () =>
          (await worker.api(worker.adminToken, "GET", "/api/users")).body.users.find(
            (u: { name: string }) => u.name === "Carol",
          ).role,
        UI,
      )
      .toBe("viewer");
    expect(await page.locator("#view-page").textContent()).not.toMatch(/secretref|hunter2/);

    const { page: carol } = await open({ viewport: PHONE });
    await signIn(carol, worker.url, token);
    await page.reload();
    await page.locator("#who").waitFor({ state: "visible" });
    const row = page.locator("tr", { hasText: "Carol" }).filter({ has: page.getByRole("button", { name: /^Revoke/ }) });
    await row.getByRole("button", { name: /^Revoke/ }).click();
    await page.locator("#confirm").getByRole("button", { name: "Revoke" }).click();
    // Carol's open page loses its live socket at once and signs out.
    await expect.poll(() => carol.locator("#signin-view").isVisible(), { timeout: 5000 }).toBe(true);
    expect(await carol.locator("#signin-error").textContent()).toMatch(/revoked/);
    await page.screenshot({ path: join(ARTIFACTS, "9-settings.png"), fullPage: true });
  }, 120_000);

  it("completes sign-in → deploy → approve with the keyboard alone", async () => {
    const { page: alice } = await open();
    await alice.goto(worker.url);
    await alice.keyboard.type(worker.adminToken);
    await alice.keyboard.press("Enter");
    await alice.locator("#who").waitFor({ state: "visible" });
    // The skip link leads to the page; the composer is a Tab or two away.
    await alice.keyboard.press("Tab");
    expect(await alice.evaluate(() => document.activeElement?.textContent)).toBe("Skip to content");
    await alice.locator("#message").focus();
    await alice.keyboard.type("deploy production");
    await alice.keyboard.press("Enter");
    const plan = alice.locator(".card.plan", { hasText: "Plan: deploy invoice-perfect:production" }).last();
    await plan.getByRole("button", { name: "Apply" }).waitFor();
    for (let i = 0; i < 200 && (await alice.evaluate(() => document.activeElement?.textContent)) !== "Apply"; i++)
      await alice.keyboard.press("Tab");
    const focusedPlan = await alice.evaluate(() =>
      document.activeElement?.closest(".card.plan")?.getAttribute("data-plan-id"),
    );
    expect(focusedPlan).toBe(await plan.getAttribute("data-plan-id"));
    await alice.keyboard.press("Enter");
    const waiting = alice.locator("#log article.card.run", { hasText: "awaiting-approval" }).last();
    await waiting.waitFor();
    const runId = (await waiting.getAttribute("data-run-id"))!;
    const run = alice.locator(`#log article.card.run[data-run-id="${runId}"]`);

    const { page: bob } = await open({ dark: true });
    await bob.goto(worker.url);
    await bob.keyboard.type(bobToken);
    await bob.keyboard.press("Enter");
    await bob.locator("#who").waitFor({ state: "visible" });
    await expect.poll(() => bob.locator("#approvals-badge").textContent(), UI).toBe("1");
    for (let i = 0; i < 20 && (await bob.evaluate(() => document.activeElement?.id)) !== "approvals-link"; i++)
      await bob.keyboard.press("Tab");
    await bob.keyboard.press("Enter");
    await bob.locator(`#view-page [data-run-id="${runId}"] section.approval .risk`).waitFor();
    for (let i = 0; i < 80 && (await bob.evaluate(() => document.activeElement?.textContent)) !== "Approve"; i++)
      await bob.keyboard.press("Tab");
    await bob.keyboard.press("Enter");
    await bob.locator("#confirm").waitFor({ state: "visible" });
    // Focus starts on Cancel: a stray Enter never approves. Tab back to Approve.
    expect(await bob.evaluate(() => document.activeElement?.textContent)).toBe("Cancel");
    await bob.keyboard.press("Shift+Tab");
    expect(await bob.evaluate(() => document.activeElement?.textContent)).toBe("Approve");
    await bob.keyboard.press("Enter");
    await expect
      .poll(
        async () => (await worker.api(worker.adminToken, "GET", `/api/runs/${runId}`)).body.run.approvals.approvedBy,
        UI,
      )
      .toHaveLength(1);
    await run.locator(".status:not([data-status='awaiting-approval'])").waitFor();
    await worker.api(worker.adminToken, "POST", `/api/runs/${runId}/cancel`, {});
  }, 200_000);

  for (const dark of [false, true]) {
    it(`has no serious or critical axe-core violations on any page (${dark ? "dark" : "light"}), nor overflow on a phone`, async () => {
      const scheme = dark ? "dark" : "light";
      const problems: string[] = [];
      const signedOut = await open({ dark });
      await signedOut.page.goto(worker.url);
      await signedOut.page.locator("#token").waitFor();
      // The check can fail: grey on grey is caught (then taken away again).
      await signedOut.page.evaluate(() => {
        const p = Object.assign(document.createElement("p"), { id: "low-contrast", textContent: "hard to read" });
        Object.assign(p.style, { color: "#777", background: "#888" });
        document.querySelector(".signin")!.append(p);
      });
      expect((await accessibilityProblems(signedOut.page)).join("\n")).toMatch(/color-contrast \(serious\)/);
      await signedOut.page.evaluate(() => document.getElementById("low-contrast")!.remove());
      problems.push(...(await accessibilityProblems(signedOut.page)).map((p) => `sign-in: ${p}`));
      const pages = [
        "/",
        `/runs/${seen.prodRunId}`,
        "/envs/invoice-perfect:production",
        `/incidents/${seen.incidentId}`,
        "/approvals",
        "/history",
        "/settings",
      ];
      for (const viewport of [DESKTOP, PHONE]) {
        const { page } = await open({ dark, viewport });
        await signIn(page, worker.url, worker.adminToken);
        for (const path of pages) {
          await page.evaluate((p) => {
            history.pushState(null, "", p);
            dispatchEvent(new PopStateEvent("popstate"));
          }, path);
          await page.waitForFunction(() => !document.querySelector("#view-page")?.textContent?.includes("loading…"));
          await page.waitForTimeout(300);
          const where = `${path} ${viewport.width}px`;
          problems.push(...(await accessibilityProblems(page)).map((p) => `${where}: ${p}`));
          if (viewport === PHONE) {
            problems.push(...(await overflowing(page)).map((e) => `${where}: wider than the phone: ${e}`));
            await page.screenshot({ path: join(ARTIFACTS, `phone-${scheme}${path.replace(/[/:]/g, "_")}.png`) });
          } else if (path === "/" || path.startsWith("/envs")) {
            await page.screenshot({
              path: join(ARTIFACTS, `desktop-${scheme}${path.replace(/[/:]/g, "_")}.png`),
              fullPage: true,
            });
          }
        }
        if (viewport === PHONE) {
          await page.getByRole("tab", { name: "Environment" }).click();
          await page.locator("#side").waitFor({ state: "visible" });
          expect(await page.locator("#main").isVisible()).toBe(false);
          problems.push(...(await accessibilityProblems(page)).map((p) => `panel tab: ${p}`));
          await page.screenshot({ path: join(ARTIFACTS, `phone-${scheme}-panel.png`) });
        }
      }
      expect(problems).toEqual([]);
    }, 300_000);
  }
});
