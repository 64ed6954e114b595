/**
 * H.264 as Matroska wants it: the depacketizer yields Annex B access units; Matroska stores
 * length-prefixed NAL units and an AVCDecoderConfigurationRecord (avcC) built from SPS and PPS.
 */
import { splitAnnexB } from "../../src/media/h264.js";

const NAL_SPS = 7;
const NAL_PPS = 8;
const NAL_AUD = 9;

export interface H264Config {
  codec: string;
  width: number;
  height: number;
  description: Uint8Array;
}

/** Annex B -> 4-byte length-prefixed NAL units (access unit delimiters dropped). */
export function h264ToLengthPrefixed(annexB: Uint8Array): Uint8Array {
  const nals = splitAnnexB(annexB).filter((n) => (n[0]! & 0x1f) !== NAL_AUD);
  const out = Buffer.allocUnsafe(nals.reduce((sum, n) => sum + 4 + n.length, 0));
  let pos = 0;
  for (const nal of nals) {
    out.writeUInt32BE(nal.length, pos);
    out.set(nal, pos + 4);
    pos += 4 + nal.length;
  }
  return out;
}

/** Decoder configuration from a keyframe carrying SPS and PPS in band; null when they are missing. */
export function h264DecoderConfig(annexB: Uint8Array): H264Config | null {
  const nals = splitAnnexB(annexB);
  const sps = nals.find((n) => (n[0]! & 0x1f) === NAL_SPS);
  const pps = nals.find((n) => (n[0]! & 0x1f) === NAL_PPS);
  if (!sps || !pps || sps.length < 4) return null;
  const size = spsFrameSize(sps);
  if (!size) return null;
  const avcc = Buffer.alloc(11 + sps.length + pps.length);
  avcc[0] = 1;
  avcc[1] = sps[1]!; // profile
  avcc[2] = sps[2]!; // constraint flags
  avcc[3] = sps[3]!; // level
  avcc[4] = 0xff; // 4-byte NAL lengths
  avcc[5] = 0xe1; // one SPS
  avcc.writeUInt16BE(sps.length, 6);
  avcc.set(sps, 8);
  avcc[8 + sps.length] = 1; // one PPS
  avcc.writeUInt16BE(pps.length, 9 + sps.length);
  avcc.set(pps, 11 + sps.length);
  const hex = (b: number): string => b.toString(16).padStart(2, "0");
  return { codec: `avc1.${hex(sps[1]!)}${hex(sps[2]!)}${hex(sps[3]!)}`, ...size, description: new Uint8Array(avcc) };
}

/** Removes emulation prevention bytes (00 00 03 -> 00 00). */
function rbsp(nal: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < nal.length; i++) {
    if (i >= 2 && nal[i] === 3 && nal[i - 1] === 0 && nal[i - 2] === 0) continue;
    out.push(nal[i]!);
  }
  return Uint8Array.from(out);
}

class BitReader {
  private pos = 0;
  constructor(private readonly data: Uint8Array) {}
  bit(): number {
    const byte = this.data[this.pos >> 3];
    if (byte === undefined) throw new Error("SPS ended early");
    return (byte >> (7 - (this.pos++ & 7))) & 1;
  }
  bits(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 2 + this.bit();
    return v;
  }
  ue(): number {
    let zeros = 0;
    while (this.bit() === 0) zeros++;
    return 2 ** zeros - 1 + this.bits(zeros);
  }
  se(): number {
    const v = this.ue();
    return v % 2 === 1 ? (v + 1) / 2 : -v / 2;
  }
}

const HIGH_PROFILES = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** Display width and height from a sequence parameter set (ITU-T H.264, 7.3.2.1.1). */
export function spsFrameSize(sps: Uint8Array): { width: number; height: number } | null {
  try {
    const r = new BitReader(rbsp(sps).subarray(1));
    const profile = r.bits(8);
    r.bits(16); // constraint flags, level
    r.ue(); // seq_parameter_set_id
    let chromaFormat = 1;
    let separateColourPlane = 0;
    if (HIGH_PROFILES.has(profile)) {
      chromaFormat = r.ue();
      if (chromaFormat === 3) separateColourPlane = r.bit();
      r.ue(); // bit_depth_luma_minus8
      r.ue(); // bit_depth_chroma_minus8
      r.bit(); // qpprime_y_zero_transform_bypass_flag
      if (r.bit()) {
        for (let i = 0; i < (chromaFormat !== 3 ? 8 : 12); i++) {
          if (!r.bit()) continue;
          let last = 8;
          let next = 8;
          for (let j = 0; j < (i < 6 ? 16 : 64); j++) {
            if (next !== 0) next = (last + r.se() + 256) % 256;
            last = next === 0 ? last : next;
          }
        }
      }
    }
    r.ue(); // log2_max_frame_num_minus4
    const pocType = r.ue();
    if (pocType === 0) r.ue();
    else if (pocType === 1) {
      r.bit();
      r.se();
      r.se();
      const cycle = r.ue();
      for (let i = 0; i < cycle; i++) r.se();
    }
    r.ue(); // max_num_ref_frames
    r.bit(); // gaps_in_frame_num_value_allowed_flag
    const widthMbs = r.ue() + 1;
    const heightMapUnits = r.ue() + 1;
    const frameMbsOnly = r.bit();
    if (!frameMbsOnly) r.bit(); // mb_adaptive_frame_field_flag
    r.bit(); // direct_8x8_inference_flag
    let crop = { left: 0, right: 0, top: 0, bottom: 0 };
    if (r.bit()) crop = { left: r.ue(), right: r.ue(), top: r.ue(), bottom: r.ue() };
    const chromaArrayType = separateColourPlane ? 0 : chromaFormat;
    const cropUnitX = chromaArrayType === 0 ? 1 : chromaFormat === 3 ? 1 : 2;
    const cropUnitY = (chromaArrayType === 0 ? 1 : chromaFormat === 1 ? 2 : 1) * (2 - frameMbsOnly);
    const width = widthMbs * 16 - cropUnitX * (crop.left + crop.right);
    const height = (2 - frameMbsOnly) * heightMapUnits * 16 - cropUnitY * (crop.top + crop.bottom);
    return width > 0 && height > 0 ? { width, height } : null;
  } catch {
    return null;
  }
}
