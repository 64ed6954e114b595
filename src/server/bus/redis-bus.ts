import type { Redis } from "ioredis";
import { BusMessage } from "./messages.js";

export interface BusLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

/**
 * Fan-out between server nodes over Redis pub/sub, on one channel: every node hears every
 * message and acts on what concerns the sockets it holds. A node ignores its own messages (it
 * delivered them locally already). What arrives is parsed with BusMessage; anything malformed
 * is logged (without its content) and dropped. Delivery is at most once, as on a WebSocket:
 * a message published while Redis is unreachable is lost, and the clients' own recovery
 * (resume, reoffer, the snapshot on reconnect) repairs the session.
 */
export class RedisBus {
  private readonly channel: string;
  private failedAt = 0;

  /** `publisher` is the node's command connection; `subscriber` is given over to this bus (a subscribed connection runs no other command). */
  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly node: string,
    private readonly log: BusLog,
    prefix = "rescue:",
  ) {
    this.channel = `${prefix}bus`;
  }

  /** Starts listening; `deliver` gets every valid message from another node. */
  async listen(deliver: (message: BusMessage) => void): Promise<void> {
    this.subscriber.on("message", (channel: string, text: string) => {
      if (channel !== this.channel) return;
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        return this.log.warn({ channel, bytes: text.length }, "bus message dropped: not JSON");
      }
      const parsed = BusMessage.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return this.log.warn({ channel, bytes: text.length, issue: issue ? `${issue.path.join(".")}: ${issue.message}` : "rejected" }, "bus message dropped: invalid");
      }
      if (parsed.data.from === this.node) return;
      deliver(parsed.data);
    });
    await this.subscriber.subscribe(this.channel);
  }

  /** Sends to every other node; a failure is logged (once a minute at most) and the message dropped. */
  publish(message: BusMessage): void {
    this.publisher.publish(this.channel, JSON.stringify(message)).catch((err: unknown) => {
      const now = Date.now();
      if (now - this.failedAt < 60_000) return;
      this.failedAt = now;
      this.log.warn({ err: err instanceof Error ? err.message : String(err), kind: message.kind }, "bus: publishing to other nodes failed; they miss live pushes until Redis is back");
    });
  }
}
