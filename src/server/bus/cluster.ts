import type { Redis } from "ioredis";
import type { BusMessage } from "./messages.js";
import { RedisPresence } from "./presence.js";
import { RedisBus, type BusLog } from "./redis-bus.js";
import { connectRedis } from "./connect.js";
import { newNodeId, RECONNECT_MAX_MS } from "./redis-url.js";

/** How long a node's presence entries outlive its last heartbeat, by default. */
export const PRESENCE_TTL_MS = 15_000;

export interface ClusterOptions {
  /** Presence entries expire this long after the node's last heartbeat (every ttl/3). */
  presenceTtlMs?: number;
  /** Every key and the bus channel start with this (several services on one Redis). */
  prefix?: string;
  /** The node's id; random by default. */
  node?: string;
}

/** What a node holds, read by each heartbeat. */
export interface HeldSockets {
  technicianIds(): string[];
  customerSessionIds(): string[];
}

export interface ClusterLog extends BusLog {
  info(fields: Record<string, unknown>, message: string): void;
}

/**
 * One node's link to the others through Redis: a command connection (presence, limits, leases,
 * publishing) and a subscriber connection (the bus). Built by `connect`, started by the Hub,
 * closed when the server stops.
 */
export class Cluster {
  readonly node: string;
  readonly presence: RedisPresence;
  readonly bus: RedisBus;
  private heartbeat: NodeJS.Timeout | undefined;
  private failing = false;
  /** When (ms, this node's clock) the command connection last became ready; undefined while it is down. */
  private connectedAt: number | undefined = Date.now();

  private constructor(
    readonly redis: Redis,
    private readonly subscriber: Redis,
    private readonly log: ClusterLog,
    opts: ClusterOptions,
  ) {
    this.node = opts.node ?? newNodeId();
    const prefix = opts.prefix ?? "rescue:";
    this.presence = new RedisPresence(redis, this.node, opts.presenceTtlMs ?? PRESENCE_TTL_MS, prefix);
    this.bus = new RedisBus(redis, subscriber, this.node, log, prefix);
    // A Redis that restarted (empty, or from a snapshot with old expiry times) drops every
    // connection, so each reconnection is seen here: see steadyFor.
    redis.on("close", () => (this.connectedAt = undefined));
    redis.on("ready", () => (this.connectedAt = Date.now()));
  }

  /** Connects both connections; rejects (the URL's password hidden) when Redis cannot be reached. */
  static async connect(url: string, log: ClusterLog, opts: ClusterOptions = {}): Promise<Cluster> {
    const redis = await connectRedis(url, "rescue-server");
    try {
      const subscriber = await connectRedis(url, "rescue-server-bus");
      return new Cluster(redis, subscriber, log, opts);
    } catch (err) {
      redis.disconnect();
      throw err;
    }
  }

  /** Subscribes to the bus and starts the heartbeat that renews this node's presence entries. */
  async start(held: HeldSockets, deliver: (message: BusMessage) => void): Promise<void> {
    await this.bus.listen(deliver);
    const beat = () => {
      this.presence.refresh(held.technicianIds(), held.customerSessionIds()).then(
        () => {
          if (this.failing) this.log.info({ node: this.node }, "presence: Redis reachable again");
          this.failing = false;
        },
        (err: unknown) => {
          if (!this.failing) this.log.warn({ node: this.node, err: err instanceof Error ? err.message : String(err) }, "presence: cannot renew entries in Redis");
          this.failing = true;
        },
      );
    };
    this.heartbeat = setInterval(beat, Math.max(50, Math.floor(this.presence.ttlMs / 3)));
    this.heartbeat.unref();
  }

  /**
   * How long a customer's presence must be seen missing before their session counts as orphaned:
   * a whole TTL plus the longest reconnection backoff, so that a node that lost Redis (or a
   * Redis that restarted empty) has written its entries again by then.
   */
  get confirmMs(): number {
    return this.presence.ttlMs + RECONNECT_MAX_MS;
  }

  /**
   * How long after a customer's entry expired (by the time Redis recorded for it) the customer
   * counts as gone: the longest reconnection backoff, for a node whose heartbeat was just cut off.
   */
  get expiredGraceMs(): number {
    return RECONNECT_MAX_MS;
  }

  /**
   * Whether this node's command connection has been up, without a break, for at least `ms`.
   * Redis restarts only with every connection dropped; once this node has been connected for
   * `confirmMs` every live node has written its entries again since, so an expiry time Redis
   * holds then is one no live node has renewed (not one left in a snapshot Redis restarted from).
   */
  steadyFor(ms: number): boolean {
    return this.connectedAt !== undefined && Date.now() - this.connectedAt >= ms;
  }

  /** Stops the heartbeat and closes both connections (entries left expire with their TTL). */
  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    await Promise.allSettled([this.subscriber.quit(), this.redis.quit()]);
    this.subscriber.disconnect();
    this.redis.disconnect();
  }

  /** Stops at once without a word to Redis, as a killed process would (tests of a node's death). */
  kill(): void {
    clearInterval(this.heartbeat);
    this.subscriber.disconnect();
    this.redis.disconnect();
  }
}
