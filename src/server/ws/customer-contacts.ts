import type { WebSocket } from "ws";

/** Where nodes share their last contact with a customer (Redis presence, with several nodes). */
export interface SharedContacts {
  customerHeard(sessionId: string, at: number, keepMs: number): Promise<void>;
  customerLastHeard(sessionId: string): Promise<number | undefined>;
}

/** A node tells the others of a customer's contact at most this often (ms): the shared figure is at most this much older. */
export const SHARED_CONTACT_EVERY_MS = 1_000;

/**
 * When the server last heard from each session's current customer socket: a message, or a pong to
 * the heartbeat's ping (epoch ms, the server's clock). A resume that overtakes the old socket's
 * close measures the customer's gap from here, never from the customer's own count. With several
 * nodes (`shared`), each contact is also told to Redis (at most once per SHARED_CONTACT_EVERY_MS
 * per session), so that a resume on another node, or after the holding node died, measures it too.
 */
export class CustomerContacts {
  private readonly last = new Map<string, { ws: WebSocket; at: number; sharedAt: number }>();

  /**
   * `keepMs`: how long a shared contact stays readable (the grace period at least: past it there is
   * no resume to measure). `onSharedError` hears a failed Redis write or read (the figure falls back).
   */
  constructor(
    private readonly now: () => number,
    private readonly shared?: SharedContacts,
    private readonly keepMs = 0,
    private readonly onSharedError: (err: unknown) => void = () => {},
  ) {}

  /** `ws`, the session's current customer socket, was heard from just now. */
  heard(sessionId: string, ws: WebSocket): void {
    const at = this.now();
    const before = this.last.get(sessionId);
    const tell = before?.ws !== ws || at - before.sharedAt >= SHARED_CONTACT_EVERY_MS;
    this.last.set(sessionId, { ws, at, sharedAt: tell ? at : before.sharedAt });
    if (tell && this.shared) this.shared.customerHeard(sessionId, at, this.keepMs).catch(this.onSharedError);
  }

  /** `ws` closed: what it was heard saying no longer stands for the session (its close marks the customer away). */
  released(sessionId: string, ws: WebSocket): void {
    if (this.last.get(sessionId)?.ws === ws) this.last.delete(sessionId);
  }

  /**
   * When the session's customer was last heard from: on the socket this node holds, else as another
   * node told it (several nodes); undefined when nobody knows.
   */
  async lastHeard(sessionId: string): Promise<number | undefined> {
    const here = this.last.get(sessionId)?.at;
    if (here !== undefined || !this.shared) return here;
    try {
      return await this.shared.customerLastHeard(sessionId);
    } catch (err) {
      this.onSharedError(err);
      return undefined;
    }
  }
}
