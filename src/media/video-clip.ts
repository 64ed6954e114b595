import { extname } from "node:path";
import { packetizeH264, readH264 } from "./h264.js";
import { readIvf } from "./ivf.js";
import { packetizeVp8 } from "./vp8-packetizer.js";

export interface ClipFrame {
  keyframe: boolean;
  /** Duration in 90 kHz RTP ticks. */
  ticks: number;
  /** RTP payloads for this frame; the sender sets the marker bit on the last one. */
  packetize(): Buffer[];
}

export interface VideoClip {
  codec: "vp8" | "h264";
  frames: ClipFrame[];
}

const CLOCK = 90_000;

/** A video file to stream: VP8 in IVF (timestamps from the file) or H.264 Annex B (at `h264Fps`). */
export function loadVideoClip(path: string, h264Fps = 30): VideoClip {
  const ext = extname(path).toLowerCase();
  if (ext === ".h264" || ext === ".264") {
    const ticks = Math.round(CLOCK / h264Fps);
    const frames = readH264(path).map((unit) => ({ keyframe: unit.keyframe, ticks, packetize: () => packetizeH264(unit) }));
    return { codec: "h264", frames };
  }
  const ivf = readIvf(path);
  if (ivf.header.fourcc !== "VP80") throw new Error(`video must be VP8 in IVF or H.264 Annex B, got ${ivf.header.fourcc}`);
  const toTicks = (pts: number): number => (pts * CLOCK * ivf.header.timebaseNum) / ivf.header.timebaseDen;
  const frames = ivf.frames.map((frame, i, all) => {
    // The last frame lasts as long as the one before it.
    const next = all[i + 1];
    const prev = all[i - 1];
    const span = next ? toTicks(next.pts) - toTicks(frame.pts) : prev ? toTicks(frame.pts) - toTicks(prev.pts) : CLOCK / 30;
    return { keyframe: frame.keyframe, ticks: Math.round(span), packetize: () => packetizeVp8(frame.data) };
  });
  return { codec: "vp8", frames };
}
