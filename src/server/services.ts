import type { FastifyBaseLogger } from "fastify";
import type { IceServer } from "../protocol/index.js";
import { FailureLimiter } from "./auth/rate-limit.js";
import { AuthService, type Caller, type LoginLimits } from "./auth/service.js";
import { outboxDelivery, type Delivery } from "./delivery/carriers.js";
import { ApiKeyService } from "./integration/keys.js";
import { RequestLimiter } from "./integration/limiter.js";
import { Organisation } from "./org.js";
import { CollaborationService } from "./sessions/collaboration.js";
import { SessionService } from "./sessions/service.js";
import type { Store } from "./store/types.js";
import { Hub } from "./ws/hub.js";

export interface Limits {
  login: LoginLimits;
  /** Wrong PINs per client address and across all addresses, per window. */
  pins: { perAddress: number; global: number; windowMs: number };
  /** Integration API requests per key per window. */
  integration: { perKey: number; windowMs: number };
}

export const DEFAULT_LIMITS: Limits = {
  login: { perAccount: 5, perAddress: 20, windowMs: 15 * 60_000 },
  pins: { perAddress: 5, global: 50, windowMs: 60_000 },
  integration: { perKey: 60, windowMs: 60_000 },
};

export interface ServerConfig {
  iceServers: IceServer[];
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
  sessions: SessionService;
  collaboration: CollaborationService;
  /** A technician's login token, or an external technician's session-scoped one. */
  participant(authorization: string | undefined): Promise<Caller>;
  pinsByAddress: FailureLimiter;
  pinsGlobal: FailureLimiter;
  apiKeys: ApiKeyService;
  integrationLimiter: RequestLimiter;
  limits: Limits;
  log: FastifyBaseLogger;
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
}): Services {
  const { store, now, config, limits, log } = opts;
  const hub = new Hub(log);
  const delivery = { ...outboxDelivery(store, now), ...opts.delivery };
  const clock = () => now().getTime();
  const auth = new AuthService(store, now, limits.login);
  const sessions = new SessionService({ store, now, publicUrl: () => config.publicUrl, delivery, notifier: hub, customerGraceMs: opts.customerGraceMs });
  const collaboration = new CollaborationService({ store, now, publicUrl: () => config.publicUrl, delivery, sessions, hub });
  return {
    store,
    now,
    config,
    hub,
    log,
    auth,
    org: new Organisation(store, now),
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
    pinsByAddress: new FailureLimiter(limits.pins.perAddress, limits.pins.windowMs, clock),
    pinsGlobal: new FailureLimiter(limits.pins.global, limits.pins.windowMs, clock),
    apiKeys: new ApiKeyService(store, now),
    integrationLimiter: new RequestLimiter(limits.integration.perKey, limits.integration.windowMs, clock),
    limits,
  };
}
