import { Hono } from "hono";
import { CreateUser, createUser, listUsers, revokeToken } from "../../control/users";
import type { AppEnv } from "../auth";
import { readJson } from "../errors";

/** Users and tokens (API.md "Users and tokens"). */
export const peopleRoutes = new Hono<AppEnv>()
  .post("/users", async (c) => {
    const input = await readJson(c, CreateUser);
    const { user, token } = await createUser(c.var.cx, input);
    return c.json({ user, token }, 201);
  })
  .get("/users", async (c) => c.json({ users: await listUsers(c.var.cx) }))
  .delete("/tokens/:id", async (c) => {
    await revokeToken(c.var.cx, c.req.param("id"));
    return c.body(null, 204);
  });
