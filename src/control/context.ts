import type { Actor } from "../policy/approval";
import type { Services } from "./services";

/** What an application service is called with: the services, and who is asking. */
export interface ControlContext extends Services {
  actor: Actor;
}

/** The services acting for `actor`. */
export function controlContext(services: Services, actor: Actor): ControlContext {
  return { ...services, actor };
}
