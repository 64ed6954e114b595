import { LENS_COLORS, type LensActionInput, type LensShape } from "../../protocol/lens.js";
import { pointAt, round, type FramePoint, type PictureBox } from "../lens-geometry.js";
import type { ConsoleState } from "./console.js";
import type { KeyPress, KeyResult } from "./keys.js";
import { CIRCLE_RADIUS, COARSE_STEP, FINE_STEP, colorOfKey } from "./lens.js";

/** The keys while the live picture has them, in the order the help lists them. */
export const LENS_SHORTCUTS: ReadonlyArray<{ key: string; label: string; help: string }> = [
  { key: "←↑↓→", label: "move", help: "move the cursor (Shift+arrow or H J K L: bigger steps); a mouse click moves it and places a pointer" },
  { key: "spc", label: "pointer", help: "a pointer at the cursor (\"look here\"); the next arrow starts there" },
  { key: "a", label: "arrow", help: "an arrow from the last point placed to the cursor (or pointing at the cursor)" },
  { key: "c", label: "circle", help: `a circle around the cursor (radius ${CIRCLE_RADIUS} of the picture's width)` },
  { key: "e", label: "erase", help: "erase the last drawing" },
  { key: "E", label: "erase all", help: "erase every drawing" },
  { key: "1-6", label: "colour", help: `colour of the next drawings: ${LENS_COLORS.map((c, i) => `${i + 1} ${c}`).join(", ")}` },
  { key: "f", label: "freeze", help: "freeze the picture on both sides (drawings stay on the still), again to unfreeze" },
  { key: "?", label: "keys", help: "show or hide this list" },
  { key: "Esc", label: "leave", help: "give the keys back to the session list (also v or q); drawings stay" },
];

const none: KeyResult = { actions: [], effects: [] };

/** `0.5` -> "0.50": what notices and the status line show of a coordinate. */
export const coord = (p: FramePoint) => `${p.x.toFixed(2)},${p.y.toFixed(2)}`;

/**
 * What a key means while the live picture of `state.lens.focus` has the keys: moving the cursor,
 * drawing at it (a lens effect: POST /sessions/:id/lens through the daemon), colours, freeze.
 */
export function lensKey(state: ConsoleState, input: string, key: KeyPress): KeyResult {
  const f = state.lens.focus;
  if (!f) return none;
  const id = f.sessionId;
  const arrows = key.upArrow || key.downArrow || key.leftArrow || key.rightArrow;
  if (arrows) {
    const step = key.shift ? COARSE_STEP : FINE_STEP;
    const dx = key.leftArrow ? -step : key.rightArrow ? step : 0;
    const dy = key.upArrow ? -step : key.downArrow ? step : 0;
    return { actions: [{ type: "lens/move", dx, dy }], effects: [] };
  }
  if (key.escape) return { actions: [{ type: "lens/blur" }, { type: "notice/clear" }], effects: [] };
  if (key.ctrl || key.meta || input.length !== 1) return none;
  const coarse: Record<string, [number, number]> = { H: [-1, 0], L: [1, 0], K: [0, -1], J: [0, 1] };
  const big = coarse[input];
  if (big) return { actions: [{ type: "lens/move", dx: big[0] * COARSE_STEP, dy: big[1] * COARSE_STEP }], effects: [] };
  const color = colorOfKey(input);
  if (color) return { actions: [{ type: "lens/color", color }, { type: "notice", kind: "info", text: `colour: ${color}` }], effects: [] };
  const at = f.cursor;
  const draw = (shape: LensShape, what: string): KeyResult => ({
    actions: [{ type: "lens/point", at, anchor: true }],
    effects: [{ type: "lens", id, action: { action: "draw", shape, color: f.color }, done: `${f.color} ${what}` }],
  });
  switch (input) {
    case "?":
      return { actions: [{ type: "help/toggle" }], effects: [] };
    case "q":
    case "v":
      return { actions: [{ type: "lens/blur" }, { type: "notice/clear" }], effects: [] };
    case " ":
      return draw({ kind: "pointer", x: at.x, y: at.y }, `pointer at ${coord(at)}`);
    case "a": {
      const from = f.anchor && (f.anchor.x !== at.x || f.anchor.y !== at.y) ? f.anchor : tailFor(at);
      return draw({ kind: "arrow", x: from.x, y: from.y, x2: at.x, y2: at.y }, `arrow from ${coord(from)} to ${coord(at)}`);
    }
    case "c":
      return draw({ kind: "circle", x: at.x, y: at.y, r: CIRCLE_RADIUS }, `circle around ${coord(at)}`);
    case "e":
    case "E":
      return lensEffect(id, { action: "erase", all: input === "E" }, input === "E" ? "every drawing erased" : "last drawing erased");
    case "f": {
      const frozen = state.lens.frozen.includes(id);
      return lensEffect(id, { action: frozen ? "unfreeze" : "freeze" }, frozen ? "unfrozen" : "frozen");
    }
  }
  return none;
}

const lensEffect = (id: string, action: LensActionInput, done: string): KeyResult => ({ actions: [], effects: [{ type: "lens", id, action, done }] });

/** Where an arrow with no point placed before starts: below left of its head, as `rescue lens draw --arrow X,Y`. */
function tailFor(head: FramePoint): FramePoint {
  const reach = 0.12;
  return {
    x: round(head.x - reach >= 0 ? head.x - reach : head.x + reach),
    y: round(head.y + reach <= 1 ? head.y + reach : head.y - reach),
  };
}

/** SGR mouse report (`CSI < button ; column ; row M|m`), with or without its ESC. */
const SGR_MOUSE = /^\x1b?\[<(\d+);(\d+);(\d+)([Mm])$/;

/**
 * A mouse report while the live picture has the keys: a left-button press on the picture moves
 * the cursor there and places a pointer. Null when `input` is not a mouse report (a key); other
 * reports (release, wheel, elsewhere on the screen) are used up without effect, so they never
 * reach the keys as text.
 */
export function lensMouse(state: ConsoleState, input: string, box: PictureBox | null): KeyResult | null {
  const m = SGR_MOUSE.exec(input);
  if (!m) return null;
  const f = state.lens.focus;
  const button = Number(m[1]);
  // Left button pressed: 0, with modifier bits (4 shift, 8 meta, 16 ctrl) allowed; no motion (32) or wheel (64).
  if (!f || !box || m[4] !== "M" || (button & ~(4 | 8 | 16)) !== 0) return none;
  const at = pointAt(box, Number(m[2]), Number(m[3]));
  if (!at) return none;
  return {
    actions: [{ type: "lens/point", at, anchor: true }],
    effects: [{ type: "lens", id: f.sessionId, action: { action: "draw", shape: { kind: "pointer", x: at.x, y: at.y }, color: f.color }, done: `${f.color} pointer at ${coord(at)}` }],
  };
}
