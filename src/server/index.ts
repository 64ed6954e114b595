import type { Server as HttpsServer } from "node:https";
import Fastify, { type FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { RescueError, type IceServer } from "../protocol/index.js";
import { createApp, registerRoutes } from "./app.js";
import type { Delivery } from "./delivery/carriers.js";
import { capConnections } from "./connections.js";
import { publicUrlProblem } from "./exposure.js";
import { healthRoutes, metricsRoute } from "./health.js";
import { limitsWith, type LimitsOverride } from "./limits/config.js";
import { DEFAULT_ADMIN_EMAIL, Organisation } from "./org.js";
import { serverLogger, type LogFormat } from "./log.js";
import { trustProxy } from "./proxy.js";
import { buildServices } from "./services.js";
import { claimDataFolder } from "./store/data-lock.js";
import { openSqliteStore } from "./store/sqlite.js";
import { readTls, type TlsFiles } from "./tls.js";
import { attachWebSockets } from "./ws/upgrade.js";

export type { Delivery, EmailCarrier, SmsCarrier } from "./delivery/carriers.js";
export type { Limits, LimitsOverride } from "./limits/config.js";

export interface StartServerOptions {
  dataDir: string;
  host?: string;
  port?: number;
  /** Base of the links sent to customers; defaults to http://HOST:PORT. */
  publicUrl?: string;
  iceServers?: IceServer[];
  /** Real carriers; anything left out records to the store's outbox. */
  delivery?: Partial<Delivery>;
  /** The clock, for tests of PIN expiry. */
  now?: () => Date;
  /** Any limit lowered or raised; the rest keep DEFAULT_LIMITS (src/server/limits/config.ts). */
  limits?: LimitsOverride;
  /**
   * Proxies (addresses, CIDRs) whose X-Forwarded-For names the client, for limits and logs.
   * None by default: the socket's peer is the client and the header is ignored.
   */
  trustProxy?: string[];
  /** pino level for the structured log on stderr; RESCUE_LOG_LEVEL or info by default. */
  logLevel?: string;
  /** JSON lines or readable lines; by default readable on a terminal, JSON otherwise. */
  logFormat?: LogFormat;
  /** A logger to use instead of one made from logLevel and logFormat. */
  logger?: Logger;
  /** Serve HTTPS and WSS with this PEM certificate and key; `reloadTls` reads them again. */
  tls?: TlsFiles;
  /**
   * A second listener for GET /metrics (and /healthz, /readyz), unauthenticated, so on loopback
   * (127.0.0.1) unless `host` says otherwise. /metrics is never served on the public port.
   */
  metrics?: { host?: string; port: number };
  /** How often expired PINs are swept. */
  sweepIntervalMs?: number;
  /** How long a customer socket may stay open without joining. */
  joinTimeoutMs?: number;
  /**
   * Ping interval on every WebSocket (customers and technicians' daemons): a peer that answers no
   * ping for twice this long is taken as gone. Default 10 s: a vanished customer is found in 20 s.
   */
  heartbeatMs?: number;
  /**
   * How long a customer whose connection dropped may come back before their session is aborted
   * (CUSTOMER_GRACE_MS, 120 s, by default; 0 aborts at once).
   */
  customerGraceMs?: number;
}

export interface RunningServer {
  /** http://HOST:PORT, or https:// with TLS. */
  url: string;
  port: number;
  /** http://HOST:PORT of the metrics listener, when there is one. */
  metricsUrl?: string;
  log: Logger;
  /**
   * Reads the TLS files again and serves new connections with them (open ones keep theirs).
   * Throws RescueError bad_request, keeping the current certificate, when they do not load.
   */
  reloadTls(): void;
  close(): Promise<void>;
}

/** The less talkative of two pino levels: scrapes every 15 s would drown the log in request lines. */
function quieter(a: string, b: string): string {
  const rank = ["trace", "debug", "info", "warn", "error", "fatal", "silent"];
  return rank.indexOf(a) > rank.indexOf(b) ? a : b;
}

function urlHost(host: string): string {
  if (host === "0.0.0.0" || host === "::") return "127.0.0.1";
  return host.includes(":") ? `[${host}]` : host;
}

export async function startServer(opts: StartServerOptions): Promise<RunningServer> {
  const host = opts.host ?? "127.0.0.1";
  const now = opts.now ?? (() => new Date());
  // One server per data folder: a second would take the first one's live sessions for orphans.
  const release = claimDataFolder(opts.dataDir);
  const store = openSqliteStore(opts.dataDir);
  const limits = limitsWith(opts.limits);
  const trust = trustProxy(opts.trustProxy ?? []);
  const logger = opts.logger ?? serverLogger({ level: opts.logLevel || process.env.RESCUE_LOG_LEVEL || "info", format: opts.logFormat });
  let tls;
  try {
    tls = opts.tls ? readTls(opts.tls) : undefined;
  } catch (err) {
    store.close();
    release();
    throw err;
  }
  const app = createApp(logger, { trust, http: limits.http, tls });
  capConnections(app.server, limits.http, (address) => trust !== false && trust(address, 0));
  const config = { iceServers: opts.iceServers ?? [], publicUrl: opts.publicUrl ?? "" };
  const services = buildServices({ store, now, config, limits, delivery: opts.delivery, log: app.log, customerGraceMs: opts.customerGraceMs });
  registerRoutes(app, services);
  const orphans = await services.sessions.orphansAway();
  if (orphans > 0) {
    const grace = services.sessions.customerGraceMs;
    app.log.warn(
      grace > 0
        ? `${orphans} session(s) had customers connected to the previous server process; they may reconnect within ${Math.round(grace / 1000)} s`
        : `aborted ${orphans} session(s) whose customers were connected to the previous server process`,
    );
  }
  let stopping = false;
  const closeSockets = attachWebSockets(app.server, services, {
    stopping: () => stopping,
    joinTimeoutMs: opts.joinTimeoutMs ?? 30_000,
    heartbeatMs: opts.heartbeatMs ?? 10_000,
    trust,
  });

  const metricsApp = opts.metrics
    ? (Fastify({ loggerInstance: logger.child({ listener: "metrics" }, { level: quieter(logger.level, "warn") }), forceCloseConnections: true }) as unknown as FastifyInstance)
    : undefined;
  if (metricsApp) {
    healthRoutes(metricsApp, services.readiness);
    metricsRoute(metricsApp, services.metrics);
  }
  try {
    await app.listen({ host, port: opts.port ?? 0 });
    await metricsApp?.listen({ host: opts.metrics?.host ?? "127.0.0.1", port: opts.metrics?.port ?? 0 });
  } catch (err) {
    await app.close();
    await metricsApp?.close();
    store.close();
    release();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : (opts.port ?? 0);
  const url = `${tls ? "https" : "http"}://${urlHost(host)}:${port}`;
  config.publicUrl ||= url;
  const problem = publicUrlProblem(host, config.publicUrl);
  if (problem) app.log.warn({ host, publicUrl: config.publicUrl }, `CUSTOMER LINKS WILL NOT WORK: ${problem}`);
  const metricsAddress = metricsApp?.server.address();
  const metricsUrl = metricsAddress && typeof metricsAddress === "object" ? `http://${urlHost(opts.metrics?.host ?? "127.0.0.1")}:${metricsAddress.port}` : undefined;

  const sweep = setInterval(() => {
    Promise.all([services.sessions.sweep(), services.auth.sweep()]).catch((err: unknown) => app.log.error({ err }, "sweep failed"));
    services.buckets.prune();
  }, opts.sweepIntervalMs ?? 5_000);
  sweep.unref();

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    ...(metricsUrl ? { metricsUrl } : {}),
    log: logger,
    reloadTls() {
      if (!opts.tls) throw new RescueError("bad_request", "this server was started without --tls-cert and --tls-key");
      (app.server as unknown as HttpsServer).setSecureContext(readTls(opts.tls));
    },
    close: () =>
      (closing ??= (async () => {
        stopping = true;
        clearInterval(sweep);
        await closeSockets();
        await app.close();
        await metricsApp?.close();
        // Queued session writes finish before the store closes.
        await services.sessions.idle();
        store.close();
        release();
      })()),
  };
}

/** Creates the store, an Administrators group with every permission and the first admin. */
export async function initData(dataDir: string, adminEmail: string = DEFAULT_ADMIN_EMAIL): Promise<{ email: string; password: string }> {
  const store = openSqliteStore(dataDir);
  try {
    return await new Organisation(store, () => new Date()).initAdmin(adminEmail);
  } finally {
    store.close();
  }
}
