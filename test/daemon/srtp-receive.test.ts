import { randomBytes } from "node:crypto";
import {
  ProtectionProfileAeadAes128Gcm,
  ProtectionProfileAes128CmHmacSha1_80,
  RtpHeader,
  SrtpAuthenticationError,
  SrtpSession,
} from "werift";
import { describe, expect, it } from "vitest";

// patches/werift+0.24.4.patch gives werift's SRTP receive path keyed KeyObjects and a decrypt that
// returns the plaintext payload without copying the header (`decryptPayload`, what the DTLS
// transport calls per packet). These hold it to werift's own encryption and to its stock decrypt,
// and to dropping what does not authenticate.

type Session = InstanceType<typeof SrtpSession> & {
  decryptPayload(buf: Buffer): [Buffer, RtpHeader & { paddingSize: number }];
};

/** A sender and a receiver session with mirrored keys, as the two ends of a DTLS-SRTP association. */
function pair(profile: number, saltLength: number): { sender: Session; receiver: Session } {
  const a = { key: randomBytes(16), salt: randomBytes(saltLength) };
  const b = { key: randomBytes(16), salt: randomBytes(saltLength) };
  const session = (local: typeof a, remote: typeof a) =>
    new SrtpSession({
      profile,
      keys: { localMasterKey: local.key, localMasterSalt: local.salt, remoteMasterKey: remote.key, remoteMasterSalt: remote.salt },
    } as ConstructorParameters<typeof SrtpSession>[0]) as Session;
  return { sender: session(a, b), receiver: session(b, a) };
}

function header(sequenceNumber: number, padding = false): RtpHeader {
  return new RtpHeader({ payloadType: 96, sequenceNumber, timestamp: sequenceNumber * 3000, ssrc: 0x1234abcd, marker: false, padding });
}

const profiles = [
  { name: "AEAD_AES_128_GCM", profile: ProtectionProfileAeadAes128Gcm, saltLength: 12 },
  { name: "AES128_CM_HMAC_SHA1_80", profile: ProtectionProfileAes128CmHmacSha1_80, saltLength: 14 },
];

