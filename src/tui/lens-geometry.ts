import type { Layout } from "./layout.js";

/** A point of the video frame, 0..1 from its left and top edges (as in src/protocol/lens.ts). */
export interface FramePoint {
  x: number;
  y: number;
}

/**
 * Where the live picture sits: its cells (`cols` x `rows`, two pixels per row), its first row and
 * column on the console's frame (0-based), and the video's own size when known. The picture is
 * the video scaled into the cells with its aspect kept and black bars around (src/media/video-decoder.ts).
 */
export interface PictureBox {
  cols: number;
  rows: number;
  top: number;
  left: number;
  video: { width: number; height: number } | null;
}

/**
 * The picture's place on the main screen: under the header, the banner (when the daemon is away),
 * the list's heading and rows, and the detail heading; at the left edge. Ink writes the frame
 * followed by a newline and the layout keeps it one row short of the terminal, so once drawn the
 * frame starts on the terminal's first row whatever row the console started on.
 */
export function pictureBox(l: Layout, banner: boolean, video: PictureBox["video"]): PictureBox | null {
  if (!l.picture) return null;
  return { cols: l.picture.cols, rows: l.picture.rows, top: 1 + (banner ? 1 : 0) + 1 + l.listRows + 1, left: 0, video };
}

/** The video's rectangle inside the box, in half-block pixels (cols x 2*rows). */
function content(box: PictureBox): { x: number; y: number; w: number; h: number } {
  const W = box.cols;
  const H = box.rows * 2;
  const v = box.video;
  if (!v || v.width <= 0 || v.height <= 0) return { x: 0, y: 0, w: W, h: H };
  const scale = Math.min(W / v.width, H / v.height);
  const w = Math.max(1, Math.round(v.width * scale));
  const h = Math.max(1, Math.round(v.height * scale));
  return { x: Math.floor((W - w) / 2), y: Math.floor((H - h) / 2), w, h };
}

/** The cell (column, row within the picture) that shows frame point `p`. */
export function cellOf(box: PictureBox, p: FramePoint): { col: number; row: number } {
  const c = content(box);
  const px = c.x + p.x * c.w;
  const py = c.y + p.y * c.h;
  return {
    col: Math.max(0, Math.min(box.cols - 1, Math.floor(px))),
    row: Math.max(0, Math.min(box.rows - 1, Math.floor(py / 2))),
  };
}

/**
 * The frame point under the terminal cell (`column`, `row`), both 1-based as terminals report
 * mouse positions; null when the cell is outside the picture or on its black bars.
 */
export function pointAt(box: PictureBox, column: number, row: number): FramePoint | null {
  const col = column - 1 - box.left;
  const line = row - 1 - box.top;
  if (col < 0 || col >= box.cols || line < 0 || line >= box.rows) return null;
  const c = content(box);
  // The middle of the cell: half a pixel across, the line between its two pixels down.
  const x = (col + 0.5 - c.x) / c.w;
  const y = (line * 2 + 1 - c.y) / c.h;
  if (x < 0 || x > 1 || y < 0 || y > 1) return null;
  return { x: round(x), y: round(y) };
}

/** Three decimals: finer than any cell, short in requests and notices. */
export function round(n: number): number {
  return Math.round(Math.max(0, Math.min(1, n)) * 1000) / 1000;
}
