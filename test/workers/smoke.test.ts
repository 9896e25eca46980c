import { env, SELF } from "cloudflare:test";
import { expect, it } from "vitest";
it("serves and reaches a DO", async () => {
  expect(await (await SELF.fetch("http://x/")).text()).toBe("ok");
  const stub = env.ENVIRONMENTS.get(env.ENVIRONMENTS.idFromName("a"));
  expect(await stub.ping()).toBe("pong");
  await env.DB.prepare("insert into smoke (id) values (1)").run();
});
