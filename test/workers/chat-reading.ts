/** How the chat's language layer reads a message in the seed's world, for tests that check readings only. */
import type { LanguageContext } from "../../src/chat/language/context";
import { understand } from "../../src/chat/language/understand";
import type { Intent } from "../../src/domain/intent";

/** The names of `npm start`'s seed (API.md "Seed"). */
export const SEED_CONTEXT: LanguageContext = {
  project: "invoice-perfect",
  envs: ["local", "staging", "production"],
  localEnvs: ["local"],
  services: ["api", "web", "cron"],
  repos: { api: "invoice-perfect/api", web: "invoice-perfect/web", cron: "invoice-perfect/cron" },
  jobs: ["backfillTimezone", "fallbackTimezone"],
  secretNames: ["SENDGRID_API_KEY", "STRIPE_SECRET_KEY"],
};

/** The intents a message is read into; none when it is answered by a question, a refusal or the fallback. */
export function readIntents(text: string, context: LanguageContext = SEED_CONTEXT): Intent[] {
  const read = understand(text, context);
  return read.kind === "intents" ? read.intents : [];
}
