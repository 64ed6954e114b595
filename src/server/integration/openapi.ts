import * as z from "zod";
import {
  ApiKey,
  CreateApiKeyRequest,
  CreatedApiKey,
  ErrorBody,
  IntegrationSession,
  IntegrationSessionRequest,
} from "../../protocol/index.js";

/** A protocol schema as an OpenAPI 3.1 schema object (JSON Schema 2020-12). */
function schema(s: z.ZodType, io: "input" | "output"): Record<string, unknown> {
  const { $schema: _, ...rest } = z.toJSONSchema(s, { io, unrepresentable: "any" }) as Record<string, unknown>;
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: string) => ({ "application/json": { schema: ref(name) } });
const error = (description: string) => ({ description, content: json("Error") });

const keyAuth = [{ apiKey: [] }];
const tokenAuth = [{ loginToken: [] }];

/** The integration API as OpenAPI 3.1, built from the protocol's zod schemas so it cannot drift. */
export function openApiDocument(serverUrl: string, perKeyPerMinute: number): Record<string, unknown> {
  const limited = {
    description:
      `Too many requests for this key (at most ${perKeyPerMinute} a minute; wait Retry-After seconds), too many new sessions or PINs` +
      " for the technician (rate_limited, details.retryAfterSeconds), or too many waiting sessions or live PINs (quota_exceeded: end some first)",
    headers: { "Retry-After": { schema: { type: "integer" }, description: "seconds until the window resets" } },
    content: json("Error"),
  };
  return {
    openapi: "3.1.0",
    info: {
      title: "Rescue contact-center integration API",
      version: "1.0.0",
      description:
        "Create Rescue Lens sessions (the customer's camera) or desktop sessions (the customer shares their screen, " +
        "the technician views it) from a chat or CRM system. Each call acts as the technician who owns the API key, " +
        "with their group's permissions (lens for Lens sessions, private, link). Keys are created and revoked by the technician " +
        "(`rescue apikey create|revoke`, or the /api/v1/apikeys routes with a login token) and shown once.",
    },
    servers: [{ url: serverUrl }],
    components: {
      securitySchemes: {
        apiKey: { type: "http", scheme: "bearer", description: "A technician's API key, rk_..." },
        loginToken: { type: "http", scheme: "bearer", description: "A technician's login token from POST /api/v1/auth/login" },
      },
      schemas: {
        IntegrationSessionRequest: schema(IntegrationSessionRequest, "input"),
        IntegrationSession: schema(IntegrationSession, "output"),
        CreateApiKeyRequest: schema(CreateApiKeyRequest, "input"),
        ApiKey: schema(ApiKey, "output"),
        CreatedApiKey: schema(CreatedApiKey, "output"),
        Error: schema(ErrorBody, "output"),
      },
    },
    paths: {
      "/api/v1/integration/sessions": {
        post: {
          operationId: "createSession",
          summary: "Create a Lens (camera) or desktop (screen viewing) session: PIN, desktop link, mobile link, PIN-entry URL and expiry",
          security: keyAuth,
          requestBody: { required: false, content: json("IntegrationSessionRequest") },
          responses: {
            "201": { description: "The session, waiting for the customer", content: json("IntegrationSession") },
            "400": error("Malformed request"),
            "401": error("Missing, invalid or revoked API key"),
            "403": error("The technician's group lacks a needed permission"),
            "429": limited,
          },
        },
      },
      "/api/v1/integration/sessions/{id}/pin": {
        post: {
          operationId: "createAnotherPin",
          summary: "Issue another PIN for the same session (before the customer joins); the old one stops working",
          security: keyAuth,
          parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
          responses: {
            "200": { description: "The session with its new PIN", content: json("IntegrationSession") },
            "401": error("Missing, invalid or revoked API key"),
            "404": error("No such session of this technician"),
            "409": error("The customer has already joined or the session has ended"),
            "429": limited,
          },
        },
      },
      "/api/v1/apikeys": {
        get: {
          operationId: "listApiKeys",
          summary: "The caller's API keys (never the keys themselves)",
          security: tokenAuth,
          responses: {
            "200": { description: "Keys, newest first", content: { "application/json": { schema: { type: "array", items: ref("ApiKey") } } } },
            "401": error("Not logged in"),
          },
        },
        post: {
          operationId: "createApiKey",
          summary: "Create an API key; the key is in this response only",
          security: tokenAuth,
          requestBody: { required: true, content: json("CreateApiKeyRequest") },
          responses: {
            "201": { description: "The new key", content: json("CreatedApiKey") },
            "400": error("Malformed request"),
            "401": error("Not logged in"),
            "409": error("Too many live keys"),
          },
        },
      },
      "/api/v1/apikeys/{id}": {
        delete: {
          operationId: "revokeApiKey",
          summary: "Revoke an API key at once",
          security: tokenAuth,
          parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
          responses: { "204": { description: "Revoked" }, "401": error("Not logged in"), "404": error("No live key with this id") },
        },
      },
    },
  };
}
