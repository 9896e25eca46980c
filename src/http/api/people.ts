import { Hono } from "hono";
import { controlContext } from "../../control/context";
import { CreateUser, createUser, listUsers, revokeToken } from "../../control/users";
import type { AppEnv } from "../auth";
import { readJson } from "../errors";

/** Users and tokens (API.md "Users and tokens"). */
export const peopleRoutes = new Hono<AppEnv>()
  .post("/users", async (c) => {
    const input = await readJson(c, CreateUser);
    const { user, token } = await createUser(controlContext(c.env, c.get("actor")), input);
    return c.json({ user, token }, 201);
  })
  .get("/users", async (c) => c.json({ users: await listUsers(controlContext(c.env, c.get("actor"))) }))
  .delete("/tokens/:id", async (c) => {
    await revokeToken(controlContext(c.env, c.get("actor")), c.req.param("id"));
    return c.body(null, 204);
  });
