import type { LoginLimits } from "../auth/service.js";
import type { Rate } from "./buckets.js";
import type { PinLimits } from "./pin-guard.js";

/** Sessions a technician may open; each holds a live PIN, so these also bound the PIN space in use. */
export interface SessionLimits {
  /** New sessions and new PINs per technician. */
  createRate: Rate;
  /** Sessions of one technician waiting for their customer (holding a live PIN) at once. */
  livePerTechnician: number;
  /** Live PINs in the whole server, sessions and invitations together. */
  liveInAll: number;
}

/** Connections and requests: what a slow or greedy client may hold. */
export interface HttpLimits {
  /** Whole request, headers and body, from its first byte (node's requestTimeout). */
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  /** A connection with no traffic at all (WebSockets have their own heartbeat). */
  idleTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** Open connections (HTTP and WebSocket) in all, and from one source (IPv4 address, IPv6 /64). */
  maxConnections: number;
  maxConnectionsPerSource: number;
}

export interface Limits {
  login: LoginLimits;
  pins: PinLimits;
  /** Integration API requests per key: `perKey` at once, refilled over `windowMs`. */
  integration: { perKey: number; windowMs: number };
  sessions: SessionLimits;
  /** Messages that are stored and pushed (chat, a customer's pause/resume, a daemon's media events), per sender. */
  chat: Rate;
  /** Every message on one WebSocket, a customer's or a technician's; a client over it is cut off. */
  socketMessages: Rate;
  http: HttpLimits;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The defaults; SECURITY.md gives the reasons and what they add up to. */
export const DEFAULT_LIMITS: Limits = {
  login: { perAccountSource: { burst: 5, windowMs: 15 * MINUTE }, perSource: { burst: 20, windowMs: 15 * MINUTE } },
  pins: { perSource: { burst: 10, windowMs: 48 * HOUR }, global: { burst: 500, windowMs: HOUR }, slowdownMs: 3_000 },
  integration: { perKey: 60, windowMs: MINUTE },
  sessions: { createRate: { burst: 30, windowMs: 10 * MINUTE }, livePerTechnician: 20, liveInAll: 1_000 },
  chat: { burst: 10, windowMs: MINUTE / 3 },
  socketMessages: { burst: 200, windowMs: 10_000 },
  http: {
    requestTimeoutMs: 30_000,
    headersTimeoutMs: 10_000,
    idleTimeoutMs: 60_000,
    keepAliveTimeoutMs: 5_000,
    maxConnections: 4_000,
    maxConnectionsPerSource: 64,
  },
};

/** Any part of the limits, as tests, embedders and `--limits FILE` give them. */
export type LimitsOverride = { [K in keyof Limits]?: Partial<Limits[K]> };

/** The defaults with `override` laid over them, group by group. */
export function limitsWith(override: LimitsOverride = {}): Limits {
  const out = { ...DEFAULT_LIMITS } as Record<string, unknown>;
  for (const [group, values] of Object.entries(override)) out[group] = { ...(DEFAULT_LIMITS as unknown as Record<string, object>)[group], ...values };
  return out as unknown as Limits;
}
