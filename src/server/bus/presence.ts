import type { Redis } from "ioredis";

/**
 * Lua: the time on the Redis server in ms, so that every node judges expiry by one clock.
 * Technicians: a sorted set per technician, one member per node holding at least one of their
 * sockets, scored with the time that entry expires.
 */
const NOW_LUA = "local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)";

/** KEYS: technician sets; ARGV: node id, ttl ms. Marks the node as holding each technician until now + ttl. */
const TECH_REFRESH_LUA = `${NOW_LUA}
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now + tonumber(ARGV[2]), ARGV[1])
  redis.call('PEXPIRE', key, tonumber(ARGV[2]))
end
return #KEYS`;

/** KEYS[1]: a technician set. How many nodes hold the technician now (expired entries are dropped). */
const TECH_COUNT_LUA = `${NOW_LUA}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZCARD', KEYS[1])`;

/**
 * KEYS[1]: the customers' expiry set; KEYS[2..]: customer keys; ARGV: node id, ttl ms, then the
 * session id of each key. Marks the node as holding each customer until now + ttl, in the key
 * (which goes at that time) and in the set (which keeps the time after the key went).
 */
const CUSTOMER_ON_LUA = `${NOW_LUA}
local ttl = tonumber(ARGV[2])
for i = 2, #KEYS do
  redis.call('SET', KEYS[i], ARGV[1], 'PX', ttl)
  redis.call('ZADD', KEYS[1], now + ttl, ARGV[i + 1])
end
return #KEYS - 1`;

/** KEYS: a customer key, the expiry set; ARGV: node id, session id. Deletes both only while this node owns the key. */
const RELEASE_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('ZREM', KEYS[2], ARGV[2])
  return redis.call('DEL', KEYS[1])
end
return 0`;

/**
 * KEYS[1]: the expiry set; KEYS[2..]: customer keys; ARGV[1]: how long (ms) an expired time is
 * kept, then the session id of each key. Returns the time now, then for each key 1 or 0 (it
 * exists) and the time its holder's entry expires or expired (-1: not known). Drops times older
 * than the keep time, left by customers whose session ended while their node was dead.
 */
const CUSTOMERS_SEEN_LUA = `${NOW_LUA}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]))
local out = { now }
for i = 2, #KEYS do
  out[#out + 1] = redis.call('EXISTS', KEYS[i])
  local until_ = redis.call('ZSCORE', KEYS[1], ARGV[i])
  out[#out + 1] = until_ and tonumber(until_) or -1
end
return out`;

/** How long the expiry set keeps the time of an entry that went (then the sweep counts from when it first sees it missing). */
const EXPIRED_KEPT_MS = 3_600_000;

/** KEYS[1]: a lease; ARGV: node id, ttl ms. Takes the lease when free, extends it when held; 1 when this node holds it. */
const LEASE_LUA = `local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]))
  return 1
