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

/** KEYS[1]: a customer key; ARGV[1]: node id. Deletes the key only while this node owns it. */
const RELEASE_LUA = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

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
  rescueRelease(key: string, node: string): Promise<number>;
  rescueLease(key: string, node: string, ttlMs: number): Promise<number>;
}

/**
 * Who is connected where, in Redis, with expiry so that a dead node's entries go by themselves:
 * - `PREFIX tech:<technicianId>`: the nodes that hold a socket of the technician (isOnline, transfers);
 * - `PREFIX customer:<sessionId>`: the node that holds the session's customer socket (hasCustomer);
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
      redis.defineCommand("rescueRelease", { numberOfKeys: 1, lua: RELEASE_LUA });
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

  /** This node holds sockets of these technicians and the customers of these sessions: renews (or writes again) every entry. */
  async refresh(technicianIds: readonly string[], sessionIds: readonly string[]): Promise<void> {
    const batch = this.redis.multi();
    for (const id of sessionIds) batch.set(this.customerKey(id), this.node, "PX", this.ttlMs);
    await Promise.all([
      sessionIds.length > 0 ? batch.exec() : undefined,
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
    await this.redis.set(this.customerKey(sessionId), this.node, "PX", this.ttlMs);
  }

  /** This node's customer socket of the session closed; another node's entry stays. */
  async customerOff(sessionId: string): Promise<void> {
    await this.redis.rescueRelease(this.customerKey(sessionId), this.node);
  }

  /** The node that holds the session's customer socket, if a live one does. */
  async customerNode(sessionId: string): Promise<string | undefined> {
    return (await this.redis.get(this.customerKey(sessionId))) ?? undefined;
  }

  /** Which of these sessions have their customer on a live node. */
  async customersPresent(sessionIds: readonly string[]): Promise<Set<string>> {
    if (sessionIds.length === 0) return new Set();
    const owners = await this.redis.mget(...sessionIds.map((id) => this.customerKey(id)));
    return new Set(sessionIds.filter((_, i) => owners[i] !== null));
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
