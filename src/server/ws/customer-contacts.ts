import type { WebSocket } from "ws";

/**
 * When this node last heard from each session's current customer socket: a message, or a pong to
 * the heartbeat's ping (epoch ms, the server's clock). A resume that overtakes the old socket's
 * close measures the customer's gap from here, never from the customer's own count.
 */
export class CustomerContacts {
  private readonly last = new Map<string, { ws: WebSocket; at: number }>();

  constructor(private readonly now: () => number) {}

  /** `ws`, the session's current customer socket, was heard from just now. */
  heard(sessionId: string, ws: WebSocket): void {
    this.last.set(sessionId, { ws, at: this.now() });
  }

  /** `ws` closed: what it was heard saying no longer stands for the session (its close marks the customer away). */
  released(sessionId: string, ws: WebSocket): void {
    if (this.last.get(sessionId)?.ws === ws) this.last.delete(sessionId);
  }

  /** When the session's customer socket held by this node was last heard from; undefined when this node holds none. */
  lastHeard(sessionId: string): number | undefined {
    return this.last.get(sessionId)?.at;
  }
}