describe.each(profiles)("SRTP receive path ($name)", ({ profile, saltLength }) => {
  it("decrypts what werift encrypted to the same payload as the stock decrypt, over a sequence-number wrap", () => {
    const { sender, receiver } = pair(profile, saltLength);
    // A second receiver with the same keys runs werift's stock decrypt on the same packets.
    const stock = new SrtpSession({
      profile,
      keys: {
        localMasterKey: receiver.localContext.masterKey,
        localMasterSalt: receiver.localContext.masterSalt.subarray(0, saltLength),
        remoteMasterKey: receiver.remoteContext.masterKey,
        remoteMasterSalt: receiver.remoteContext.masterSalt.subarray(0, saltLength),
      },
    } as ConstructorParameters<typeof SrtpSession>[0]);
    for (let i = 0; i < 300; i++) {
      const seq = (65_400 + i) & 0xffff; // crosses the wrap: the rollover counter takes part in the IV
      const payload = randomBytes(1 + ((i * 37) % 1200));
      const packet = sender.encrypt(payload, header(seq));
      const [plain, h] = receiver.decryptPayload(packet);
      expect(plain.equals(payload)).toBe(true);
      expect(h.sequenceNumber).toBe(seq);
      expect(h.paddingSize).toBe(0);
      const whole = stock.decrypt(packet);
      expect(whole.subarray(h.payloadOffset).equals(payload)).toBe(true);
    }
  });

  it("reports RTP padding from the plaintext", () => {
    const { sender, receiver } = pair(profile, saltLength);
    const payload = Buffer.concat([randomBytes(100), Buffer.from([0, 0, 3])]); // 3 bytes of padding
    const [plain, h] = receiver.decryptPayload(sender.encrypt(payload, header(7, true)));
    expect(h.paddingSize).toBe(3);
    expect(plain.subarray(0, plain.length - h.paddingSize).equals(payload.subarray(0, 100))).toBe(true);
  });

  it("drops a tampered packet: payload, header or tag altered, or cut short", () => {
    const { sender, receiver } = pair(profile, saltLength);
    const packet = sender.encrypt(randomBytes(500), header(100));
    const tampered = [
      (p: Buffer) => (p[p.length - 200]! ^= 0x01), // ciphertext
      (p: Buffer) => (p[3]! ^= 0x01), // sequence number, authenticated
      (p: Buffer) => (p[p.length - 1]! ^= 0x80), // tag
      (p: Buffer) => p.subarray(0, 14),
    ];
    for (const alter of tampered) {
      const copy = Buffer.from(packet);
      const result = alter(copy);
      const bad = Buffer.isBuffer(result) ? result : copy;
      expect(() => receiver.decryptPayload(bad)).toThrow(SrtpAuthenticationError);
    }
    // The untouched packet still decrypts afterwards: failures leave the replay state alone.
    expect(receiver.decryptPayload(packet)[0].length).toBe(500);
  });

  it("keeps its rollover state when a forged packet arrives just before the sequence wraps", () => {
    const { sender, receiver } = pair(profile, saltLength);
    // The attack: a packet from mid-sequence with a bad tag (made first: the sender's own rollover
    // state follows what it encrypts). Had the receiver kept it as the last sequence number seen, the
    // real wrap that follows would not move its rollover counter, and every packet after it would
    // fail to authenticate.
    const forged = sender.encrypt(randomBytes(50), header(30_000));
    forged[forged.length - 1]! ^= 0xff;
    for (let seq = 65_520; seq < 65_536; seq++) receiver.decryptPayload(sender.encrypt(randomBytes(50), header(seq)));
    expect(() => receiver.decryptPayload(forged)).toThrow(SrtpAuthenticationError);
    // Sequence 0 itself is lost on the way.
    for (let seq = 1; seq < 10; seq++) {
      const payload = randomBytes(50);
      expect(receiver.decryptPayload(sender.encrypt(payload, header(seq)))[0].equals(payload)).toBe(true);
    }
  });

  it("takes a late packet from before the wrap with the previous rollover counter, and the packets after it still decrypt (RFC 3711 3.3.1)", () => {
    const { sender, receiver } = pair(profile, saltLength);
    // The sender encrypts in order across the wrap; a retransmission or network duplicate of an
    // early packet is the same bytes, arriving late.
    const sent = new Map<number, { payload: Buffer; packet: Buffer }>();
    const order: number[] = [];
    for (let i = 0; i < 300; i++) order.push((65_500 + i) & 0xffff);
    for (const seq of order) {
      const payload = randomBytes(60);
      sent.set(seq, { payload, packet: sender.encrypt(payload, header(seq)) });
    }
    const take = (seq: number) => {
      const { payload, packet } = sent.get(seq)!;
      expect(receiver.decryptPayload(packet)[0].equals(payload), `sequence ${seq}`).toBe(true);
    };
    // Up to 99 after the wrap, then a copy of 65530 (old werift turned its counter back for it and
    // lost every packet from 100 on), then more, then a copy of 65531 far behind the newest.
    for (const seq of order.slice(0, order.indexOf(100))) take(seq);
    take(65_530);
    for (const seq of order.slice(order.indexOf(100), order.indexOf(150))) take(seq);
    take(65_531);
    for (const seq of order.slice(order.indexOf(150))) take(seq);
  });

  it("a sender that retransmits a packet from before the wrap keeps the right counter for the packets after it", () => {
    const { sender, receiver } = pair(profile, saltLength);
    const send = (seq: number) => {
      const payload = randomBytes(60);
      expect(receiver.decryptPayload(sender.encrypt(payload, header(seq)))[0].equals(payload), `sequence ${seq}`).toBe(true);
    };
    for (let i = 0; i < 136; i++) send((65_500 + i) & 0xffff); // 65500 ... 65535, 0 ... 99
    send(65_530); // a NACKed packet sent again with its own sequence number (no RTX)
    for (let seq = 100; seq < 200; seq++) send(seq);
  });
});
