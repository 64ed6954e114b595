import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import * as z from "zod";
import {
  CreateApiKeyRequest,
  Id,
  IntegrationSessionRequest,
  RescueError,
  type IntegrationSession,
  Language,
  type Session,
} from "../../protocol/index.js";
import { parseInput } from "../routes/parse.js";
import type { Services } from "../services.js";
import type { KeyCaller } from "./keys.js";
import { openApiDocument } from "./openapi.js";

const IdParams = z.object({ id: Id });

/** The links of a session, opening the customer pages in the given language. */
function withLanguage(url: string, language: Language): string {
  if (language === "en") return url;
  const u = new URL(url);
  u.searchParams.set("lang", language);
  return u.toString();
}

function integrationView(session: Session, language: Language): IntegrationSession {
  if (!session.pin || !session.links || !session.expiresAt) throw new RescueError("conflict", `session ${session.id} has no live PIN`);
  const { desktop, mobile, pinEntry } = session.links;
  return {
    sessionId: session.id,
    pin: session.pin,
    links: { desktop: withLanguage(desktop, language), mobile: withLanguage(mobile, language), pinEntry: withLanguage(pinEntry, language) },
    expiresAt: session.expiresAt,
  };
}

export function integrationRoutes(app: FastifyInstance, s: Services): void {
  const technician = (req: FastifyRequest) => s.auth.authenticate(req.headers.authorization);

  app.post("/api/v1/apikeys", async (req, reply) => {
    const who = await technician(req);
    const created = await s.apiKeys.create(who, parseInput(CreateApiKeyRequest, req.body).name);
    req.log.info({ technician: who.technician.email, keyId: created.id, prefix: created.prefix }, "api key created");
    return reply.code(201).send(created);
  });

  app.get("/api/v1/apikeys", async (req) => s.apiKeys.list(await technician(req)));

  app.delete("/api/v1/apikeys/:id", async (req, reply) => {
    const who = await technician(req);
    const { id } = parseInput(IdParams, req.params, "path");
    await s.apiKeys.revoke(who, id);
    req.log.info({ technician: who.technician.email, keyId: id }, "api key revoked");
    return reply.code(204).send();
  });

  /**
   * The key's technician, counted against the key's rate limit. Runs on the request head (onRequest),
   * before the body is parsed: every request with the key counts, a refused one (bad JSON, bad body,
   * bad id) as much as a good one, so a client looping on a bad request is slowed down too.
   */
  const callers = new WeakMap<FastifyRequest, KeyCaller>();
  const countKey = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const who = await s.apiKeys.authenticate(req.headers.authorization);
    const rate = { burst: s.limits.integration.perKey, windowMs: s.limits.integration.windowMs };
    if (!(await s.buckets.take(`apikey:${who.keyId}`, rate))) {
      const waitMs = await s.buckets.waitMs(`apikey:${who.keyId}`, rate);
      const seconds = Math.max(1, Math.ceil(waitMs / 1000));
      reply.header("retry-after", String(seconds));
      req.log.warn({ keyId: who.keyId, technician: who.technician.email }, "api key rate limited");
      throw new RescueError("rate_limited", `too many requests with this API key; retry in ${seconds} s`, { retryAfterSeconds: seconds });
    }
    callers.set(req, who);
  };
  const keyCaller = (req: FastifyRequest): KeyCaller => {
    const who = callers.get(req);
    if (!who) throw new RescueError("unauthenticated", "missing, invalid or revoked API key");
    return who;
  };

  app.post("/api/v1/integration/sessions", { onRequest: countKey }, async (req, reply) => {
    const who = keyCaller(req);
    const body = parseInput(IntegrationSessionRequest, req.body);
    const session = await s.sessions.create(who, {
      type: body.type,
      mode: body.mode,
      method: "link",
      language: body.language,
      ...(body.name ? { name: body.name } : {}),
    }, "integration");
    req.log.info({ sessionId: session.id, technician: who.technician.email, keyId: who.keyId }, "session created by integration");
    return reply.code(201).send(integrationView(session, body.language));
  });

  app.post("/api/v1/integration/sessions/:id/pin", { onRequest: countKey }, async (req) => {
    const who = keyCaller(req);
    const { id } = parseInput(IdParams, req.params, "path");
    const language = parseInput(z.object({ lang: Language.default("en") }), req.query, "query").lang;
    return integrationView(await s.sessions.regeneratePin(who, id, "integration"), language);
  });

  app.get("/api/v1/openapi.json", async () => openApiDocument(s.config.publicUrl, s.limits.integration.perKey));
}
