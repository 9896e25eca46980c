/**
 * The console's client, an ES module served as text. Hand-written on purpose (no framework: about 70 KB
 * unminified, less than a framework's runtime alone, and nothing to audit but our own code): DOM calls and
 * textContent only, so nothing a server, a provider or a person typed can become markup.
 * Kept inside String.raw, so it must use neither backticks nor dollar-brace.
 */
import { CHAT_JS as CONVERSATION_JS } from "./client/chat";
import { CORE_JS } from "./client/core";
import { PAGES_JS } from "./client/pages";
import { PANELS_JS } from "./client/panels";
import { RUNS_JS } from "./client/runs";
import { SETTINGS_JS } from "./client/settings";

/** The whole client script, in one scope: its parts only split the source by job. */
export const CHAT_JS = [CORE_JS, CONVERSATION_JS, RUNS_JS, PAGES_JS, SETTINGS_JS, PANELS_JS].join("\n");
