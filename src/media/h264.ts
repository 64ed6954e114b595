import { readFileSync } from "node:fs";
import { MAX_RTP_PAYLOAD } from "./vp8-packetizer.js";

const NAL_IDR = 5;
const NAL_AUD = 9;
const NAL_FU_A = 28;

/** NAL units of an Annex B byte stream (start codes removed). */
export function splitAnnexB(stream: Uint8Array): Uint8Array[] {
  const units: Uint8Array[] = [];
  let start = -1;
  let i = 0;
  while (i + 2 < stream.length) {
    if (stream[i] === 0 && stream[i + 1] === 0 && stream[i + 2] === 1) {
      if (start >= 0) units.push(trimZeros(stream.subarray(start, i)));
      i += 3;
      start = i;
    } else {
      i++;
    }
  }
  if (start >= 0 && start < stream.length) units.push(stream.subarray(start));
  return units.filter((u) => u.length > 0);
}

// A four-byte start code leaves a zero at the end of the previous unit.
function trimZeros(unit: Uint8Array): Uint8Array {
  let end = unit.length;
  while (end > 0 && unit[end - 1] === 0) end--;
  return unit.subarray(0, end);
}

export interface H264AccessUnit {
  nals: Uint8Array[];
  keyframe: boolean;
}

/**
 * Reads an Annex B H.264 file whose access units are delimited by AUD NAL units (ffmpeg:
 * `-bsf:v h264_metadata=aud=insert`). AUDs are not kept: they do not travel over RTP.
 */
export function readH264(path: string): H264AccessUnit[] {
  const units: H264AccessUnit[] = [];
  let current: Uint8Array[] | undefined;
  for (const nal of splitAnnexB(readFileSync(path))) {
    if ((nal[0]! & 0x1f) === NAL_AUD) {
      if (current?.length) units.push(accessUnit(current));
      current = [];
    } else {
      (current ??= []).push(nal);
    }
  }
  if (current?.length) units.push(accessUnit(current));
  if (units.length === 0) throw new Error("no H.264 access units found");
  return units;
}

function accessUnit(nals: Uint8Array[]): H264AccessUnit {
  return { nals, keyframe: nals.some((n) => (n[0]! & 0x1f) === NAL_IDR) };
}

/** RTP payloads for one access unit (RFC 6184, packetization-mode 1): single NAL units, FU-A when too big. */
export function packetizeH264(unit: H264AccessUnit, maxPayload = MAX_RTP_PAYLOAD): Buffer[] {
  const payloads: Buffer[] = [];
  for (const nal of unit.nals) {
    if (nal.length <= maxPayload) {
      payloads.push(Buffer.from(nal));
      continue;
    }
    const header = nal[0]!;
    const indicator = (header & 0xe0) | NAL_FU_A;
    const chunk = maxPayload - 2;
    for (let offset = 1; offset < nal.length; offset += chunk) {
      const end = Math.min(offset + chunk, nal.length);
      const fuHeader = (offset === 1 ? 0x80 : 0) | (end === nal.length ? 0x40 : 0) | (header & 0x1f);
      const payload = Buffer.allocUnsafe(2 + end - offset);
      payload[0] = indicator;
      payload[1] = fuHeader;
      payload.set(nal.subarray(offset, end), 2);
      payloads.push(payload);
    }
  }
  return payloads;
}
