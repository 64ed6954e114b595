import type { Writable } from "node:stream";

/**
 * Writes whole messages (Ogg pages) to a stream whose reader may be slow, never letting more than
 * `maxBacklog` bytes wait in it: a message that would go over the bound is dropped (and counted)
 * instead of buffered. Memory per slow reader stays bounded; a live reader loses audio, not time.
 */
export class BoundedWriter {
  dropped = 0;
  written = 0;

  constructor(
    private readonly out: Writable,
    /** Bytes that may wait in the stream (its writableLength) before messages are dropped. */
    private readonly maxBacklog: number,
  ) {}

  /**
   * Writes the message `make` builds, whole, or drops it (without building it) when the backlog is
   * over the bound. Returns whether it was written.
   */
  write(make: () => Uint8Array): boolean {
    if (this.out.destroyed || this.out.writableEnded) return false;
    if (this.out.writableLength > this.maxBacklog) {
      this.dropped++;
      return false;
    }
    this.out.write(make());
    this.written++;
    return true;
  }
}
