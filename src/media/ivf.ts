import { readFileSync } from "node:fs";

export interface IvfHeader {
  fourcc: string;
  width: number;
  height: number;
  /** Timebase of the frame timestamps: `timebaseNum / timebaseDen` seconds per tick. */
  timebaseNum: number;
  timebaseDen: number;
}

export interface IvfFrame {
  /** In timebase ticks, as written by the encoder. */
  pts: number;
  data: Buffer;
  keyframe: boolean;
}

export interface IvfFile {
  header: IvfHeader;
  frames: IvfFrame[];
}

/** A VP8 frame is a keyframe when bit 0 of its first byte (the frame-type bit) is clear. */
export function isVp8Keyframe(frame: Uint8Array): boolean {
  return frame.length > 0 && (frame[0]! & 0x01) === 0;
}

/** Parses a whole IVF file (small clips only: it is read into memory once). */
export function parseIvf(buf: Buffer): IvfFile {
  if (buf.length < 32 || buf.toString("ascii", 0, 4) !== "DKIF") throw new Error("not an IVF file");
  const headerLength = buf.readUInt16LE(6);
  const header: IvfHeader = {
    fourcc: buf.toString("ascii", 8, 12),
    width: buf.readUInt16LE(12),
    height: buf.readUInt16LE(14),
    timebaseDen: buf.readUInt32LE(16),
    timebaseNum: buf.readUInt32LE(20),
  };
  if (header.timebaseDen === 0 || header.timebaseNum === 0) throw new Error("IVF timebase is zero");
  const frames: IvfFrame[] = [];
  let pos = headerLength;
  while (pos + 12 <= buf.length) {
    const size = buf.readUInt32LE(pos);
    const pts = Number(buf.readBigUInt64LE(pos + 4));
    const start = pos + 12;
    if (start + size > buf.length) throw new Error(`IVF frame at ${pos} runs past the end of the file`);
    const data = buf.subarray(start, start + size);
    frames.push({ pts, data, keyframe: header.fourcc === "VP80" ? isVp8Keyframe(data) : false });
    pos = start + size;
  }
  return { header, frames };
}

export function readIvf(path: string): IvfFile {
  return parseIvf(readFileSync(path));
}

/** IVF's fixed file header is 32 bytes; each frame has a 12-byte header (size, 64-bit pts). */
export const IVF_FILE_HEADER_BYTES = 32;

/**
 * The 32-byte IVF file header (libvpx's format, as `parseIvf` reads it). `width`/`height` are
 * only a hint: decoders take the real size from each keyframe.
 */
export function ivfFileHeader(h: Omit<IvfHeader, "timebaseNum"> & { timebaseNum?: number }): Buffer {
  const buf = Buffer.alloc(IVF_FILE_HEADER_BYTES);
  buf.write("DKIF", 0, "ascii");
  buf.writeUInt16LE(0, 4);
  buf.writeUInt16LE(IVF_FILE_HEADER_BYTES, 6);
  buf.write(h.fourcc, 8, "ascii");
  buf.writeUInt16LE(h.width & 0xffff, 12);
  buf.writeUInt16LE(h.height & 0xffff, 14);
  buf.writeUInt32LE(h.timebaseDen, 16);
  buf.writeUInt32LE(h.timebaseNum ?? 1, 20);
  return buf;
}

/** The 12-byte header that precedes each frame: its size in bytes and its pts in timebase ticks. */
export function ivfFrameHeader(size: number, pts: number): Buffer {
  const buf = Buffer.alloc(12);
  buf.writeUInt32LE(size, 0);
  buf.writeBigUInt64LE(BigInt(Math.max(0, Math.floor(pts))), 4);
  return buf;
}
