/**
 * The dev entry's composition: the production services, with the sandbox world standing in for every
 * provider when `SANDBOX=1` (what `npm start` and the tests set). Nothing in the production entry imports
 * this file, which is what keeps the sandbox out of the deployed bundle.
 */
import type { SandboxDO } from "../../durable-objects/sandbox";
import type { Services } from "../control/services";
import { sandboxFetch } from "../sandbox/client";
import { SANDBOX_RAILWAY_ACCOUNT_TOKEN } from "../sandbox/railway/auth";
import { parseTimeScale } from "../sandbox/world/store";
import { appServices as composeServices, type SimulatedWorld } from "../wiring";

/** The sandbox Twilio account (any AC… id is accepted there). */
const SANDBOX_TWILIO_SID = `AC${"0".repeat(32)}`;

/** The sandbox world's Durable Object stub (one world per deployment). */
export function sandboxWorld(env: Env): DurableObjectStub<SandboxDO> {
  if (!env.SANDBOX_WORLD) throw new Error("this Worker has no SANDBOX_WORLD binding (run the dev entry)");
  // wrangler types names the class only for the main (production) entry, which has no SandboxDO.
  return env.SANDBOX_WORLD.getByName("world") as unknown as DurableObjectStub<SandboxDO>;
}

/** The sandbox as the providers' world when SANDBOX=1, else the real providers. */
export function selectSandbox(env: Env): SimulatedWorld | null {
  if (env.SANDBOX !== "1") return null;
  const stub = () => sandboxWorld(env);
  return {
    // Follows redirects as the real fetch would (a Flexible-SSL zone's loop surfaces as a TypeError).
    fetch: sandboxFetch(stub()),
    timeScale: parseTimeScale(env.SANDBOX_TIME_SCALE),
    credentials: {
      railway: SANDBOX_RAILWAY_ACCOUNT_TOKEN,
      cloudflare: "sandbox-cloudflare-token",
      twilioAccountSid: SANDBOX_TWILIO_SID,
    },
    stub,
  };
}

/** The application's services as the dev entry builds them. */
export function appServices(env: Env): Services {
  return composeServices(env, selectSandbox);
}

/** `fetch` for provider calls as the dev entry's adapters get it (tests call providers with it directly). */
export function providerFetch(env: Env): typeof fetch {
  return selectSandbox(env)?.fetch ?? ((input, init) => fetch(input, init));
}
