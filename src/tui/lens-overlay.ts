import type { LensColor } from "../protocol/lens.js";

/** One character drawn over a cell of the live picture (the Lens cursor, the last point placed). */
export interface CellMark {
  col: number;
  row: number;
  glyph: string;
  color: LensColor;
}

/** SGR for a mark: its colour on black (black on white), bold, so it shows on any picture. */
const MARK_STYLE: Record<LensColor, string> = {
  red: "1;91;40",
  yellow: "1;93;40",
  green: "1;92;40",
  blue: "1;94;40",
  white: "1;97;40",
  black: "1;30;107",
};

// eslint-disable-next-line no-control-regex
const TOKEN = /\x1b\[[0-9;]*m|\x1b|[^\x1b]/g;

/**
 * Half-block lines (src/picture/blocks.ts) with `marks` drawn in place of their cells. Those
 * lines set a colour only where it changes, so the cell after a mark gets the colours in force
 * there written again. Marks outside the lines are left out; a later mark on a cell wins.
 */
export function markCells(lines: string[], marks: CellMark[]): string[] {
  return lines.map((line, row) => {
    const here = new Map<number, CellMark>();
    for (const m of marks) if (m.row === row) here.set(m.col, m);
    if (here.size === 0) return line;
    let out = "";
    let fg = "";
    let bg = "";
    let restore = false;
    let col = 0;
    for (const [token] of line.matchAll(TOKEN)) {
      if (token.startsWith("\x1b")) {
        if (token.startsWith("\x1b[38;")) fg = token;
        else if (token.startsWith("\x1b[48;")) bg = token;
        out += token;
        continue;
      }
      const mark = here.get(col++);
      if (mark) {
        out += `\x1b[0m\x1b[${MARK_STYLE[mark.color]}m${mark.glyph}\x1b[0m`;
        restore = true;
      } else {
        out += (restore ? `${fg}${bg}` : "") + token;
        restore = false;
      }
    }
    return out;
  });
}
