import { Hono } from "hono";
import {
  CreateToken,
  CreateUser,
  UpdateUser,
  createToken,
  createUser,
  listTokens,
  listUsers,
  removeUser,
  revokeToken,
  updateUser,
} from "../../control/users";
import type { AppEnv } from "../auth";
import { readJson } from "../errors";

/** Users and tokens (API.md "Users and tokens"). */
export const peopleRoutes = new Hono<AppEnv>()
  .post("/users", async (c) => {
    const input = await readJson(c, CreateUser);
    const { user, token, tokenId } = await createUser(c.var.cx, input);
    return c.json({ user, token, tokenId }, 201);
  })
  .get("/users", async (c) => c.json({ users: await listUsers(c.var.cx) }))
  .patch("/users/:id", async (c) => {
    const input = await readJson(c, UpdateUser);
    return c.json({ user: await updateUser(c.var.cx, c.req.param("id"), input) });
  })
  .delete("/users/:id", async (c) => {
    await removeUser(c.var.cx, c.req.param("id"));
    return c.body(null, 204);
  })
  .post("/users/:id/tokens", async (c) => {
    const input = await readJson(c, CreateToken);
    return c.json(await createToken(c.var.cx, c.req.param("id"), input), 201);
  })
  .get("/tokens", async (c) => c.json({ tokens: await listTokens(c.var.cx) }))
  .delete("/tokens/:id", async (c) => {
    await revokeToken(c.var.cx, c.req.param("id"));
    return c.body(null, 204);
  });
