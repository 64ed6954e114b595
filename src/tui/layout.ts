import { SHORTCUTS } from "./state/keys.js";

export interface Layout {
  columns: number;
  /** Session rows shown (scrolling keeps the selection in view). */
  listRows: number;
  /** Lines for the body under the list: stats, chat, hints. */
  detailRows: number;
  /** Lines an overlay (help, log, new session) may use in place of list and detail. */
  overlayRows: number;
  footer: string[];
  /** Stats and chat side by side instead of stacked. */
  wide: boolean;
  /** Cells for the live picture at the left of the detail pane; null when it would not fit. */
  picture: { cols: number; rows: number } | null;
}

/** The smallest terminal the console draws in: below it the footer, dialogs and list overlap. */
export const MIN_COLUMNS = 60;
export const MIN_ROWS = 15;

/** True when the terminal is below the size the console draws in. */
export function tooSmall(columns: number, rows: number): boolean {
  return columns < MIN_COLUMNS || rows < MIN_ROWS;
}
const MIN_DETAIL = 6;

/**
 * Packs the shortcut hints into as few lines as the width allows. Those marked `footer: "room"`
 * join only when they need no extra line.
 */
export function footerLines(columns: number): string[] {
  const needed = pack(SHORTCUTS.filter((one) => one.footer === undefined), columns);
  const roomy = pack(SHORTCUTS.filter((one) => one.footer !== false), columns);
  return roomy.length <= needed.length ? roomy : needed;
}

function pack(shortcuts: ReadonlyArray<{ key: string; label: string }>, columns: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const s of shortcuts) {
    const item = `${s.key} ${s.label}`;
    if (line && line.length + 2 + item.length > columns) {
      lines.push(line);
      line = item;
    } else {
      line = line ? `${line}  ${item}` : item;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * Splits the terminal between the parts of the main screen. Ink redraws the whole screen once
 * its output reaches the last row, so everything is kept one row short of the height.
 */
export function layout(columns: number, rows: number, sessionCount: number, banner: boolean): Layout {
  const cols = Math.max(MIN_COLUMNS, columns);
  const height = Math.max(MIN_ROWS, rows) - 1;
  const footer = footerLines(cols);
  // header, banner, list heading, detail heading, notice line, footer
  const fixed = 1 + (banner ? 1 : 0) + 1 + 1 + 1 + footer.length;
  const free = Math.max(2, height - fixed);
  const listRows = Math.max(1, Math.min(Math.max(1, sessionCount), free - MIN_DETAIL, Math.ceil(free / 2)));
  const detailRows = Math.max(1, free - listRows);
  return {
    columns: cols,
    listRows,
    detailRows,
    overlayRows: free + 2,
    footer,
    wide: cols >= 100,
    picture: pictureArea(cols, detailRows),
  };
}

/** Below this many rows a picture shows nothing recognisable. */
const MIN_PICTURE_ROWS = 6;

/**
 * The live picture's cells: 4:3 in half-block pixels (two per row, as a camera sends it), as
 * large as the pane's height allows but never more than 35% of the width, so the figures and
 * chat keep room beside it.
 */
function pictureArea(columns: number, detailRows: number): Layout["picture"] {
  const cols = Math.min(Math.round((detailRows * 2 * 4) / 3), Math.floor(columns * 0.35));
  const rows = Math.min(detailRows, Math.round((cols * 3) / 8));
  return rows >= MIN_PICTURE_ROWS && cols >= 16 ? { cols, rows } : null;
}
