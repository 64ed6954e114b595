import { opusPacketSamples, type OpusPacket } from "./ogg-opus.js";

/** Upper bound on buffered bytes while waiting for the rest of a page (a page is at most ~64 KiB). */
const MAX_PENDING = 70_000;

/**
 * Reads an Ogg/Opus byte stream as it arrives (the streaming form of parseOggOpus): `push` each
 * chunk and get the Opus audio packets it completed, in order. The OpusHead and OpusTags packets
 * are checked and kept out. Throws on bytes that are not Ogg pages or a stream that is not Opus.
 * Only the first logical stream is read (chained or multiplexed streams are not expected here).
 */
export class OggOpusStreamReader {
  channels = 0;
  private buffer: Buffer = Buffer.alloc(0);
  private partial: Buffer[] = [];
  private headerPackets = 0;
  private serial: number | null = null;

  /** Bytes in, completed audio packets out (`granule` is that of the page each one ends on, or -1). */
  push(chunk: Buffer): OpusPacket[] {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    const out: OpusPacket[] = [];
    let pos = 0;
    for (;;) {
      if (this.buffer.length - pos < 27) break;
      if (this.buffer.toString("ascii", pos, pos + 4) !== "OggS") throw new Error("not an Ogg stream (no page where one should start)");
      const segments = this.buffer[pos + 26]!;
      const headerEnd = pos + 27 + segments;
      if (this.buffer.length < headerEnd) break;
      const table = this.buffer.subarray(pos + 27, headerEnd);
      const bodyLength = table.reduce((sum, lace) => sum + lace, 0);
      if (this.buffer.length < headerEnd + bodyLength) break;
      const serial = this.buffer.readUInt32LE(pos + 14);
      const granule = this.buffer.readBigInt64LE(pos + 6);
      this.serial ??= serial;
      if (serial === this.serial) this.page(table, this.buffer.subarray(headerEnd, headerEnd + bodyLength), granule, out);
      pos = headerEnd + bodyLength;
    }
    this.buffer = this.buffer.subarray(pos);
    if (this.buffer.length > MAX_PENDING) throw new Error("Ogg page larger than Ogg allows");
    return out;
  }

  /** True once OpusHead and OpusTags have been read. */
  get ready(): boolean {
    return this.headerPackets >= 2;
  }

  private page(table: Buffer, body: Buffer, granule: bigint, out: OpusPacket[]): void {
    const lastEnd = table.reduce((last, lace, i) => (lace < 255 ? i : last), -1);
    let at = 0;
    for (let i = 0; i < table.length; i++) {
      const lace = table[i]!;
      this.partial.push(body.subarray(at, at + lace));
      at += lace;
      if (lace === 255) continue;
      const data = Buffer.concat(this.partial);
      this.partial = [];
      if (this.headerPackets === 0) {
        if (data.toString("ascii", 0, 8) !== "OpusHead") throw new Error("the Ogg stream is not Opus");
        this.channels = data[9]!;
        this.headerPackets++;
      } else if (this.headerPackets === 1) {
        this.headerPackets++; // OpusTags
      } else if (data.length > 0) {
        out.push({ data, granule: i === lastEnd ? granule : -1n, samples: opusPacketSamples(data) });
      }
    }
  }
}
