import { RtpHeader, RtpPacket } from "werift";

/**
 * Synthetic video RTP for jitter-buffer tests: 30 fps, `perFrame` packets a frame (4 gives 120
 * packets/s, about the ~1 Mbit/s VP8 stream of the benches), 90 kHz timestamps, marker on each
 * frame's last packet. Each packet's position in its stream is kept in `indexOf`, so a test can
 * tell which packet came out whatever its sequence number.
 */
export const indexOf = new WeakMap<RtpPacket, number>();

export interface StreamSpec {
  count: number;
  firstSeq?: number;
  firstTs?: number;
  ssrc?: number;
  perFrame?: number;
  /** Added to every packet's index (to tell two streams apart). */
  indexBase?: number;
}

export function stream(spec: StreamSpec): RtpPacket[] {
  const { count, firstSeq = 1000, firstTs = 12_345, ssrc = 0x1234, perFrame = 4, indexBase = 0 } = spec;
  const packets: RtpPacket[] = [];
  for (let i = 0; i < count; i++) packets.push(packet(i, { firstSeq, firstTs, ssrc, perFrame, indexBase }));
  return packets;
}

function packet(i: number, s: Required<Omit<StreamSpec, "count">>): RtpPacket {
  const header = new RtpHeader({
    payloadType: 96,
    sequenceNumber: (s.firstSeq + i) & 0xffff,
    timestamp: (s.firstTs + Math.floor(i / s.perFrame) * 3000) >>> 0,
    marker: i % s.perFrame === s.perFrame - 1,
    ssrc: s.ssrc,
  });
  const rtp = new RtpPacket(header, Buffer.from([i & 0xff, (i >> 8) & 0xff]));
  indexOf.set(rtp, s.indexBase + i);
  return rtp;
}

/** The same packet arriving again: a new object, as werift parses each datagram anew. */
export function copy(rtp: RtpPacket): RtpPacket {
  const again = RtpPacket.deSerialize(rtp.serialize());
  indexOf.set(again, indexOf.get(rtp)!);
  return again;
}

/** Deterministic randomness (mulberry32), so a failure names a reproducible pattern. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Drops each packet with probability `p`, never to be retransmitted. */
export function lose(packets: RtpPacket[], p: number, seed: number): RtpPacket[] {
  const rand = random(seed);
  return packets.filter(() => rand() >= p);
}

/**
 * Delays each packet by up to `maxShift` positions (a network reordering within that distance). The
 * first stays first: nothing that arrives after the first packet of a stream can go before it.
 */
export function reorder(packets: RtpPacket[], maxShift: number, seed: number): RtpPacket[] {
  const rand = random(seed);
  const keyed = packets.map((rtp, i) => ({ rtp, at: i === 0 ? -1 : i + rand() * maxShift }));
  return keyed.sort((a, b) => a.at - b.at).map((k) => k.rtp);
}

/** Sends a copy of a packet with probability `p`, arriving up to `maxLag` positions later. */
export function duplicate(packets: RtpPacket[], p: number, maxLag: number, seed: number): RtpPacket[] {
  const rand = random(seed);
  const keyed = packets.map((rtp, i) => ({ rtp, at: i }));
  for (const [i, rtp] of packets.entries()) if (rand() < p) keyed.push({ rtp: copy(rtp), at: i + 0.5 + rand() * maxLag });
  return keyed.sort((a, b) => a.at - b.at).map((k) => k.rtp);
}
