import { buildApp } from "../http/app";
import { sandboxRoutes } from "../http/sandbox";
import { selectSandbox } from "./wiring";

/** The dev entry's HTTP surface: the production app with the sandbox world and its /sandbox routes. */
export function buildDevApp() {
  return buildApp({ selectWorld: selectSandbox, mount: (root) => root.route("/sandbox", sandboxRoutes) });
}
