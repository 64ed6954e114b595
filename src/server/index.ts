import type { IceServer } from "../protocol/index.js";
import { createApp, registerRoutes } from "./app.js";
import type { Delivery } from "./delivery/carriers.js";
import { capConnections } from "./connections.js";
import { limitsWith, type LimitsOverride } from "./limits/config.js";
import { DEFAULT_ADMIN_EMAIL, Organisation } from "./org.js";
import { trustProxy } from "./proxy.js";
import { buildServices } from "./services.js";
import { claimDataFolder } from "./store/data-lock.js";
import { openSqliteStore } from "./store/sqlite.js";
import type { TurnConfig } from "./turn.js";
import { attachWebSockets } from "./ws/upgrade.js";

export type { Delivery, EmailCarrier, SmsCarrier } from "./delivery/carriers.js";
export type { Limits, LimitsOverride } from "./limits/config.js";
export { DEFAULT_TURN_TTL_SECONDS, type TurnConfig } from "./turn.js";

export interface StartServerOptions {
  dataDir: string;
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
  url: string;
  port: number;
  close(): Promise<void>;
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
  const app = createApp(opts.logLevel ?? process.env.RESCUE_LOG_LEVEL ?? "info", { trust, http: limits.http });
  capConnections(app.server, limits.http, (address) => trust !== false && trust(address, 0));
  const config = { iceServers: opts.iceServers ?? [], publicUrl: opts.publicUrl ?? "", ...(opts.turn ? { turn: opts.turn } : {}) };
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

  try {
    await app.listen({ host, port: opts.port ?? 0 });
  } catch (err) {
    store.close();
    release();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : (opts.port ?? 0);
  const url = `http://${urlHost(host)}:${port}`;
  config.publicUrl ||= url;

  const sweep = setInterval(() => {
    Promise.all([services.sessions.sweep(), services.auth.sweep()]).catch((err: unknown) => app.log.error({ err }, "sweep failed"));
    services.buckets.prune();
  }, opts.sweepIntervalMs ?? 5_000);
  sweep.unref();

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    close: () =>
      (closing ??= (async () => {
        stopping = true;
        clearInterval(sweep);
        await closeSockets();
        await app.close();
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
