import Fastify, { type FastifyError, type FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { MAX_MESSAGE_BYTES, RescueError } from "../protocol/index.js";
import { healthRoutes } from "./health.js";
import { integrationRoutes } from "./integration/routes.js";
import type { HttpLimits } from "./limits/config.js";
import type { TrustProxy } from "./proxy.js";
import { adminRoutes } from "./routes/admin.js";
import { authRoutes } from "./routes/auth.js";
import { collaborationRoutes } from "./routes/collaboration.js";
import { deliveryRoutes } from "./routes/delivery.js";
import { sessionRoutes } from "./routes/sessions.js";
import type { Services } from "./services.js";
import type { TlsMaterial } from "./tls.js";
import { webRoutes } from "./web/routes.js";

/** Fastify errors that are the client's fault, mapped to protocol errors. */
function clientError(err: FastifyError): RescueError | undefined {
  if (err.code === "FST_ERR_CTP_BODY_TOO_LARGE") return new RescueError("payload_too_large", `bodies are limited to ${MAX_MESSAGE_BYTES} bytes`);
  if (err.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") return new RescueError("bad_request", "send JSON with content-type: application/json");
  if (err instanceof SyntaxError || err.code === "FST_ERR_CTP_INVALID_JSON_BODY") return new RescueError("bad_request", "malformed JSON body");
  if (typeof err.statusCode === "number" && err.statusCode >= 400 && err.statusCode < 500) return new RescueError("bad_request", err.message);
  return undefined;
}

/** A request URL fit for the log: PINs in customer and invitation links are masked (the session log is their only record). */
export function redactUrl(url: string): string {
  return url.replace(/^\/m\/\d+/, "/m/******").replace(/^\/collaborate\/\d+/, "/collaborate/******").replace(/([?&](?:pin|code)=)[^&]*/g, "$1******");
}

/**
 * The HTTP app: JSON only, bodies up to MAX_MESSAGE_BYTES, every error an ErrorBody. `trust`
 * says whose X-Forwarded-For makes request.ip; `http` bounds how long a request may take; with
 * `tls` it serves HTTPS (and so WSS) on the same port.
 */
export function createApp(logger: Logger, opts: { trust: TrustProxy; http: HttpLimits; tls?: TlsMaterial }): FastifyInstance {
  const { requestTimeoutMs, headersTimeoutMs, idleTimeoutMs, keepAliveTimeoutMs } = opts.http;
  const nodeHttp = {
    requestTimeout: requestTimeoutMs,
    headersTimeout: Math.min(headersTimeoutMs, requestTimeoutMs),
    // Node checks those timeouts on this beat (30 s by default).
    connectionsCheckingInterval: Math.max(250, Math.min(5_000, requestTimeoutMs / 4)),
  };
  const app = Fastify({
    loggerInstance: logger.child(
      {},
      {
        serializers: {
          req: (req: { method: string; url: string; ip?: string }) => ({ method: req.method, url: redactUrl(req.url), remoteAddress: req.ip }),
        },
      },
    ),
    bodyLimit: MAX_MESSAGE_BYTES,
    forceCloseConnections: true,
    trustProxy: opts.trust,
    // A client that trickles its headers or body is answered 408 and cut off.
    requestTimeout: requestTimeoutMs,
    connectionTimeout: idleTimeoutMs,
    keepAliveTimeout: keepAliveTimeoutMs,
    // Fastify hands `https` to https.createServer, which takes node's HTTP options beside TLS's.
    ...(opts.tls ? { https: { ...nodeHttp, cert: opts.tls.cert, key: opts.tls.key } } : { http: nodeHttp }),
  }) as unknown as FastifyInstance;

  // An empty body is no body, so `POST .../start` works with or without a JSON content type.
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === "") return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new RescueError("bad_request", "malformed JSON body"), undefined);
    }
  });

  app.setErrorHandler((err: FastifyError | RescueError, req, reply) => {
    const known = err instanceof RescueError ? err : clientError(err);
    if (!known) {
      req.log.error({ err }, "request failed");
      const internal = new RescueError("internal", "internal error");
      return reply.code(internal.httpStatus).send(internal.toBody());
    }
    return reply.code(known.httpStatus).send(known.toBody());
  });

  app.setNotFoundHandler((req, reply) => {
    const err = new RescueError("not_found", `no route ${req.method} ${req.url.split("?")[0]}`);
    return reply.code(err.httpStatus).send(err.toBody());
  });
  return app;
}

export function registerRoutes(app: FastifyInstance, services: Services): void {
  // The route's pattern, not its URL: customer links carry PINs, and patterns keep the label set small.
  app.addHook("onResponse", async (req, reply) => {
    services.metrics.httpDuration.observe({ method: req.method, route: req.routeOptions.url ?? "unmatched", status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  healthRoutes(app, services.readiness);
  authRoutes(app, services);
  sessionRoutes(app, services);
  collaborationRoutes(app, services);
  adminRoutes(app, services);
  integrationRoutes(app, services);
  deliveryRoutes(app, services);
  webRoutes(app, () => services.config.publicUrl);
}
