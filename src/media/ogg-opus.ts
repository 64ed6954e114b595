import { readFileSync } from "node:fs";

export interface OpusPacket {
  data: Buffer;
  /** Granule position of the page this packet completes on (-1 when another packet ends later on it). */
  granule: bigint;
  /** Duration decoded from the TOC byte, in 48 kHz samples. */
  samples: number;
}

export interface OggOpusFile {
  channels: number;
  preSkip: number;
  inputSampleRate: number;
  packets: OpusPacket[];
}

// Frame sizes in 48 kHz samples for TOC configs 0-31 (RFC 6716, section 3.1).
const CONFIG_SAMPLES = [
  480, 960, 1920, 2880, 480, 960, 1920, 2880, 480, 960, 1920, 2880, 480, 960, 480, 960, 120, 240, 480, 960, 120, 240,
  480, 960, 120, 240, 480, 960, 120, 240, 480, 960,
];

/** Samples (at 48 kHz) in one Opus packet, from its TOC byte and frame count. */
export function opusPacketSamples(packet: Uint8Array): number {
  if (packet.length === 0) return 0;
  const toc = packet[0]!;
  const perFrame = CONFIG_SAMPLES[toc >> 3]!;
  const code = toc & 0x03;
  if (code === 0) return perFrame;
  if (code === 1 || code === 2) return perFrame * 2;
  return packet.length > 1 ? perFrame * (packet[1]! & 0x3f) : 0;
}

/** Parses Ogg pages and reassembles Opus packets (header and comment packets are read, not returned). */
export function parseOggOpus(buf: Buffer): OggOpusFile {
  const packets: OpusPacket[] = [];
  let partial: Buffer[] = [];
  let headerPackets = 0;
  let channels = 0;
  let preSkip = 0;
  let inputSampleRate = 0;
  let pos = 0;
  while (pos + 27 <= buf.length) {
    if (buf.toString("ascii", pos, pos + 4) !== "OggS") throw new Error(`no Ogg page at ${pos}`);
    const granule = buf.readBigInt64LE(pos + 6);
    const segments = buf[pos + 26]!;
    const table = buf.subarray(pos + 27, pos + 27 + segments);
    let dataPos = pos + 27 + segments;
    // Index of the last packet finishing on this page: the page's granule belongs to it.
    const lastEnd = table.reduce((last, lace, i) => (lace < 255 ? i : last), -1);
    for (let i = 0; i < segments; i++) {
      const lace = table[i]!;
      partial.push(buf.subarray(dataPos, dataPos + lace));
      dataPos += lace;
      if (lace === 255) continue;
      const data = Buffer.concat(partial);
      partial = [];
      if (headerPackets === 0) {
        if (data.toString("ascii", 0, 8) !== "OpusHead") throw new Error("Ogg stream is not Opus");
        channels = data[9]!;
        preSkip = data.readUInt16LE(10);
        inputSampleRate = data.readUInt32LE(12);
        headerPackets++;
      } else if (headerPackets === 1) {
        headerPackets++; // OpusTags
      } else {
        packets.push({ data, granule: i === lastEnd ? granule : -1n, samples: opusPacketSamples(data) });
      }
    }
    pos = dataPos;
  }
  if (headerPackets < 2) throw new Error("Ogg Opus headers missing");
  return { channels, preSkip, inputSampleRate, packets };
}

export function readOggOpus(path: string): OggOpusFile {
  return parseOggOpus(readFileSync(path));
}
