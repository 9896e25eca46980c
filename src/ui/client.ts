/**
 * The web chat's client, an ES module served as text. Hand-written on purpose (no framework, ~15 KB):
 * DOM calls and textContent only, so nothing a server, a provider or a person typed can become markup.
 * Kept inside String.raw, so it must use neither backticks nor dollar-brace.
 */
import { CORE_JS } from "./client/core";
import { PANELS_JS } from "./client/panels";
import { RUNS_JS } from "./client/runs";

/** The whole client script, in one scope: its parts only split the source by job. */
export const CHAT_JS = [CORE_JS, RUNS_JS, PANELS_JS].join("\n");
