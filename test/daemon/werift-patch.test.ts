import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Event, RTCPeerConnection, RtpHeader, RtpPacket, Vp8RtpPayload } from "werift";
import { describe, expect, it } from "vitest";

// patches/werift+0.24.4.patch (applied by `npm install`) rewrites werift's hot receive path. These
// tests hold the patched code to the bytes, parsed here independently, and to werift's own API.

const ROOT = join(import.meta.dirname, "..", "..");

/** Deterministic bytes, so a failure names a reproducible input. */
function* bytes(seed: number): Generator<number> {
  let x = seed >>> 0 || 1;
  for (;;) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    yield x & 0xff;
  }
}

/** An RTP packet with every combination of the first two bytes, CSRCs and a one-byte extension. */
function rtpPacket(b0: number, b1: number, rnd: Generator<number>): Buffer {
  const csrcCount = b0 & 0x0f;
  const extension = (b0 & 0x10) !== 0;
  const head = Buffer.alloc(12 + csrcCount * 4);
  head[0] = b0 & ~0x20; // no padding: that needs a length byte at the end
  head[1] = b1;
  for (let i = 2; i < head.length; i++) head[i] = rnd.next().value!;
  const ext = extension ? Buffer.from([0xbe, 0xde, 0x00, 0x01, 0x10 | 0x00, rnd.next().value!, 0x00, 0x00]) : Buffer.alloc(0);
  const payload = Buffer.from([1, 2, 3, 4, 5]);
  return Buffer.concat([head, ext, payload]);
}

