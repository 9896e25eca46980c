/**
 * The traffic side of a run's canary as the engine needs it outside a step: drain to 0% when a run ends
 * early, push 0% the moment the judge decides on reported data, and end the split (hostname handed back)
 * however the run ends. Each goes through the router that made the split (load balancer or edge router),
 * at the request budget's critical priority, with its receipts kept in the run's artifacts.
 */
import { errorText } from "../../domain/errors";
import { EDGE_ROUTER_SECRET } from "../../domain/traffic";
import type { Receipt } from "../../providers/types";
import { appendReceipts } from "../artifacts";
import type { RunRecord } from "../store";
import type { EngineDeps } from "../types";

type Zone = { accountId: string; zoneId: string };

export class RunTraffic {
  constructor(private readonly deps: Pick<EngineDeps, "port" | "providers" | "store" | "artifacts">) {}

  /** A run that ends while its canary takes traffic must not leave users on the canary; true when it moved any. */
  async drain(run: RunRecord): Promise<boolean> {
    const { traffic, canary } = run.outputs;
    const zone = traffic && (await this.#zone(run));
    if (!traffic || !zone || !canary?.weight) return false;
    const receipts: Receipt[] = [];
    await (await this.#router(run, zone, receipts)).setCanaryWeight(traffic, 0);
    run.outputs.canary = { ...canary, weight: 0 };
    this.deps.store.saveOutputs(run);
    // The split itself (the edge router's route, a load balancer's hold on the hostname) ends with the run
    // (release), however it ends.
    if (receipts.length) await appendReceipts(this.deps.artifacts, run.id, "drain", receipts);
    return true;
  }

  /**
   * 0% now, without waiting for the step's next wake (the judge decided on the edge router's reports). The
   * run's outputs are the step's to write; this only moves traffic and keeps the receipts. False when the run
   * has no split to move.
   */
  async pushZero(run: RunRecord): Promise<boolean> {
    const { traffic } = run.outputs;
    const zone = traffic && (await this.#zone(run));
    if (!traffic || !zone) return false;
    const receipts: Receipt[] = [];
    try {
      await (await this.#router(run, zone, receipts)).setCanaryWeight(traffic, 0);
      return true;
    } finally {
      if (receipts.length) await appendReceipts(this.deps.artifacts, run.id, "rollback-push", receipts);
    }
  }

  /**
   * A canary's split borrowed the public hostname; whatever way the run ends, traffic goes back to stable and
   * the hostname back to its DNS record. A failure here never keeps the run from ending: the note says so, and
   * the next canary's split takes the hostname over again anyway.
   */
  async release(run: RunRecord): Promise<{ note: string; receipts: Receipt[] } | null> {
    const { traffic } = run.outputs;
    if (!traffic) return null;
    const receipts: Receipt[] = [];
    try {
      const zone = await this.#zone(run);
      if (!zone) return null;
      const { handedBack } = await (await this.#router(run, zone, receipts)).release(traffic);
      if (run.outputs.canary) run.outputs.canary = { ...run.outputs.canary, weight: 0 };
      this.deps.store.saveOutputs(run);
      return {
        note: handedBack
          ? `${traffic.hostname} handed back to its DNS record`
          : `${traffic.hostname} stays on the load balancer, all on stable (no DNS record to hand it to)`,
        receipts,
      };
    } catch (e) {
      return { note: `${traffic.hostname} not handed back: ${errorText(e)}`, receipts };
    }
  }

  async #zone(run: RunRecord): Promise<Zone | null> {
    return (await this.deps.port.loadEnv(run.plan.envId, run.plan.specRevision)).bindings.cloudflare ?? null;
  }

  async #router(run: RunRecord, zone: Zone, receipts: Receipt[]) {
    const envId = run.plan.envId;
    // Moving traffic off a canary is what a short Railway budget must never hold back.
    const providers = await this.deps.providers((r) => receipts.push(r), "critical");
    return providers.trafficFor(zone, {
      envId,
      routerSecret: () => this.deps.port.resolveSecret(envId, EDGE_ROUTER_SECRET),
    });
  }
}
