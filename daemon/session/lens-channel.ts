import type { RTCDataChannel } from "werift";
import { LensReply, type LensCommand } from "../../src/protocol/index.js";

/** How long a zoom or torch request waits for the customer's page to answer. */
export const LENS_REPLY_TIMEOUT_MS = 10_000;

interface Pending {
  resolve(reply: LensReply): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * The Lens data channel of one customer connection (the page creates it in its offer; werift
 * hands it over in onDataChannel). Sends LensCommand as JSON text and matches the page's
 * LensReply to requests by id; anything else the page sends is ignored.
 */
export class LensChannel {
  private channel: RTCDataChannel | undefined;
  private readonly pending = new Map<string, Pending>();
  private nextId = 1;

  attach(channel: RTCDataChannel): void {
    this.channel = channel;
    channel.onMessage.subscribe((data) => this.onMessage(data));
    channel.stateChanged.subscribe((state) => {
      if (state === "closed") this.failAll("the customer's Lens channel closed");
    });
  }

  /** Whether commands can go out now. */
  get open(): boolean {
    return this.channel?.readyState === "open";
  }

  /** Sends one command; throws when the customer's page has no open Lens channel. */
  send(command: LensCommand): void {
    if (!this.channel || !this.open) throw new Error("the customer's page has no open Lens channel (an older page, or media not connected)");
    this.channel.send(JSON.stringify(command));
  }

  /** A fresh request id for zoom and torch. */
  requestId(): string {
    return `r${this.nextId++}`;
  }

  /**
   * Sends a command that carries a request id and resolves with the page's reply to it; rejects
   * after LENS_REPLY_TIMEOUT_MS without one, or when the channel closes.
   */
  request(command: Extract<LensCommand, { id: string }>, timeoutMs = LENS_REPLY_TIMEOUT_MS): Promise<LensReply> {
    return new Promise<LensReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(command.id);
        reject(new Error(`the customer's page did not answer within ${Math.round(timeoutMs / 1000)} s`));
      }, timeoutMs);
      this.pending.set(command.id, { resolve, reject, timer });
      try {
        this.send(command);
      } catch (e) {
        clearTimeout(timer);
        this.pending.delete(command.id);
        reject(e as Error);
      }
    });
  }

  close(): void {
    this.failAll("the connection closed");
  }

  private onMessage(data: string | Buffer): void {
    if (typeof data !== "string" || data.length > 4096) return;
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      return;
    }
    const reply = LensReply.safeParse(json);
    if (!reply.success) return;
    const pending = this.pending.get(reply.data.id);
    if (!pending) return;
    this.pending.delete(reply.data.id);
    clearTimeout(pending.timer);
    pending.resolve(reply.data);
  }

  private failAll(why: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error(why));
      this.pending.delete(id);
    }
  }
}
