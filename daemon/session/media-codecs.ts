/** Codec helpers for what arrives over RTP: VP8 keyframe headers and Opus decoder configuration. */
export { opusPacketSamples } from "../../src/media/ogg-opus.js";

export interface FrameSize {
  width: number;
  height: number;
}

/** Width and height from a VP8 keyframe's uncompressed header (RFC 6386, 9.1); null for delta frames. */
export function vp8KeyframeSize(frame: Uint8Array): FrameSize | null {
  if (frame.length < 10 || (frame[0]! & 0x01) !== 0) return null;
  if (frame[3] !== 0x9d || frame[4] !== 0x01 || frame[5] !== 0x2a) return null;
  const width = (frame[6]! | (frame[7]! << 8)) & 0x3fff;
  const height = (frame[8]! | (frame[9]! << 8)) & 0x3fff;
  return width > 0 && height > 0 ? { width, height } : null;
}

/** Channel count signalled by an Opus packet's TOC byte (the stereo flag). */
export function opusChannels(packet: Uint8Array): 1 | 2 {
  return packet.length > 0 && (packet[0]! & 0x04) !== 0 ? 2 : 1;
}

/** The OpusHead identification header (RFC 7845, 5.1) that Matroska keeps as CodecPrivate. */
export function opusHead(channels: number): Uint8Array {
  const head = Buffer.alloc(19);
  head.write("OpusHead", 0, "ascii");
  head[8] = 1;
  head[9] = channels;
  head.writeUInt16LE(0, 10); // pre-skip: RTP streams carry none
  head.writeUInt32LE(48_000, 12);
  head.writeInt16LE(0, 16);
  head[18] = 0; // mapping family 0: mono or stereo
  return new Uint8Array(head);
}
