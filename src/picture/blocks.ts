import type { RgbFrame } from "../media/video-decoder.js";

/** U+2580 UPPER HALF BLOCK: the foreground colours the top pixel, the background the bottom one. */
const UPPER_HALF = "\u2580";

/**
 * A frame as truecolor half-block text: one character cell per pixel column and two pixel rows,
 * so a `cols x 2*rows` picture fills `cols x rows` cells with square-ish pixels. Each line ends
 * with an SGR reset. Colour codes are written only where the colour changes. Works in any
 * terminal with 24-bit colour (xterm, VTE, tmux, Windows Terminal, over SSH).
 */
export function blockLines(frame: RgbFrame): string[] {
  const { width, height, rgb } = frame;
  const lines: string[] = [];
  for (let y = 0; y + 1 < height; y += 2) {
    let line = "";
    let fg = -1;
    let bg = -1;
    const top = y * width * 3;
    const bottom = top + width * 3;
    for (let x = 0; x < width; x++) {
      const t = top + x * 3;
      const b = bottom + x * 3;
      const f = (rgb[t]! << 16) | (rgb[t + 1]! << 8) | rgb[t + 2]!;
      const g = (rgb[b]! << 16) | (rgb[b + 1]! << 8) | rgb[b + 2]!;
      if (f !== fg) line += `\x1b[38;2;${rgb[t]};${rgb[t + 1]};${rgb[t + 2]}m`;
      if (g !== bg) line += `\x1b[48;2;${rgb[b]};${rgb[b + 1]};${rgb[b + 2]}m`;
      fg = f;
      bg = g;
      line += UPPER_HALF;
    }
    lines.push(`${line}\x1b[0m`);
  }
  return lines;
}

/** One cell of rendered half-block text: its top and bottom colours as [r, g, b]. */
export interface BlockCell {
  top: [number, number, number];
  bottom: [number, number, number];
}

/**
 * Reads half-block text back into cells (the inverse of `blockLines`, for tests and benchmarks
 * that judge what a viewer printed). A newline or a cursor position starts a row; other escape
 * codes are skipped.
 */
export function parseBlockLines(text: string): BlockCell[][] {
  const rows: BlockCell[][] = [];
  let cells: BlockCell[] = [];
  let fg: [number, number, number] = [0, 0, 0];
  let bg: [number, number, number] = [0, 0, 0];
  const newRow = () => {
    if (cells.length) rows.push(cells);
    cells = [];
  };
  const re = /\x1b\[([0-9;]*)([A-Za-z])|\u2580|\n/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    if (m[0] === UPPER_HALF) cells.push({ top: fg, bottom: bg });
    else if (m[0] === "\n" || m[2] === "H") newRow();
    else if (m[2] === "m") {
      const p = m[1]!.split(";").map(Number);
      if (p[0] === 38 && p[1] === 2) fg = [p[2]!, p[3]!, p[4]!];
      else if (p[0] === 48 && p[1] === 2) bg = [p[2]!, p[3]!, p[4]!];
    }
  }
  newRow();
  return rows;
}
