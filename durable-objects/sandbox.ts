/**
 * SandboxDO — the sandbox provider world (ARCHITECTURE §2, API.md "Sandbox"). A thin shell: `fetch`
 * answers provider wire requests (Railway GraphQL, GitHub commits, Cloudflare v4, Twilio Messages, app
 * domains), the alarm sends Twilio's status callbacks, the RPC methods serve `/sandbox/*` and tests. All
 * world logic lives in src/sandbox/.
 */
import { DurableObject } from "cloudflare:workers";
import { z } from "zod";
import { accountSchema, updateAccount, type AccountInput, type AccountSettings } from "../src/sandbox/account";
import { addCommits, type PushedCommit } from "../src/sandbox/commits";
import { addFault, clearFaults } from "../src/sandbox/faults";
import { applyDrift, driftSchema, type DriftInput } from "../src/sandbox/drift";
import { setTrafficLevel, trafficLevelSchema, type TrafficLevelInput } from "../src/sandbox/traffic/level";
import { attachApp, attachAppSchema, type AttachApp } from "../src/sandbox/ops/external";
import { deploymentsOf, variablesOf, worldState, type SandboxState } from "../src/sandbox/inspect";
import {
  advanceBudgets,
  advanceBudgetsSchema,
  budgetViews,
  rebaseBudgets,
  type BudgetView,
} from "../src/sandbox/railway/budget";
import { listRequests } from "../src/sandbox/request-log";
import { SandboxRouter } from "../src/sandbox/router";
import { seedInvoicePerfect } from "../src/sandbox/seed";
import {
  callbackViews,
  nextCallbackAt,
  sendDueCallbacks,
  type CallbackTarget,
  type StatusCallbackView,
} from "../src/sandbox/twilio/callbacks";
import { outbox, type SentSms } from "../src/sandbox/twilio/outbox";
import { edgeView, pumpEdgeReports } from "../src/sandbox/traffic/edge-reports";
import {
  addCommitSchema,
  requestsQuerySchema,
  sandboxFaultSchema,
  type AddCommitInput,
  type DeploymentSummary,
  type RecordedRequest,
  type RequestsQuery,
  type SandboxFault,
  type SandboxResult,
  type SandboxSeed,
  type StoredFault,
  type ValidationIssue,
} from "../src/sandbox/types";
import { createSandboxSchema } from "../src/sandbox/world/ddl";
import { advanceDeployments } from "../src/sandbox/world/lifecycle";
import { parseTimeScale, World } from "../src/sandbox/world/store";

const lookupSchema = z.tuple([z.string().min(1), z.string().min(1)]);
/** How often a running edge router's reports are pumped at a time scale above 0. */
const EDGE_PUMP_MS = 250;

// zod issues carry symbols in paths; RPC results must be plain JSON.
function issuesOf(error: { issues: { path: PropertyKey[]; message: string; code: string }[] }): ValidationIssue[] {
  return error.issues.map((i) => ({ path: i.path.map(String), message: i.message, code: i.code }));
}

