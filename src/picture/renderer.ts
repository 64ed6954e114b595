import type { RgbFrame } from "../media/video-decoder.js";
import { blockLines } from "./blocks.js";
import { itermImage, kittyImage, sixelImage } from "./graphics.js";

export const RENDERERS = ["kitty", "iterm", "sixel", "blocks"] as const;
export type RendererKind = (typeof RENDERERS)[number];

/** A character cell's size in pixels; 10x20 when the terminal does not say. */
export interface CellSize {
  width: number;
  height: number;
}
export const DEFAULT_CELL: CellSize = { width: 10, height: 20 };

/** Largest picture a graphics renderer asks the decoder for, whatever the terminal's size. */
const MAX_PIXELS = { width: 1280, height: 960 };

/**
 * How a renderer fills an area of `cols x rows` cells: `box` is the picture size to decode to,
 * `draw` the bytes that paint the picture with its top-left corner at the cursor's row `top`.
 */
export interface PictureRenderer {
  kind: RendererKind;
  box(cols: number, rows: number): { width: number; height: number };
  draw(frame: RgbFrame, cols: number, rows: number, top: number): string;
}

export function createRenderer(kind: RendererKind, cell: CellSize = DEFAULT_CELL): PictureRenderer {
  const pixels = (cols: number, rows: number) => {
    const scale = Math.min(1, MAX_PIXELS.width / (cols * cell.width), MAX_PIXELS.height / (rows * cell.height));
    // Even sizes: the decoder's chroma planes are half size.
    const even = (n: number) => Math.max(2, 2 * Math.floor((n * scale) / 2));
    return { width: even(cols * cell.width), height: even(rows * cell.height) };
  };
  const at = (top: number) => `\x1b[${top};1H`;
  switch (kind) {
    case "blocks":
      return {
        kind,
        box: (cols, rows) => ({ width: cols, height: rows * 2 }),
        draw: (frame, _cols, _rows, top) =>
          blockLines(frame)
            .map((line, i) => at(top + i) + line)
            .join(""),
      };
    case "kitty":
      return { kind, box: pixels, draw: (frame, cols, rows, top) => at(top) + kittyImage(frame, cols, rows) };
    case "iterm":
      return { kind, box: pixels, draw: (frame, cols, rows, top) => at(top) + itermImage(frame, cols, rows) };
    case "sixel":
      // No scaling in sixel: the box is the area's real pixel size, so the picture fits exactly.
      return {
        kind,
        box: (cols, rows) => ({ width: cols * cell.width, height: Math.max(6, 6 * Math.floor((rows * cell.height) / 6)) }),
        draw: (frame, _cols, _rows, top) => at(top) + sixelImage(frame),
      };
  }
}

/**
 * The renderer a terminal's environment names: kitty (kitty, Ghostty, WezTerm speak its
 * graphics protocol), iTerm2's inline images, or null when only a query can tell (sixel) or
 * nothing better than half blocks is known. Inside tmux or screen, graphics need passthrough
 * that is usually off: half blocks.
 */
export function rendererFromEnv(env: Record<string, string | undefined>): RendererKind | null {
  if (env.TMUX || env.STY || /^(screen|tmux)/.test(env.TERM ?? "")) return "blocks";
  if (env.TERM === "dumb") return "blocks";
  if (env.KITTY_WINDOW_ID || env.TERM === "xterm-kitty" || env.TERM === "xterm-ghostty" || env.TERM_PROGRAM === "ghostty") return "kitty";
  if (env.TERM_PROGRAM === "WezTerm") return "kitty";
  if (env.TERM_PROGRAM === "iTerm.app" || env.LC_TERMINAL === "iTerm2") return "iterm";
  return null;
}

export interface TerminalReply {
  /** Primary device attributes list 4: sixel graphics. */
  sixel: boolean;
  cell: CellSize | null;
}

/**
 * Parses what a terminal answered to `CSI 16 t` (cell size: `CSI 6 ; H ; W t`) and to primary
 * device attributes `CSI c` (`CSI ? 6x ; ... c`, where attribute 4 is sixel; xterm ctlseqs).
 */
export function parseTerminalReply(reply: string): TerminalReply {
  const cellMatch = /\x1b\[6;(\d+);(\d+)t/.exec(reply);
  const da = /\x1b\[\?([\d;]*)c/.exec(reply);
  const cell = cellMatch ? { height: Number(cellMatch[1]), width: Number(cellMatch[2]) } : null;
  return {
    sixel: da ? da[1]!.split(";").includes("4") : false,
    cell: cell && cell.width > 0 && cell.height > 0 ? cell : null,
  };
}

/** The two queries; the device attributes answer comes last from every terminal, so it ends the wait. */
export const TERMINAL_QUERY = "\x1b[16t\x1b[c";
