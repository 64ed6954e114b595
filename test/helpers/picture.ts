import { execFileSync } from "node:child_process";
import type { BlockCell } from "../../src/picture/blocks.js";

/**
 * Every frame of a video file decoded by ffmpeg to `width x height` RGB, scaled and letterboxed
 * exactly as the live viewer's decoder does (src/media/video-decoder.ts), for comparing pictures.
 */
export function decodeFrames(path: string, width: number, height: number): Buffer[] {
  const filter = `scale=${width}:${height}:force_original_aspect_ratio=decrease:flags=area,pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2`;
  const raw = execFileSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-i", path, "-vf", filter, "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"], {
    maxBuffer: 1 << 30,
  });
  const size = width * height * 3;
  const frames: Buffer[] = [];
  for (let i = 0; i + size <= raw.length; i += size) frames.push(raw.subarray(i, i + size));
  return frames;
}

/** Half-block cells back to packed RGB, two pixel rows per cell row. */
export function cellsToRgb(cells: BlockCell[][]): { width: number; height: number; rgb: Buffer } {
  const width = cells[0]?.length ?? 0;
  const height = cells.length * 2;
  const rgb = Buffer.alloc(width * height * 3);
  cells.forEach((row, y) =>
    row.forEach((cell, x) => {
      rgb.set(cell.top, (2 * y * width + x) * 3);
      rgb.set(cell.bottom, ((2 * y + 1) * width + x) * 3);
    }),
  );
  return { width, height, rgb };
}

/** Mean absolute difference of two same-sized RGB pictures, 0 (same) to 255. */
export function meanAbsDiff(a: Buffer, b: Buffer): number {
  if (a.length !== b.length) throw new Error(`pictures differ in size: ${a.length} and ${b.length} bytes`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

/** The picture mirrored left to right: a wrong picture with the same colours, to show a check can fail. */
export function mirrored(rgb: Buffer, width: number, height: number): Buffer {
  const out = Buffer.alloc(rgb.length);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) rgb.copy(out, (y * width + (width - 1 - x)) * 3, (y * width + x) * 3, (y * width + x) * 3 + 3);
  return out;
}
