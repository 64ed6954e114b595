import { afterEach, describe, expect, it, vi } from "vitest";
import { App, type ConsoleTimings } from "../../src/tui/App.js";
import { MOUSE_OFF, MOUSE_ON } from "../../src/tui/hooks/useMouseReporting.js";
import { cellOf, pictureBox, pointAt, type PictureBox } from "../../src/tui/lens-geometry.js";
import { layout } from "../../src/tui/layout.js";
import { FakeDaemon } from "./fake-daemon.js";
import { KEYS, renderAt } from "./terminal.js";

// The Lens tools in the console, driving the real Ink app against the in-memory daemon: the
// cursor on the live picture, what each key sends the daemon (normalised coordinates), the mouse,
// the `?` list, and mouse reporting switched on only while the picture has the keys.

const FAST: ConsoleTimings = { retryMs: 40, statsMs: 40, tickMs: 100 };
const COLS = 100;
const ROWS = 30;
const opened: Array<{ unmount: () => void }> = [];
afterEach(() => {
  for (const i of opened.splice(0)) i.unmount();
});

const SHIFT_UP = "\x1b[1;2A";

/** An active Lens session with a 640x480 camera (the bundled clip the fake daemon streams). */
async function scene() {
  const d = new FakeDaemon();
  const s = d.seed("Ada Lovelace", "active");
  d.setStats(s.id, { codec: "VP8", width: 640, height: 480, fps: 30, frames: 10 });
  const t = renderAt(<App client={d} timings={FAST} />, COLS, ROWS);
  opened.push(t.instance);
  const see = (text: string | RegExp, timeout = 10_000) =>
    vi.waitFor(() => (typeof text === "string" ? expect(t.lastFrame()).toContain(text) : expect(t.lastFrame()).toMatch(text)), { timeout });
  const type = async (...keys: string[]) => {
    for (const k of keys) {
      t.stdin.write(k);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  await see(/> Ada Lovelace\s+Lens\s+Active/);
  await see("VP8  640x480");
  const box = pictureBox(layout(COLS, ROWS, 1, false), false, { width: 640, height: 480 })!;
  expect(box).not.toBeNull();
  return { d, s, t, see, type, box, written: () => t.stdout.frames.join("") };
}

/** The character on the frame's picture cell that shows frame point (x, y). */
function charAt(frame: string, box: PictureBox, x: number, y: number): string {
  const { col, row } = cellOf(box, { x, y });
  return [...frame.split("\n")[box.top + row]!][box.left + col]!;
}

const actions = (d: FakeDaemon) => d.lensActions.map((a) => a.action);

describe("Lens tools in the console", () => {
  it("moves a cursor over the live picture with the arrow keys and draws pointer, arrow and circle at its normalised place", async () => {
    const { d, s, t, see, type, box } = await scene();
    await see(/\u2580{20}/);
    await type("v");
    await see("Lens: cursor 0.50,0.50 · red");
    // The cursor is drawn on the picture at the frame's middle.
    await vi.waitFor(() => expect(charAt(t.lastFrame(), box, 0.5, 0.5)).toBe("+"));

    await type(KEYS.right, KEYS.right, KEYS.right, KEYS.right, KEYS.right, KEYS.down, KEYS.down);
    await see("cursor 0.60,0.54");
    await vi.waitFor(() => expect(charAt(t.lastFrame(), box, 0.6, 0.54)).toBe("+"));
    await type(" ");
    await see("red pointer at 0.60,0.54");
    // A bigger step up (Shift+Up), then an arrow from the pointer to the cursor.
    await type(SHIFT_UP);
    await see("cursor 0.60,0.44");
    await type("a");
    await see("red arrow from 0.60,0.54 to 0.60,0.44");
    await type("3", "L", "c");
    await see("green circle around 0.70,0.44");
    await type("e", "E");
    await see("every drawing erased");

    expect(d.lensActions.every((a) => a.id === s.id)).toBe(true);
    expect(actions(d)).toEqual([
      { action: "draw", shape: { kind: "pointer", x: 0.6, y: 0.54 }, color: "red" },
      { action: "draw", shape: { kind: "arrow", x: 0.6, y: 0.54, x2: 0.6, y2: 0.44 }, color: "red" },
      { action: "draw", shape: { kind: "circle", x: 0.7, y: 0.44, r: 0.08 }, color: "green" },
      { action: "erase", all: false },
      { action: "erase", all: true },
    ]);

    // The cursor stays on the frame: at the edge it stops.
    await type(...Array.from({ length: 8 }, () => "H"));
    await see("cursor 0.00,0.44");
    await type(" ");
    await vi.waitFor(() => expect(actions(d).at(-1)).toEqual({ action: "draw", shape: { kind: "pointer", x: 0, y: 0.44 }, color: "green" }));
  });

  it("freezes and unfreezes with f, and gives the keys back with Esc", async () => {
    const { d, see, type, t } = await scene();
    await type("v");
    await see("Lens: cursor");
    await type("f");
    await see("· frozen");
    await see("frozen");
    await type("f");
    await see("unfrozen");
    expect(actions(d)).toEqual([{ action: "freeze" }, { action: "unfreeze" }]);
    await type(KEYS.escape);
    await see(/q quit/);
    expect(t.lastFrame()).not.toContain("Lens: cursor");
    // Back on the list: the keys mean what they meant (f does nothing, e asks to end).
    await type("e");
    await see("End session Ada Lovelace?");
    await type("n");
    expect(actions(d)).toHaveLength(2);
  });

  it("lists the Lens keys with ?, and closes the list with ? again", async () => {
    const { see, type, t } = await scene();
    await type("v");
    await see("Lens: cursor");
    await type("?");
    await see("Lens tools on the live picture");
    const frame = t.lastFrame();
    for (const words of ["move the cursor", "a pointer at the cursor", "an arrow from the last point", "a circle around the cursor", "erase the last drawing", "erase every drawing", "1 red, 2 yellow, 3 green", "freeze the picture"]) {
      expect(frame).toContain(words);
    }
    await type("?");
    await see("Lens: cursor 0.50,0.50");
  });

  it("places a pointer where the mouse clicks on the picture, with mouse reporting on only while the picture has the keys", async () => {
    const { d, see, type, box, written } = await scene();
    await see(/\u2580{20}/);
    expect(written()).not.toContain(MOUSE_ON);
    // A click before the picture has the keys does nothing (the terminal would not even report it).
    await type(`\x1b[<0;10;${box.top + 3}M`);
    await type("v");
    await see("Lens: cursor");
    await vi.waitFor(() => expect(written()).toContain(MOUSE_ON));

    // A left click on the cell 25 columns in and 9 rows down of the picture (1-based terminal cells).
    const column = box.left + 25 + 1;
    const row = box.top + 9 + 1;
    const expected = pointAt(box, column, row)!;
    await type(`\x1b[<0;${column};${row}M`, `\x1b[<0;${column};${row}m`);
    await see(`red pointer at ${expected.x.toFixed(2)},${expected.y.toFixed(2)}`);
    expect(actions(d)).toEqual([{ action: "draw", shape: { kind: "pointer", x: expected.x, y: expected.y }, color: "red" }]);
    // The point is the middle of that cell of the 640x480 frame letterboxed into the picture.
    const { col: c, row: r } = cellOf(box, expected);
    expect([c, r]).toEqual([25, 9]);

    // Wheel, a click off the picture, and a right click: nothing drawn, nothing typed.
    await type(`\x1b[<64;${column};${row}M`, `\x1b[<0;${COLS - 2};${row}M`, `\x1b[<2;${column};${row}M`);
    await new Promise((r) => setTimeout(r, 200));
    expect(actions(d)).toHaveLength(1);

    await type(KEYS.escape);
    await vi.waitFor(() => expect(written().lastIndexOf(MOUSE_OFF)).toBeGreaterThan(written().lastIndexOf(MOUSE_ON)));
  });

  it("switches mouse reporting off when the console quits while the picture has the keys", async () => {
    const exitListeners = process.listenerCount("exit");
    const { see, type, written } = await scene();
    await type("v");
    await see("Lens: cursor");
    await vi.waitFor(() => expect(written()).toContain(MOUSE_ON));
    expect(written()).not.toContain(MOUSE_OFF);
    await type(KEYS.ctrlC);
    // Ctrl-C leaves the console (the app unmounts): the terminal is told to stop reporting.
    await vi.waitFor(() => expect(written().lastIndexOf(MOUSE_OFF)).toBeGreaterThan(written().lastIndexOf(MOUSE_ON)));
    expect(process.listenerCount("exit")).toBe(exitListeners);
  });

  it("refuses the Lens tools where there is no live Lens picture", async () => {
    const d = new FakeDaemon();
    d.seed("Bob Jansen", "waiting");
    const t = renderAt(<App client={d} timings={FAST} />, COLS, ROWS);
    opened.push(t.instance);
    await vi.waitFor(() => expect(t.lastFrame()).toContain("Bob Jansen"));
    t.stdin.write("v");
    await vi.waitFor(() => expect(t.lastFrame()).toContain("Error: lens: the Lens tools work on the live picture of a running Lens session"));
    expect(d.lensActions).toEqual([]);
  });
});
