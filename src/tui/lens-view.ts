import type { Session } from "../protocol/index.js";
import { cellOf, type PictureBox } from "./lens-geometry.js";
import type { CellMark } from "./lens-overlay.js";
import type { ConsoleState } from "./state/console.js";
import { LENS_SHORTCUTS, coord } from "./state/lens-keys.js";

/**
 * The footer while the live picture has the keys, in `count` lines of `columns`: where the cursor
 * is, the colour, where the next arrow starts and whether the picture is frozen, then the keys.
 */
export function lensFooter(state: ConsoleState, columns: number, count: number): string[] {
  const f = state.lens.focus;
  if (!f) return [];
  const status = [`Lens: cursor ${coord(f.cursor)}`, f.color];
  if (f.anchor) status.push(`from ${coord(f.anchor)}`);
  if (state.lens.frozen.includes(f.sessionId)) status.push("frozen");
  const lines = [status.join(" · ")];
  let line = "";
  for (const s of LENS_SHORTCUTS) {
    const item = `${s.key} ${s.label}`;
    if (line && line.length + 2 + item.length > columns) {
      lines.push(line);
      line = item;
    } else line = line ? `${line}  ${item}` : item;
  }
  if (line) lines.push(line);
  if (lines.length <= count) return lines;
  // Too few lines for every key: the status, then as many keys as fit, ending with "? keys".
  return [...lines.slice(0, count - 1), ...(count > 1 ? [fitted(lines.slice(1).join("  "), columns)] : [])].slice(0, count);
}

function fitted(keys: string, columns: number): string {
  const tail = "? keys";
  const items = keys.split("  ").filter((i) => !i.startsWith("?"));
  let line = "";
  for (const item of items) {
    const next = line ? `${line}  ${item}` : item;
    if (next.length + 2 + tail.length > columns) break;
    line = next;
  }
  return line ? `${line}  ${tail}` : tail;
}

/** The cursor (+) and the last point placed (o) over the live picture in `box`. */
export function lensMarks(state: ConsoleState, box: PictureBox | null): CellMark[] {
  const f = state.lens.focus;
  if (!f || !box) return [];
  const marks: CellMark[] = [];
  if (f.anchor) marks.push({ ...cellOf(box, f.anchor), glyph: "o", color: f.color });
  marks.push({ ...cellOf(box, f.cursor), glyph: "+", color: f.color });
  return marks;
}

/** The session's video size from its stats, for where a frame point falls on the letterboxed picture. */
export function videoSize(state: ConsoleState, session: Session | null): PictureBox["video"] {
  const v = session ? state.media[session.id]?.stats?.video : undefined;
  return v?.width && v.height ? { width: v.width, height: v.height } : null;
}