end
return 0`;

interface PresenceCommands {
  rescueTechRefresh(count: number, ...keysAndArgs: (string | number)[]): Promise<number>;
  rescueTechCount(key: string): Promise<number>;
  rescueCustomerOn(count: number, ...keysAndArgs: (string | number)[]): Promise<number>;
  rescueRelease(key: string, expiry: string, node: string, sessionId: string): Promise<number>;
  rescueCustomersSeen(count: number, ...keysAndArgs: (string | number)[]): Promise<number[]>;
  rescueLease(key: string, node: string, ttlMs: number): Promise<number>;
}

/**
 * Who is connected where, in Redis, with expiry so that a dead node's entries go by themselves:
 * - `PREFIX tech:<technicianId>`: the nodes that hold a socket of the technician (isOnline, transfers);
 * - `PREFIX customer:<sessionId>`: the node that holds the session's customer socket (hasCustomer);
 * - `PREFIX customer-expiry`: a sorted set, each session's id scored with the time (Redis clock, ms)
 *   its customer entry expires, kept after the entry went, so that the sweep knows since when no
 *   node has held the customer (customersSeen);
 * - `PREFIX lease:<name>`: one node at a time does a cluster-wide job (the sweep);
 * - `PREFIX customer-heard:<sessionId>`: when a node last heard from the session's customer (epoch
 *   ms), for a resume on another node to measure the gap from; it lives for the time it is given.
 * Every other entry lives `ttlMs` unless the owning node's heartbeat (`refresh`, every ttl/3) renews it.
 */
export class RedisPresence {
  private readonly redis: Redis & PresenceCommands;

  constructor(
    redis: Redis,
    readonly node: string,
    readonly ttlMs: number,
    private readonly prefix = "rescue:",
  ) {
    const r = redis as Redis & Partial<PresenceCommands>;
    if (!r.rescueTechRefresh) {
      redis.defineCommand("rescueTechRefresh", { lua: TECH_REFRESH_LUA });
      redis.defineCommand("rescueTechCount", { numberOfKeys: 1, lua: TECH_COUNT_LUA });
      redis.defineCommand("rescueCustomerOn", { lua: CUSTOMER_ON_LUA });
      redis.defineCommand("rescueRelease", { numberOfKeys: 2, lua: RELEASE_LUA });
      redis.defineCommand("rescueCustomersSeen", { lua: CUSTOMERS_SEEN_LUA });
      redis.defineCommand("rescueLease", { numberOfKeys: 1, lua: LEASE_LUA });
    }
    this.redis = redis as Redis & PresenceCommands;
  }

  private techKey(technicianId: string): string {
    return `${this.prefix}tech:${technicianId}`;
  }

  private customerKey(sessionId: string): string {
    return `${this.prefix}customer:${sessionId}`;
  }

  private get expiryKey(): string {
    return `${this.prefix}customer-expiry`;
  }

  /** Writes (or renews) this node's customer entries, key and expiry time in one step. */
  private async customersOn(sessionIds: readonly string[]): Promise<void> {
    await this.redis.rescueCustomerOn(1 + sessionIds.length, this.expiryKey, ...sessionIds.map((id) => this.customerKey(id)), this.node, this.ttlMs, ...sessionIds);
  }

  /** This node holds sockets of these technicians and the customers of these sessions: renews (or writes again) every entry. */
  async refresh(technicianIds: readonly string[], sessionIds: readonly string[]): Promise<void> {
    await Promise.all([
      sessionIds.length > 0 ? this.customersOn(sessionIds) : undefined,
      technicianIds.length > 0 ? this.redis.rescueTechRefresh(technicianIds.length, ...technicianIds.map((id) => this.techKey(id)), this.node, this.ttlMs) : undefined,
    ]);
  }

  /** The technician's first socket on this node. */
  async technicianOn(technicianId: string): Promise<void> {
    await this.redis.rescueTechRefresh(1, this.techKey(technicianId), this.node, this.ttlMs);
  }

  /** The technician's last socket on this node closed. */
  async technicianOff(technicianId: string): Promise<void> {
    await this.redis.zrem(this.techKey(technicianId), this.node);
  }

  /** Whether any live node holds a socket of the technician. */
  async technicianOnline(technicianId: string): Promise<boolean> {
    return (await this.redis.rescueTechCount(this.techKey(technicianId))) > 0;
  }

  /** This node now holds the session's customer socket (a newer one replaces any other node's). */
  async customerOn(sessionId: string): Promise<void> {
    await this.customersOn([sessionId]);
  }

  /** This node's customer socket of the session closed; another node's entry stays. */
  async customerOff(sessionId: string): Promise<void> {
    await this.redis.rescueRelease(this.customerKey(sessionId), this.expiryKey, this.node, sessionId);
  }

  /** The node that holds the session's customer socket, if a live one does. */
  async customerNode(sessionId: string): Promise<string | undefined> {
    return (await this.redis.get(this.customerKey(sessionId))) ?? undefined;
  }

  /**
   * Of these sessions, which have their customer on a live node, and for the others the time
   * (Redis clock, ms) their last holder's entry expired, when Redis still knows it (not after
   * the customer left cleanly, nor after Redis lost its data). `now` is Redis's time.
   */
  async customersSeen(sessionIds: readonly string[]): Promise<{ now: number; present: Set<string>; expiredAt: Map<string, number> }> {
    const out = await this.redis.rescueCustomersSeen(1 + sessionIds.length, this.expiryKey, ...sessionIds.map((id) => this.customerKey(id)), EXPIRED_KEPT_MS, ...sessionIds);
    const present = new Set<string>();
    const expiredAt = new Map<string, number>();
    sessionIds.forEach((id, i) => {
      const until = Number(out[2 + 2 * i]);
      if (Number(out[1 + 2 * i]) === 1) present.add(id);
      else if (until >= 0) expiredAt.set(id, until);
    });
    return { now: Number(out[0]), present, expiredAt };
  }

  /** A node heard from the session's customer at `at` (epoch ms); kept `keepMs`. */
  async customerHeard(sessionId: string, at: number, keepMs: number): Promise<void> {
    await this.redis.set(`${this.prefix}customer-heard:${sessionId}`, String(at), "PX", Math.max(1, Math.round(keepMs)));
  }

  /** When any node last told of hearing from the session's customer (epoch ms), if one did within its keep time. */
  async customerLastHeard(sessionId: string): Promise<number | undefined> {
    const value = Number(await this.redis.get(`${this.prefix}customer-heard:${sessionId}`));
    return Number.isFinite(value) && value > 0 ? value : undefined;
  }

  /** Takes or extends the lease `name` for `ttlMs`; true while this node holds it. */
  async lease(name: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.rescueLease(`${this.prefix}lease:${name}`, this.node, ttlMs)) === 1;
  }
}
