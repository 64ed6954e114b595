/**
 * Ogg pages (RFC 3533) for an Opus stream (RFC 7845), written one page per packet so a live
 * reader gets each packet as soon as it is written. Used by the daemon's customer-audio tap and
 * by the simulator's recording of the technician's voice.
 */

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let j = 0; j < 8; j++) r = r & 0x8000_0000 ? (r << 1) ^ 0x04c1_1db7 : r << 1;
    table[i] = r >>> 0;
  }
  return table;
})();

/** Ogg's CRC-32: polynomial 0x04c11db7, initial value 0, not reflected, no final xor. */
export function oggCrc(data: Uint8Array): number {
  let crc = 0;
  for (const byte of data) crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ byte) & 0xff]!) >>> 0;
  return crc;
}

export const OGG_BOS = 0x02;
export const OGG_EOS = 0x04;

/**
 * One Ogg page holding exactly one whole packet (up to 255*255-1 bytes), or none (null, EOS only). `granule` is the
 * granule position (-1n: no packet ends here); `flags` OGG_BOS / OGG_EOS. Returns the page bytes.
 */
export function oggPage(serial: number, sequence: number, granule: bigint, flags: number, packet: Uint8Array | null): Buffer {
  // No packet: a page without segments (an EOS marker; an empty packet would be decoded).
  if (packet === null) packet = new Uint8Array(0);
  const laces = packet.length === 0 && flags & OGG_EOS ? 0 : Math.floor(packet.length / 255) + 1;
  if (laces > 255) throw new Error(`packet of ${packet.length} bytes does not fit one Ogg page`);
  const page = Buffer.alloc(27 + laces + packet.length);
  page.write("OggS", 0, "ascii");
  page[4] = 0; // version
  page[5] = flags;
  page.writeBigInt64LE(granule, 6);
  page.writeUInt32LE(serial >>> 0, 14);
  page.writeUInt32LE(sequence >>> 0, 18);
  page[26] = laces;
  for (let i = 0; i < laces - 1; i++) page[27 + i] = 255;
  if (laces > 0) page[27 + laces - 1] = packet.length % 255;
  page.set(packet, 27 + laces);
  page.writeUInt32LE(oggCrc(page), 22); // computed with the CRC field still zero
  return page;
}

export interface OggOpusWriterOptions {
  /** Channel count for OpusHead (WebRTC Opus decodes to 2; a mono encoder may say 1). Default 2. */
  channels?: number;
  /** Samples at 48 kHz the decoder drops at the start (RFC 7845). Default 0: a live tap has no encoder delay to hide. */
  preSkip?: number;
  serial?: number;
}

/**
 * Turns Opus packets into an Ogg/Opus byte stream. `header()` first (OpusHead and OpusTags
 * pages), then `packet()` per Opus packet, `end()` last (an empty EOS page). Granule positions
 * count the packets' own durations (48 kHz samples), so gaps in arrival (hold, loss) are closed up.
 */
export class OggOpusWriter {
  private sequence = 0;
  private granule = 0n;
  private readonly serial: number;

  constructor(private readonly opts: OggOpusWriterOptions = {}) {
    this.serial = opts.serial ?? Math.floor(Math.random() * 0x1_0000_0000);
  }

  /** The two header pages (RFC 7845 section 5). */
  header(): Buffer {
    const head = Buffer.alloc(19);
    head.write("OpusHead", 0, "ascii");
    head[8] = 1;
    head[9] = this.opts.channels ?? 2;
    head.writeUInt16LE(this.opts.preSkip ?? 0, 10);
    head.writeUInt32LE(48_000, 12);
    head.writeInt16LE(0, 16); // output gain
    head[18] = 0; // mapping family 0: mono or stereo
    const vendor = Buffer.from("rescue", "utf8");
    const tags = Buffer.alloc(8 + 4 + vendor.length + 4);
    tags.write("OpusTags", 0, "ascii");
    tags.writeUInt32LE(vendor.length, 8);
    vendor.copy(tags, 12);
    tags.writeUInt32LE(0, 12 + vendor.length);
    return Buffer.concat([this.page(0n, OGG_BOS, head), this.page(0n, 0, tags)]);
  }

  /** One page with one Opus packet; `samples` is its duration at 48 kHz (opusPacketSamples). */
  packet(data: Uint8Array, samples: number): Buffer {
    this.granule += BigInt(samples);
    return this.page(this.granule, 0, data);
  }

  /** An end-of-stream page without segments. */
  end(): Buffer {
    return this.page(this.granule, OGG_EOS, null);
  }

  private page(granule: bigint, flags: number, data: Uint8Array | null): Buffer {
    return oggPage(this.serial, this.sequence++, granule, flags, data);
  }
}
