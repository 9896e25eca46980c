import { Hono } from "hono";
import { DurableObject } from "cloudflare:workers";
export class EnvironmentDO extends DurableObject<Env> { async ping() { return "pong"; } }
export class SandboxDO extends DurableObject<Env> {}
const app = new Hono<{ Bindings: Env }>();
app.get("/", (c) => c.text("ok"));
export default { fetch: app.fetch } satisfies ExportedHandler<Env>;
