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
  /**
   * Lens actions (draw, erase, freeze, zoom, torch) per technician: their own bucket, larger than
   * chat's, since a technician drawing sends one per key or click; drawing and chat never starve each other.
   */
  lens: Rate;
  /**
   * A technician's requests for a new offer (`reoffer`) per session: each makes the customer's
   * device build a new peer connection, so a few at once and then slowly. A daemon asks on its
   * own only after a restart, a lost connection or the customer's ICE restart.
   */
  reoffer: Rate;
  /**
   * A customer's resumes (coming back with their credential) per session, counted once the
   * credential checked out: each writes customer-disconnected and customer-reconnected to the log
   * and pushes both, so a holder of the credential reconnecting in a loop is slowed to this. A
   * page reload or a network switch, several in a minute, stays well within the burst.
   */
  resume: Rate;
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
  lens: { burst: 60, windowMs: MINUTE / 3 },
  reoffer: { burst: 6, windowMs: MINUTE },
  resume: { burst: 10, windowMs: 5 * MINUTE },
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

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** Any part of the limits, as tests, embedders and `--limits FILE` give them: down to one value. */
export type LimitsOverride = DeepPartial<Limits>;

/** The defaults with `override` laid over them, value by value (`{"pins": {"perSource": {"burst": 5}}}` keeps the window). */
export function limitsWith(override: LimitsOverride = {}): Limits {
  return merged(DEFAULT_LIMITS, override) as Limits;
}

function merged(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (typeof base !== "object" || base === null || typeof over !== "object" || over === null) return over;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(over)) out[key] = merged(out[key], value);
  return out;
}
