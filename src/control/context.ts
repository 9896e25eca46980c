import type { Actor } from "../policy/approval";
import type { Services } from "./services";

/** What an application service is called with: the services, and who is asking (with which token). */
export interface ControlContext extends Services {
  actor: Actor;
  /** The API token the request came with (its live sockets and streams close when it is revoked). */
  tokenId?: string;
}

/** The services acting for `actor`. */
export function controlContext(services: Services, actor: Actor, tokenId?: string): ControlContext {
  return { ...services, actor, ...(tokenId ? { tokenId } : {}) };
}
