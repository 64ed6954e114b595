import type { FastifyBaseLogger } from "fastify";
import { RescueError, type IceServer } from "../protocol/index.js";
import { AuthService, type Caller } from "./auth/service.js";
import { outboxDelivery, type Delivery } from "./delivery/carriers.js";
import { Readiness } from "./health.js";
import { ApiKeyService } from "./integration/keys.js";
import type { Cluster } from "./bus/cluster.js";
import { MemoryBuckets, type BucketStore } from "./limits/buckets.js";
import type { Limits } from "./limits/config.js";
import { PinGuard } from "./limits/pin-guard.js";
import { RedisBuckets } from "./limits/redis-buckets.js";
import { CustomerContacts } from "./ws/customer-contacts.js";
import { Metrics } from "./metrics.js";
import { Offboarding } from "./offboarding.js";
import { Organisation } from "./org.js";
import { CollaborationService } from "./sessions/collaboration.js";
import { SessionService } from "./sessions/service.js";
import type { Store } from "./store/types.js";
import { iceServersFor, type TurnConfig } from "./turn.js";
import { Hub } from "./ws/hub.js";

export { DEFAULT_LIMITS, type Limits } from "./limits/config.js";

export interface ServerConfig {
  /** Handed to every peer as they are (STUN, or TURN with fixed credentials). */
  iceServers: IceServer[];
  /** coturn relays: each peer gets its own short-lived credential, never the secret. */
  turn?: TurnConfig;
  /** Known once the server listens, when no public URL was given. */
  publicUrl: string;
}

/** Everything the routes and sockets use, built once per server. */
export interface Services {
  store: Store;
  now: () => Date;
  config: ServerConfig;
  hub: Hub;
  auth: AuthService;
  org: Organisation;
  /** Removing, disabling, moving technicians, resetting passwords; withdrawing approvals; deleting groups. */
  offboarding: Offboarding;
  sessions: SessionService;
  collaboration: CollaborationService;
  /** A technician's login token, or an external technician's session-scoped one. */
  participant(authorization: string | undefined): Promise<Caller>;
  /**
   * A technician of the organisation (their login token). An external technician's scoped token
   * is refused as forbidden (what they may not do), not as a bad login they could do nothing about.
   */
  technician(authorization: string | undefined): Promise<Caller>;
  /** The gate of every route that takes a PIN. */
  pins: PinGuard;
  /** The state of every limit (token buckets): in Redis when the server is one of several nodes. */
  buckets: BucketStore;
  /** Each WebSocket's own message budget: it concerns one socket on this node, so it stays in process. */
  socketBuckets: BucketStore;
  /** When the server last heard from each customer (told to Redis with several nodes): a resume's measured gap. */
  customerContacts: CustomerContacts;
  apiKeys: ApiKeyService;
  limits: Limits;
  /** The carriers in use (the outbox where none is configured); the delivery report route verifies with them. */
  delivery: Delivery;
  log: FastifyBaseLogger;
  /** The Prometheus metrics the routes, sockets and carriers feed. */
  metrics: Metrics;
  /** What GET /readyz checks: the store from the start; a part added later (Redis) adds its own. */
  readiness: Readiness;
  /**
   * The ICE servers for one peer (`id` labels its TURN username: `t-<technician>` or `c-<session>`),
   * with fresh TURN credentials when TURN is configured; `expiresAt` is when they lapse.
   */
  iceServersFor(id: string): { iceServers: IceServer[]; expiresAt?: Date };
}

export function buildServices(opts: {
  store: Store;
  now: () => Date;
  config: ServerConfig;
  limits: Limits;
  delivery?: Partial<Delivery>;
  log: FastifyBaseLogger;
  /** See SessionServiceDeps.customerGraceMs. */
  customerGraceMs?: number;
  /** The link to the other nodes (`--redis`): the hub fans out through it, and limits live in its Redis. */
  cluster?: Cluster;
}): Services {
  const { store, now, config, limits, log, cluster } = opts;
  const hub = new Hub(log, cluster);
  const metrics = new Metrics(() => store.sessions.countByStatus());
  const readiness = new Readiness();
  readiness.add("store", async () => void (await store.technicians.countAdmins()));
  const delivery = metrics.countDeliveries({ ...outboxDelivery(store, now), ...opts.delivery });
  const clock = () => now().getTime();
  const buckets: BucketStore = cluster ? new RedisBuckets(cluster.redis, clock) : new MemoryBuckets(clock);
  const auth = new AuthService(store, now, limits.login, buckets);
  const sessions = new SessionService({ store, now, publicUrl: () => config.publicUrl, delivery, notifier: hub, buckets, limits, customerGraceMs: opts.customerGraceMs });
  const collaboration = new CollaborationService({ store, now, publicUrl: () => config.publicUrl, delivery, sessions, hub });
  return {
    store,
    now,
    config,
    hub,
    log,
    auth,
    org: new Organisation(store, now),
    offboarding: new Offboarding(store, now, hub, sessions),
    sessions,
    collaboration,
    participant: async (authorization) => {
      try {
        return await auth.authenticate(authorization);
      } catch (err) {
        const external = await collaboration.externalCaller(authorization);
        if (external) return external;
        throw err;
      }
    },
    technician: async (authorization) => {
      try {
        return await auth.authenticate(authorization);
      } catch (err) {
        const external = await collaboration.externalCaller(authorization);
        if (!external) throw err;
        throw new RescueError(
          "forbidden",
          `an external technician takes part in session ${external.external!.sessionId} only, with what the lead allows (view, chat, Lens tools): only the lead technician may do this`,
        );
      }
    },
    pins: new PinGuard(buckets, limits.pins, (fields, message) => log.warn(fields, message), clock, (result) => metrics.pinChecks.inc({ result })),
    buckets,
    socketBuckets: new MemoryBuckets(clock),
    // Kept a minute past the grace period: a resume after that finds the session over anyway.
    customerContacts: new CustomerContacts(clock, cluster?.presence, sessions.customerGraceMs + 60_000, (err) =>
      // Debug only: while Redis is away this would be a line per customer message (its outage is logged where it is seen).
      log.debug({ err: err instanceof Error ? err.message : String(err) }, "presence: sharing a customer's last contact failed"),
    ),
    apiKeys: new ApiKeyService(store, now),
    limits,
    delivery,
    metrics,
    readiness,
    iceServersFor: (id) => iceServersFor(config.iceServers, config.turn, id, now()),
  };
}