describe("werift as patched for the receive path", () => {
  it("is the patched 0.24.4: npm install applied patches/", () => {
    const dir = join(ROOT, "node_modules", "werift");
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version: string };
    expect(pkg.version).toBe("0.24.4");
    const source = readFileSync(join(dir, "lib", "index.mjs"), "utf8");
    expect(source).toContain("function getBitSlow(");
    expect(source).toContain("if (this.event.promiseStack.length === 0) return;");
    expect(source).toContain("[dec, header] = this.srtp.decryptPayload(data);");
    expect(source).toContain("static FirstFlightRetransmitMs");
    expect(source).toContain("return x25519SharedSecret(privateKey, publicKey);");
    expect(source).toContain("const codecName = lowerCodecName(codec);");
    expect(source).toContain("const nominate = false;");
    expect(source).toContain("if (last < 32768) return seq - last > 32768 ? Math.max(0, roc - 1) : roc;");
  });

  it("parses several one-byte and two-byte header extensions (RFC 8285) in order, each header with arrays of its own", () => {
    const base = Buffer.from([0x90, 0x60, 0x12, 0x34, 0, 0, 0x10, 0, 0xde, 0xad, 0xbe, 0xef]);
    // One-byte: id 1 (2 bytes), padding, id 3 (1 byte), id 14 (4 bytes): 9 bytes, padded to 12.
    const one = Buffer.concat([base, Buffer.from([0xbe, 0xde, 0x00, 0x03, 0x11, 0xaa, 0xbb, 0x00, 0x30, 0xcc, 0xe3, 1, 2, 3, 4, 0, 0, 0]), Buffer.from([9, 9])]);
    const h1 = RtpHeader.deSerialize(one);
    expect(h1.extensions).toEqual([
      { id: 1, payload: Buffer.from([0xaa, 0xbb]) },
      { id: 3, payload: Buffer.from([0xcc]) },
      { id: 14, payload: Buffer.from([1, 2, 3, 4]) },
    ]);
    expect(h1.payloadOffset).toBe(12 + 4 + 12);
    // Two-byte (profile 0x1000): id 200 (3 bytes), id 7 (0 bytes), padding: 7 bytes, padded to 8.
    const two = Buffer.concat([base, Buffer.from([0x10, 0x00, 0x00, 0x02, 200, 3, 7, 8, 9, 7, 0, 0]), Buffer.from([9])]);
    const h2 = RtpHeader.deSerialize(two);
    expect(h2.extensions).toEqual([
      { id: 200, payload: Buffer.from([7, 8, 9]) },
      { id: 7, payload: Buffer.alloc(0) },
    ]);
    expect(h1.extensions).not.toBe(h2.extensions);
    expect(h1.csrc).not.toBe(h2.csrc);
    // A clone is a shallow copy: a field changed on it leaves the original alone.
    const packet = new RtpPacket(h1, Buffer.from([9, 9]));
    const copy = packet.clone();
    copy.header.sequenceNumber = 1;
    expect(packet.header.sequenceNumber).toBe(0x1234);
    expect(copy.header).toBeInstanceOf(RtpHeader);
    expect(copy.header.extensions).toEqual(h1.extensions);
  });

  it("parses every RTP first-byte and marker/payload-type combination as the bytes say", () => {
    const rnd = bytes(7);
    for (let b0 = 0; b0 < 256; b0++) {
      for (const b1 of [0x00, 0x60, 0x6f, 0x80, 0xe0, 0xff, rnd.next().value!]) {
        const raw = rtpPacket(b0, b1, rnd);
        const h = RtpHeader.deSerialize(raw);
        const csrcCount = b0 & 0x0f;
        expect(h.version).toBe(b0 >> 6);
        expect(h.padding).toBe(false);
        expect(h.extension).toBe((b0 & 0x10) !== 0);
        expect(h.csrcLength).toBe(csrcCount);
        expect(h.marker).toBe((b1 & 0x80) !== 0);
        expect(h.payloadType).toBe(b1 & 0x7f);
        expect(h.sequenceNumber).toBe(raw.readUInt16BE(2));
        expect(h.timestamp).toBe(raw.readUInt32BE(4));
        expect(h.ssrc).toBe(raw.readUInt32BE(8));
        expect(h.csrc).toEqual(Array.from({ length: csrcCount }, (_, i) => raw.readUInt32BE(12 + 4 * i)));
        if (h.extension) expect(h.extensions).toEqual([{ id: 1, payload: raw.subarray(12 + csrcCount * 4 + 5, 12 + csrcCount * 4 + 6) }]);
        const packet = RtpPacket.deSerialize(raw);
        expect([...packet.payload]).toEqual([1, 2, 3, 4, 5]);
        // A header that werift serialises again reads back the same.
        expect(RtpPacket.deSerialize(packet.serialize()).header.payloadType).toBe(b1 & 0x7f);
      }
    }
  });

  it("parses VP8 payload descriptors (RFC 7741) as the bits say", () => {
    const rnd = bytes(11);
    for (let i = 0; i < 2000; i++) {
      const x = rnd.next().value! & 0x80; // extended control bits present
      const n = rnd.next().value! & 0x01;
      const s = rnd.next().value! & 0x10;
      const pid = rnd.next().value! & 0x07;
      // I, and L T K together (werift skips the TID/KEYIDX byte for L or K, not for T alone).
      const ext = (rnd.next().value! & 0x80) | (rnd.next().value! & 1 ? 0x70 : 0);
      const m = rnd.next().value! & 0x80;
      const pictureId = m ? ((rnd.next().value! & 0x7f) << 8) | rnd.next().value! : rnd.next().value! & 0x7f;
      const frameByte = rnd.next().value!;
      const desc = [x | (n << 5) | s | pid];
      if (x) {
        desc.push(ext);
        if (ext & 0x80) desc.push(...(m ? [0x80 | (pictureId >> 8), pictureId & 0xff] : [pictureId]));
        if (ext & 0x40) desc.push(0x2a);
        if (ext & 0x20) desc.push(0xc5);
      }
      const buf = Buffer.from([...desc, frameByte, 0x9d, 0x01, 0x2a]);
      const p = Vp8RtpPayload.deSerialize(buf);
      expect(p.xBit).toBe(x ? 1 : 0);
      expect(p.nBit).toBe(n);
      expect(p.sBit).toBe(s ? 1 : 0);
      expect(p.pid).toBe(pid);
      if (x && ext & 0x80) expect(p.pictureId).toBe(pictureId);
      expect(p.payload[0]).toBe(frameByte);
      if (s && pid === 0) expect(p.isKeyframe).toBe((frameByte & 0x01) === 0);
    }
  });

  it("still runs both synchronous and asynchronous event subscribers", async () => {
    const event = new Event<[number]>();
    const sync: number[] = [];
    const later: number[] = [];
    event.subscribe((n) => void sync.push(n));
    event.execute(1);
    expect(sync).toEqual([1]);
    event.queuingSubscribe(async (n) => void later.push(n));
    event.execute(2);
    await new Promise((r) => setImmediate(r));
    expect(sync).toEqual([1, 2]);
    expect(later).toEqual([2]);
  });

  it("stops the NACK loop once nothing is missing (it ran every 5 ms for good after the first gap)", async () => {
    const pc = new RTCPeerConnection({ iceServers: [] });
    try {
      const { receiver } = pc.addTransceiver("video", { direction: "recvonly" });
      const nack = (receiver as unknown as { nack: { addPacket(p: RtpPacket): void; nackLoop: unknown; lostSeqNumbers: number[] } }).nack;
      const packet = (sequenceNumber: number) => new RtpPacket(new RtpHeader({ sequenceNumber, ssrc: 1234, payloadType: 96 }), Buffer.alloc(10));
      // 101 is missing when 102 arrives, and arrives late in the same turn, before any NACK is due.
      nack.addPacket(packet(100));
      nack.addPacket(packet(102));
      expect(nack.lostSeqNumbers).toEqual([101]);
      expect(nack.nackLoop).toBeDefined();
      nack.addPacket(packet(101));
      expect(nack.lostSeqNumbers).toEqual([]);
      // Generous: the loop's 5 ms tick on a busy machine.
      const deadline = Date.now() + 5_000;
      while (nack.nackLoop !== undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(nack.nackLoop).toBeUndefined();
    } finally {
      await pc.close();
    }
  });
});
