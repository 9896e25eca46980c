/**
 * The web chat in real headless Chromium (Debian's `chromium`, driven by playwright-core) against the
 * local control plane: sign in, "deploy staging", click Apply and watch it succeed live; then a canary fault,
 * "deploy production", Apply, a second admin approves in another browser, and the rollback and its
 * chart arrive live on the first page, which never reloads. Screenshots go to test-artifacts/web-chat/.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHAT_JS } from "../../src/ui/client";
import { startLocalWorker } from "./local-worker";
import type { LocalWorker } from "./local-worker";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARTIFACTS = join("test-artifacts", "web-chat");
/** An upper bound for the page to catch up, not a speed requirement: two shared CPUs run workerd and Chromium. */
const UI = { timeout: 60_000 };
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
    // The chat's event stream is cut on purpose once the replies are in (progress comes over the WebSocket).
    if (req.url().endsWith("/api/chat") && req.failure()?.errorText === "net::ERR_ABORTED") return;
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

describe.skipIf(!available && !process.env.CI)("web chat in headless Chromium", () => {
  let worker: LocalWorker;
  let browser: Browser;

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
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await worker?.stop();
  });

  it("deploys staging, then watches a production canary roll back live after a second admin approves", async () => {
    const alice = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const watch = await instrument(alice);
    await signIn(alice, worker.url, worker.adminToken);
    await expect.poll(() => alice.locator("#who").textContent(), UI).toBe("Local admin · admin");
    // The token lives in this tab's session storage and is never part of the page.
    expect(await alice.content()).not.toContain(worker.adminToken);
    expect(await alice.evaluate(() => sessionStorage.getItem("infra-chat.token"))).toBe(worker.adminToken);

    // Staging waits for "apply" here (its seeded policy would apply at once): the plan's Apply button starts
    // the run, and its progress is pushed over the WebSocket.
    await say(alice, "turn off auto-apply on staging");
    await expect.poll(() => alice.locator("#log").textContent(), UI).toContain('plans now wait for "apply"');
    await say(alice, "deploy staging");
    const stagingPlan = alice.locator(".card.plan", { hasText: "Plan: deploy invoice-perfect:staging" });
    await stagingPlan.waitFor();
    await stagingPlan.getByRole("button", { name: "Apply", exact: true }).click();
    const stagingRun = alice.locator("#log article.card.run").first();
    const stagingRunId = (await stagingRun.getAttribute("data-run-id"))!;
    await stagingRun.locator('.status[data-status="succeeded"]').waitFor({ timeout: 120_000 });
    await alice.screenshot({ path: join(ARTIFACTS, "1-staging-succeeded.png"), fullPage: true });
    const stagingSeen = await watch.statuses(stagingRunId);
    expect(stagingSeen[0]).not.toBe("succeeded");
    expect(stagingSeen.at(-1)).toBe("succeeded");

    // Production: a canary that fails a fifth of its requests, planned and applied by alice.
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
    await prodPlan.getByRole("button", { name: "Apply" }).click();
    const prodRun = alice.locator("#log article.card.run[data-run-id]", { hasText: "invoice-perfect:production" });
    await prodRun.locator('.status[data-status="awaiting-approval"]').waitFor();
    const prodRunId = (await prodRun.getAttribute("data-run-id"))!;
    // The requester sees no Approve button: production needs an admin other than them.
    expect(await prodRun.getByRole("button", { name: "Approve" }).count()).toBe(0);
    await expect.poll(() => prodRun.textContent(), UI).toContain("Waiting for an admin other than you");
    await alice.screenshot({ path: join(ARTIFACTS, "2-production-awaiting-approval.png"), fullPage: true });

    // Bob, a second admin, in his own browser context: the run shows up in production's recent runs.
    const bobUser = await worker.api(worker.adminToken, "POST", "/api/users", { name: "Bob", role: "admin" });
    expect(bobUser.status).toBe(201);
    const bobContext = await browser.newContext({ viewport: { width: 1024, height: 800 } });
    const bob = await bobContext.newPage();
    bob.setDefaultTimeout(UI.timeout);
    await signIn(bob, worker.url, bobUser.body.token);
    await bob.locator("#env").selectOption("invoice-perfect:production");
    await bob.locator(`#recent li[data-run-id="${prodRunId}"] button`).click();
    const bobCard = bob.locator(`#log article.card.run[data-run-id="${prodRunId}"]`);
    await bobCard.getByRole("button", { name: "Approve" }).click();
    await bobCard.locator(".status:not([data-status='awaiting-approval'])").waitFor();
    await bob.screenshot({ path: join(ARTIFACTS, "3-approver.png"), fullPage: true });

    // Alice's page, untouched since: the rollback, the chart and the incident arrive by themselves.
    await prodRun.locator('.status[data-status="rolled-back"]').waitFor({ timeout: 120_000 });
    const chart = prodRun.locator('figure.canary-figure[data-phase="rolled-back"]');
    await chart.waitFor();
    // The judge's evidence: all metrics against 1/α, 5xx against its own threshold, the rollback marked.
    expect(Number(await chart.locator("svg.chart").getAttribute("data-looks"))).toBeGreaterThan(0);
    expect(await chart.locator("svg.chart path.evidence").count()).toBe(1);
    expect(await chart.locator("svg.chart path.metric.errors").count()).toBe(1);
    expect(await chart.locator("svg.chart line.rollback").count()).toBe(1);
    expect(await chart.locator("figcaption").textContent()).toMatch(/samples canary \d+/);
    expect(await prodRun.locator(".run-error").textContent()).toMatch(/regression at 10%: 5xx/);
    const incident = prodRun.getByRole("button", { name: "Incident: incident.md" });
    await incident.waitFor();
    await alice.screenshot({ path: join(ARTIFACTS, "4-production-rolled-back.png"), fullPage: true });
    await incident.click();
    await expect.poll(() => alice.locator("#viewer-body").textContent(), UI).toMatch(/The judge's decision/);
    await alice.screenshot({ path: join(ARTIFACTS, "5-incident.png") });
    await alice.getByRole("button", { name: "Close" }).click();

    const prodSeen = await watch.statuses(prodRunId);
    expect(prodSeen[0]).toBe("awaiting-approval");
    expect(prodSeen).toContain("running");
    expect(prodSeen.at(-1)).toBe("rolled-back");
    expect(watch.navigations).toHaveLength(1);

    // The audit view of production lists the approval and the rollback; the chain verifies.
    await alice.locator("#env").selectOption("invoice-perfect:production");
    await alice.getByRole("button", { name: "Refresh" }).click();
    await expect.poll(() => alice.locator("#audit").textContent(), UI).toContain("run.rolled-back");
    expect(await alice.locator("#incidents").textContent()).not.toContain("unavailable");
    await alice.getByRole("button", { name: "Verify chain" }).click();
    await expect.poll(() => alice.locator("#audit-verdict").textContent(), UI).toMatch(/^Chain intact/);

    // Readable on a phone: one column, nothing wider than the screen.
    await alice.setViewportSize({ width: 390, height: 844 });
    const tooWide = await alice.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>("body *")]
        .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
        .map((el) => `${el.tagName.toLowerCase()}.${el.className}`)
        .slice(0, 5),
    );
    expect(tooWide, "elements wider than a phone screen").toEqual([]);
    expect(await alice.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await alice.screenshot({ path: join(ARTIFACTS, "6-phone.png"), fullPage: false });
    await bobContext.close();
    await fetch(`${worker.url}/sandbox/faults`, { method: "DELETE" });
  }, 300_000);
});
