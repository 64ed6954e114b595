import { describe, expect, it } from "vitest";
import { blockLines, parseBlockLines } from "../../src/picture/blocks.js";
import { cellOf, pointAt, type PictureBox } from "../../src/tui/lens-geometry.js";
import { markCells } from "../../src/tui/lens-overlay.js";
import { initialConsoleState, consoleReducer } from "../../src/tui/state/console.js";
import { lensKey, lensMouse } from "../../src/tui/state/lens-keys.js";
import { session, sessionEvent } from "./make.js";

const box = (video: PictureBox["video"]): PictureBox => ({ cols: 40, rows: 10, top: 5, left: 0, video });

describe("Lens cursor geometry", () => {
  it("maps frame points to cells and back on a picture that fills the box", () => {
    const b = box(null);
    expect(cellOf(b, { x: 0, y: 0 })).toEqual({ col: 0, row: 0 });
    expect(cellOf(b, { x: 1, y: 1 })).toEqual({ col: 39, row: 9 });
    expect(cellOf(b, { x: 0.5, y: 0.5 })).toEqual({ col: 20, row: 5 });
    // Every cell's point lands back on that cell (1-based terminal positions).
    for (let col = 0; col < 40; col++) {
      for (let row = 0; row < 10; row++) expect(cellOf(b, pointAt(b, col + 1, b.top + row + 1)!)).toEqual({ col, row });
    }
    expect(pointAt(b, 41, b.top + 1)).toBeNull();
    expect(pointAt(b, 1, b.top)).toBeNull();
  });

  it("accounts for the black bars of a letterboxed camera: 16:9 in a 40x20-pixel box, a portrait camera pillarboxed", () => {
    const wide = box({ width: 1280, height: 720 });
    // 16:9 fitted into 40x20 pixels is bound by the height: 36x20, with bars of 2 pixels at the sides.
    expect(cellOf(wide, { x: 0, y: 0.5 }).col).toBe(2);
    expect(cellOf(wide, { x: 1, y: 0.5 }).col).toBe(38);
    expect(pointAt(wide, 1, wide.top + 5)).toBeNull();
    const portrait = box({ width: 480, height: 640 });
    // 3:4 fitted into 40x20 pixels: 15x20, centred on columns 12..26.
    expect(cellOf(portrait, { x: 0, y: 0 })).toEqual({ col: 12, row: 0 });
    expect(pointAt(portrait, 5, portrait.top + 1)).toBeNull();
    const mid = pointAt(portrait, 20, portrait.top + 6)!;
    expect(mid.x).toBeCloseTo((19.5 - 12) / 15, 2);
    expect(mid.y).toBeCloseTo(11 / 20, 2);
  });

  it("draws marks in place of cells and keeps every other cell's colours", () => {
    const rgb = new Uint8Array(6 * 2 * 3).map((_, i) => (i * 53) % 256);
    const lines = blockLines({ width: 6, height: 2, rgb });
    const marked = markCells(lines, [{ col: 2, row: 0, glyph: "+", color: "red" }]);
    const before = parseBlockLines(lines[0]!)[0]!;
    // The marked cell is no half block any more; the cells around it read back as they were.
    const after = parseBlockLines(marked[0]!.replace("+", "\u2580"))[0]!;
    expect(after).toHaveLength(6);
    for (const i of [0, 1, 3, 4, 5]) expect(after[i]).toEqual(before[i]);
    expect(marked[0]).toContain("\x1b[1;91;40m+");
    expect(markCells(lines, [{ col: 9, row: 5, glyph: "+", color: "red" }])).toEqual(lines);
  });
});

describe("Lens keys", () => {
  const focused = () => {
    let s = initialConsoleState(0);
    s = consoleReducer(s, { type: "sessions/resync", sessions: [session("s1", "active")] });
    return consoleReducer(s, { type: "lens/focus", id: "s1" });
  };

  it("keeps the cursor on the frame and sends nothing for keys without a meaning", () => {
    let s = focused();
    for (let i = 0; i < 30; i++) s = consoleReducer(s, lensKey(s, "", { upArrow: true, shift: true }).actions[0]!);
    expect(s.lens.focus!.cursor).toEqual({ x: 0.5, y: 0 });
    expect(lensKey(s, "z", {})).toEqual({ actions: [], effects: [] });
    expect(lensKey(s, "7", {})).toEqual({ actions: [], effects: [] });
  });

  it("ends the focus when the session ends or another is selected", () => {
    const s = focused();
    const ended = consoleReducer(s, { type: "event", event: sessionEvent(1, session("s1", "closed")), now: 0 });
    expect(ended.lens.focus).toBeNull();
  });

  it("takes mouse reports only while focused, and only a left press", () => {
    const s = focused();
    const b = box(null);
    expect(lensMouse(s, "x", b)).toBeNull();
    expect(lensMouse(s, "[<0;21;11M", b)!.effects).toHaveLength(1);
    expect(lensMouse(s, "\x1b[<0;21;11M", b)!.effects).toHaveLength(1);
    expect(lensMouse(s, "[<0;21;11m", b)!.effects).toHaveLength(0);
    expect(lensMouse(s, "[<65;21;11M", b)!.effects).toHaveLength(0);
    expect(lensMouse(initialConsoleState(0), "[<0;21;11M", b)).toEqual({ actions: [], effects: [] });
  });
});