/** One simulated provider world per instance (the app uses the instance named "world"). */
export class SandboxDO extends DurableObject<Env> {
  #world: World;
  #router = new SandboxRouter();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#world = new World(ctx.storage.sql, parseTimeScale(env.SANDBOX_TIME_SCALE));
    void ctx.blockConcurrencyWhile(async () => {
      createSandboxSchema(ctx.storage.sql);
      const override = await ctx.storage.get<number>("timeScale");
      if (override !== undefined) this.#world.timeScale = override;
    });
  }

  /** Changes how fast deployments progress from now on (kept across evictions); tests slow the world down with it. */
  async setTimeScale(scale: number): Promise<void> {
    if (!Number.isFinite(scale) || scale < 0) throw new Error("time scale must be a number >= 0");
    await this.ctx.storage.put("timeScale", scale);
    rebaseBudgets(this.#world);
    this.#world.timeScale = scale;
  }

  /**
   * Provider wire requests: Railway, `api.github.com`, `api.cloudflare.com`, `api.twilio.com`,
   * `*.up.railway.app`, hostnames of sandbox zones (through the edge); anything else 502.
   */
  async fetch(request: Request): Promise<Response> {
    const response = await this.#router.handle(this.#world, request);
    await this.#scheduleCallbacks();
    // A Worker's bindings or routes changed: an edge router may have a canary to report on now.
    if (new URL(request.url).pathname.includes("/workers/")) await this.#scheduleAt(Date.now());
    return response;
  }

  /** Sends the Twilio status callbacks that are due and the edge routers' reports, then waits for the next. */
  async alarm(): Promise<void> {
    await sendDueCallbacks(this.#world, this.#callbackTarget, this.env.TWILIO_AUTH_TOKEN);
    const edge = await pumpEdgeReports(this.#world, this.#callbackTarget);

    await this.#scheduleCallbacks();
    // At time scale 0 the routers' simulated time runs as fast as the alarm turns; otherwise at 10/scale.
    if (edge.active) await this.#scheduleAt(Date.now() + (this.#world.timeScale > 0 ? EDGE_PUMP_MS : 0));
  }

  /** Serves and reports edge router seconds now (tests; the alarm does it otherwise). */
  async pumpEdge(maxSeconds?: number): Promise<{ active: boolean; reports: number }> {
    return pumpEdgeReports(this.#world, this.#callbackTarget, maxSeconds);
  }

  /** Sends every due status callback now (tests; the alarm does it otherwise) and lists them all. */
  async sendStatusCallbacks(): Promise<StatusCallbackView[]> {
    await sendDueCallbacks(this.#world, this.#callbackTarget, this.env.TWILIO_AUTH_TOKEN);
    return callbackViews(this.#world);
  }

  /**
   * Where a status callback or an edge router's report goes: the Worker itself, in-process, for a URL under
   * PUBLIC_URL (a deployed Worker could not fetch its own hostname; the sandbox is local-only); nowhere for
   * other URLs. A test or a future composition root may swap this for another handler.
   */
  #callbackTarget: CallbackTarget = (request) => {
    if (new URL(request.url).origin !== new URL(this.env.PUBLIC_URL ?? "http://localhost:8787").origin) return null;
    return this.ctx.exports.default.fetch(request);
  };

  async #scheduleCallbacks(): Promise<void> {
    const next = nextCallbackAt(this.#world);
    if (next !== null) await this.#scheduleAt(next);
  }

  async #scheduleAt(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || at < current) await this.ctx.storage.setAlarm(at);
  }

  /** Creates the Invoice Perfect world once; later calls return the same ids. */
  async seedInvoicePerfect(): Promise<SandboxSeed> {
    return seedInvoicePerfect(this.#world);
  }

  /** The whole world with every variable value masked. */
  async state(): Promise<SandboxState> {
    advanceDeployments(this.#world);
    return worldState(this.#world);
  }

  /** What the edge routers served and reported (also in `state().edge`). */
  async edge(): Promise<ReturnType<typeof edgeView>> {
    return edgeView(this.#world);
  }

  /** Adds a fault (validated); it stays until cleared or its count runs out. */
  async addFault(fault: SandboxFault): Promise<SandboxResult<StoredFault>> {
    const parsed = sandboxFaultSchema.safeParse(fault);
    if (!parsed.success)
      return { ok: false, code: "invalid_request", message: "Invalid fault", details: issuesOf(parsed.error) };
    return { ok: true, value: addFault(this.#world, parsed.data) };
  }

  /** Attaches a real app (e.g. the fixture on localhost) to a service of an environment, or detaches it (url null). */
  async attachApp(input: AttachApp): Promise<SandboxResult<{ env: string; service: string; url: string | null }>> {
    const parsed = attachAppSchema.safeParse(input);
    if (!parsed.success)
      return { ok: false, code: "invalid_request", message: "Invalid app", details: issuesOf(parsed.error) };
    return { ok: true, value: attachApp(this.#world, parsed.data) };
  }

  /** Changes a service behind Infra Chat's back (replicas, variables), as a dashboard edit would. */
  async drift(input: DriftInput): Promise<SandboxResult<unknown>> {
    const parsed = driftSchema.safeParse(input);
    if (!parsed.success)
      return { ok: false, code: "invalid_request", message: "Invalid drift", details: issuesOf(parsed.error) };
    return applyDrift(this.#world, parsed.data);
  }

  /** Sets how many requests per second a service's traffic group receives (null: the default). */
  async traffic(input: TrafficLevelInput): Promise<SandboxResult<unknown>> {
    const parsed = trafficLevelSchema.safeParse(input);
    if (!parsed.success)
      return { ok: false, code: "invalid_request", message: "Invalid traffic level", details: issuesOf(parsed.error) };
    return setTrafficLevel(this.#world, parsed.data);
  }

  /** Changes the accounts' plan and settings (Railway plan, Cloudflare Load Balancing, zones' SSL mode). */
  async account(input: AccountInput = {}): Promise<SandboxResult<AccountSettings>> {
    const parsed = accountSchema.safeParse(input);
    if (!parsed.success)
      return { ok: false, code: "invalid_request", message: "Invalid account", details: issuesOf(parsed.error) };
    return { ok: true, value: updateAccount(this.#world, parsed.data) };
  }

  /** Moves every request-budget window forward by that much sandbox time (3,600 s ends Railway's hour). */
  async advanceBudgets(input: { advanceSeconds: number }): Promise<SandboxResult<{ railway: BudgetView[] }>> {
    const parsed = advanceBudgetsSchema.safeParse(input);
    if (!parsed.success)
      return { ok: false, code: "invalid_request", message: "Invalid advance", details: issuesOf(parsed.error) };
    advanceBudgets(this.#world, parsed.data.advanceSeconds);
    return { ok: true, value: { railway: budgetViews(this.#world) } };
  }

  /** Removes every fault. */
  async clearFaults(): Promise<void> {
    clearFaults(this.#world);
  }

  /** Messages the sandbox Twilio accepted, newest first (`GET /sandbox/sms`). */
  async sms(): Promise<SentSms[]> {
    return outbox(this.#world);
  }

  /** Recorded provider requests, newest first. */
  async requests(query: RequestsQuery = {}): Promise<RecordedRequest[]> {
    return listRequests(this.#world, requestsQuerySchema.parse(query));
  }

  /** Pushes a new head commit to one service's repository (or every repository). */
  async addCommit(input: AddCommitInput = {}): Promise<SandboxResult<PushedCommit[]>> {
    const parsed = addCommitSchema.safeParse(input);
    if (!parsed.success)
      return { ok: false, code: "invalid_request", message: "Invalid commit", details: issuesOf(parsed.error) };
    return addCommits(this.#world, parsed.data);
  }

  /** Unmasked variables of one service in one environment (tests). */
  async variablesOf(envName: string, serviceName: string): Promise<Record<string, string>> {
    return variablesOf(this.#world, ...lookupSchema.parse([envName, serviceName]));
  }

  /** Deployments of one service in one environment, newest first (tests). */
  async deploymentsOf(envName: string, serviceName: string): Promise<DeploymentSummary[]> {
    advanceDeployments(this.#world);
    return deploymentsOf(this.#world, ...lookupSchema.parse([envName, serviceName]));
  }
}
