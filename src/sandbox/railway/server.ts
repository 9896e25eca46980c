/** Railway's GraphQL endpoint over the world: HTTP envelope, auth, graphql-js execution, error shape. */
import {
  buildSchema,
  executeSync,
  GraphQLError,
  parse,
  validate,
  type DocumentNode,
  type GraphQLSchema,
} from "graphql";
import { json } from "../http";
import { maskVariableValues } from "../request-log";
import { providerErrorBody } from "../provider-faults";
import { fingerprint, recordToken } from "../tokens";
import type { JsonValue } from "../types";
import type { World } from "../world/store";
import { authenticate, presentedToken } from "./auth";
import { spendRailwayBudget } from "./budget";
import type { RailwayContext, RootResolver } from "./context";
import { deploymentResolvers } from "./resolvers/deployments";
import { autoDeployResolvers } from "./resolvers/auto-deploy";
import { domainAndTemplateResolvers } from "./resolvers/domains";
import { projectResolvers } from "./resolvers/projects";
import { serviceResolvers } from "./resolvers/services";
import { trafficResolvers } from "./resolvers/traffic";
import { variableResolvers } from "./resolvers/variables";
import { RAILWAY_SDL } from "./schema";

export const RAILWAY_HOSTS = new Set(["backboard.railway.com", "backboard.railway.app"]);
export const RAILWAY_GRAPHQL_PATH = "/graphql/v2";

// Query and Mutation field names do not collide in our subset, so one root object serves both.
const ROOT: Record<string, RootResolver> = {
  ...projectResolvers,
  ...serviceResolvers,
  ...variableResolvers,
  ...deploymentResolvers,
  ...domainAndTemplateResolvers,
  ...trafficResolvers,
  ...autoDeployResolvers,
};

interface GraphqlBody {
  query: string;
  variables?: { [key: string]: JsonValue | undefined } | null;
  operationName?: string | null;
}

/** What the handler answered, plus the body as the request log should show it. */
export interface RailwayExchange {
  response: Response;
  logBody: JsonValue;
}

function parseBody(text: string): GraphqlBody | string {
  let parsed: JsonValue;
  try {
    parsed = JSON.parse(text) as JsonValue;
  } catch {
    return "Invalid JSON body";
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed) || typeof parsed.query !== "string") {
    return "Must provide query string.";
  }
  const vars = parsed.variables;
  const op = parsed.operationName;
  return {
    query: parsed.query,
    variables: typeof vars === "object" && vars !== null && !Array.isArray(vars) ? vars : null,
    operationName: typeof op === "string" ? op : null,
  };
}

/** How many distinct documents stay parsed and validated (the adapter sends a few dozen, over and over). */
const DOCUMENT_CACHE_SIZE = 256;

/** Serves `POST /graphql/v2`; the schema is built lazily, once per instance (one per SandboxDO). */
export class RailwayGraphqlServer {
  #schema: GraphQLSchema | null = null;
  /** Parsed, validated documents (or their errors) by source text; emptied when it reaches the size above. */
  #documents = new Map<string, DocumentNode | readonly GraphQLError[]>();

  get schema(): GraphQLSchema {
    this.#schema ??= buildSchema(RAILWAY_SDL);
    return this.#schema;
  }

  /** The document of `source`, or why it is not a valid Railway operation (syntax or validation errors). */
  #document(source: string): DocumentNode | readonly GraphQLError[] {
    const cached = this.#documents.get(source);
    if (cached) return cached;
    let prepared: DocumentNode | readonly GraphQLError[];
    try {
      const document = parse(source);
      const errors = validate(this.schema, document);
      prepared = errors.length ? errors : document;
    } catch (e) {
      prepared = [e instanceof GraphQLError ? e : new GraphQLError(String(e))];
    }
    if (this.#documents.size >= DOCUMENT_CACHE_SIZE) this.#documents.clear();
    this.#documents.set(source, prepared);
    return prepared;
  }

  /** The request body as the log shows it: {query, variables (values of Railway variables masked), operationName}. */
  describe(text: string): JsonValue {
    const body = parseBody(text);
    if (typeof body === "string") return text || null;
    return {
      query: body.query,
      variables: maskVariableValues(body.variables ?? null),
      operationName: body.operationName ?? null,
    };
  }

  /**
   * Answers one request synchronously, so a whole operation applies without interleaving. A presented
   * token is counted against its hourly budget before anything else (Railway rate-limits at the door), and
   * every answer to it carries the X-RateLimit headers.
   */
  handle(world: World, request: Request, text: string): RailwayExchange {
    const path = new URL(request.url).pathname;
    if (path !== RAILWAY_GRAPHQL_PATH)
      return { response: json(404, { errors: [{ message: "Not Found" }] }), logBody: text || null };
    if (request.method !== "POST") {
      return { response: json(405, { errors: [{ message: "Method Not Allowed" }] }, { allow: "POST" }), logBody: null };
    }
    const presented = presentedToken(request.headers);
    let rateHeaders: Record<string, string> = {};
    if (presented) {
      recordToken(world, presented.kind, presented.token);
      const budget = spendRailwayBudget(world, fingerprint(presented.token), presented.kind);
      rateHeaders = budget.headers;
      if (!budget.allowed)
        return { response: json(429, providerErrorBody("railway", 429), rateHeaders), logBody: this.describe(text) };
    }
    const body = parseBody(text);
    if (typeof body === "string")
      return { response: json(400, { errors: [{ message: body }] }, rateHeaders), logBody: text };
    const logBody = this.describe(text);
    const contextValue: RailwayContext = { world, auth: authenticate(world, presented) };
    const document = this.#document(body.query);
    const result =
      "kind" in document
        ? executeSync({
            schema: this.schema,
            document,
            rootValue: ROOT,
            contextValue,
            variableValues: body.variables ?? undefined,
            operationName: body.operationName ?? undefined,
          })
        : { errors: document, data: undefined };
    // GraphQL-level errors travel with HTTP 200 and data null (or partial), as Railway answers them.
    const payload = result.errors?.length
      ? { data: result.data ?? null, errors: result.errors.map((e) => e.toJSON()) }
      : { data: result.data ?? null };
    return { response: json(200, payload, rateHeaders), logBody };
  }
}
