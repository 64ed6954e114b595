import type { Server as HttpsServer } from "node:https";
import Fastify, { type FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { RescueError, type IceServer } from "../protocol/index.js";
import { createApp, registerRoutes } from "./app.js";
import type { Cluster } from "./bus/cluster.js";
import { redactedUrl } from "./bus/redis-url.js";
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
import { openStore, type StoreTarget } from "./store/open.js";
import { redactUrl } from "./store/postgres.js";
import type { Store } from "./store/types.js";
import { readTls, type TlsFiles } from "./tls.js";
import type { TurnConfig } from "./turn.js";
import { attachWebSockets } from "./ws/upgrade.js";

export type { Delivery, EmailCarrier, SmsCarrier } from "./delivery/carriers.js";
export type { Limits, LimitsOverride } from "./limits/config.js";
export { DEFAULT_TURN_TTL_SECONDS, type TurnConfig } from "./turn.js";

export interface StartServerOptions {
  /**
   * The data folder: the SQLite store's file when no `database` is given. With a database it is
   * optional; when given it is claimed for this process all the same (server.pid).
   */
  dataDir?: string;
  /** postgres://... : the store is this PostgreSQL database, shared by every node given it. */
  database?: string;
  host?: string;
  port?: number;
  /** Base of the links sent to customers; defaults to http://HOST:PORT. */
  publicUrl?: string;
  iceServers?: IceServer[];
  /** coturn relays with REST credentials (see turn.ts); each peer gets its own. */
  turn?: TurnConfig;
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
  /**
   * redis:// or rediss:// URL (`--redis`, RESCUE_REDIS_URL): the server is one of several nodes.
   * Pushes fan out over Redis pub/sub, presence and rate limits live in Redis. Without it all
   * of that stays in this process. The server refuses to start when Redis cannot be reached.
   */
  redis?: string;
  /** With `redis`: how long this node's presence entries outlive its last heartbeat (PRESENCE_TTL_MS, 15 s). */
  presenceTtlMs?: number;
  /** With `redis`: the prefix of every key and the bus channel ("rescue:"), for several services on one Redis. */
  redisPrefix?: string;
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

/** A node of the service; `node` is its id on the Redis bus when it has one. */
export interface RunningNode extends RunningServer {
  node?: string;
  /**
   * Stops as a crashed process would, for tests of a node's death: Redis is dropped without a
   * word (presence entries stay until they expire), sockets are cut, no session is touched,
   * no timer of this node fires again.
   */
  kill(): Promise<void>;
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
  // One server per data folder: a second would take the first one's live sessions for orphans.
  const release = opts.dataDir ? claimDataFolder(opts.dataDir) : () => undefined;
  let store: Store;
  // The node's logger exists once the store is open; a failed checkpoint (a full disk) is rare.
  let warn = (message: string): void => void process.stderr.write(`checkpoint failed: ${message}\n`);
  try {
    store = await openStore({ dataDir: opts.dataDir, database: opts.database }, { checkpointInWorker: true, onCheckpointError: (m) => warn(m) });
  } catch (err) {
    release();
    throw err;
  }
  const closeStore = async () => {
    await store.close();
    release();
  };
  let running: RunningNode;
  try {
    running = await startNode(store, opts);
    const log = running.log;
    warn = (message) => log.warn({ err: message }, "SQLite checkpoint failed; the next one tries again");
  } catch (err) {
    await closeStore();
    throw err;
  }
  return {
    url: running.url,
    port: running.port,
    ...(running.metricsUrl ? { metricsUrl: running.metricsUrl } : {}),
    log: running.log,
    reloadTls: () => running.reloadTls(),
    close: async () => {
      await running.close();
      await closeStore();
    },
  };
}

/**
 * One node of the service on a store that is open already (its owner closes it): HTTP API,
 * WebSockets, sweeps and, with `opts.redis`, the link to the other nodes. startServer opens the
 * store and calls this; tests run several nodes on one store with it.
 */
export async function startNode(store: Store, opts: Omit<StartServerOptions, "dataDir">): Promise<RunningNode> {
  const host = opts.host ?? "127.0.0.1";
  const now = opts.now ?? (() => new Date());
  const limits = limitsWith(opts.limits);
  const trust = trustProxy(opts.trustProxy ?? []);
  const logger = opts.logger ?? serverLogger({ level: opts.logLevel || process.env.RESCUE_LOG_LEVEL || "info", format: opts.logFormat });
  // A bad certificate throws here, before anything listens; startServer closes the store.
  const tls = opts.tls ? readTls(opts.tls) : undefined;
  const app = createApp(logger, { trust, http: limits.http, tls });
  capConnections(app.server, limits.http, (address) => trust !== false && trust(address, 0));
  const config = { iceServers: opts.iceServers ?? [], publicUrl: opts.publicUrl ?? "", ...(opts.turn ? { turn: opts.turn } : {}) };
  // ioredis is loaded only by a node that uses it.
  const cluster: Cluster | undefined = opts.redis
    ? await (await import("./bus/cluster.js")).Cluster.connect(opts.redis, app.log, { ...(opts.presenceTtlMs ? { presenceTtlMs: opts.presenceTtlMs } : {}), ...(opts.redisPrefix ? { prefix: opts.redisPrefix } : {}) })
    : undefined;
  const services = buildServices({ store, now, config, limits, delivery: opts.delivery, log: app.log, customerGraceMs: opts.customerGraceMs, cluster });
  const { hub, sessions } = services;
  // A node whose Redis is gone refuses limited actions: the load balancer should skip it.
  if (cluster) services.readiness.add("redis", async () => void (await cluster.redis.ping()));
  registerRoutes(app, services);
  if (cluster) {
    app.log.info({ redis: redactedUrl(opts.redis!), node: cluster.node }, "one of several nodes: events, presence and limits in Redis");
  } else if (store.engine === "postgres") {
    // Without Redis no node knows which node holds a customer's socket: other nodes may be
    // serving these customers right now, so none of them is taken for an orphan of this process.
    app.log.info({ database: redactUrl(opts.database!) }, "store: PostgreSQL without Redis; customers of other nodes are left as they are");
  } else {
    // Alone, every customer who had joined was connected to the previous process. With other
    // nodes, only those no live node holds are lost: the sweep finds them (lostCustomersAway).
    const orphans = await sessions.orphansAway();
    if (orphans > 0) {
      const grace = sessions.customerGraceMs;
      app.log.warn(
        grace > 0
          ? `${orphans} session(s) had customers connected to the previous server process; they may reconnect within ${Math.round(grace / 1000)} s`
          : `aborted ${orphans} session(s) whose customers were connected to the previous server process`,
      );
    }
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
    await hub.start();
    await app.listen({ host, port: opts.port ?? 0 });
    await metricsApp?.listen({ host: opts.metrics?.host ?? "127.0.0.1", port: opts.metrics?.port ?? 0 });
  } catch (err) {
    await app.close();
    await metricsApp?.close();
    await hub.stop();
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

  // Deadlines (PIN expiry, a customer's grace period) are swept from the store, so they hold
  // even when the node that armed a timer died. With several nodes one node at a time sweeps:
  // it holds the lease while it lives, another takes over within three intervals after it dies.
  const sweepMs = opts.sweepIntervalMs ?? 5_000;
  const sweepOnce = async () => {
    services.socketBuckets.prune();
    services.buckets.prune();
    // Without Redis no node can hold the lease: each sweeps deadlines itself rather than none.
    const lease = await hub.lease("sweep", sweepMs * 3).catch(() => "unreachable" as const);
    if (!lease) return;
    await Promise.all([sessions.sweep(), services.auth.sweep()]);
    if (!cluster || lease === "unreachable") return;
    const lost = await sessions.lostCustomersAway((ids) => hub.customersGone(ids));
    if (lost > 0) app.log.warn({ sessions: lost }, "customers of a server node that stopped are away; they may reconnect to any node");
  };
  const sweep = setInterval(() => {
    if (!stopping) sweepOnce().catch((err: unknown) => app.log.error({ err }, "sweep failed"));
  }, sweepMs);
  sweep.unref();

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    ...(cluster ? { node: cluster.node } : {}),
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
        await sessions.idle();
        sessions.stopTimers();
        await hub.stop();
      })()),
    kill: () =>
      (closing ??= (async () => {
        stopping = true;
        clearInterval(sweep);
        cluster?.kill();
        sessions.stopTimers();
        await closeSockets({ cut: true });
        await app.close();
        await sessions.idle();
        sessions.stopTimers();
      })()),
  };
}

/** Creates the store, an Administrators group with every permission and the first admin. */
export async function initData(dataDir: string, adminEmail: string = DEFAULT_ADMIN_EMAIL): Promise<{ email: string; password: string }> {
  return initStore({ dataDir }, adminEmail);
}

/** initData for either engine: the SQLite file in `dataDir`, or the PostgreSQL `database`. Throws conflict when an admin exists. */
export async function initStore(target: StoreTarget, adminEmail: string = DEFAULT_ADMIN_EMAIL): Promise<{ email: string; password: string }> {
  const store = await openStore(target);
  try {
    return await new Organisation(store, () => new Date()).initAdmin(adminEmail);
  } finally {
    await store.close();
  }
}
