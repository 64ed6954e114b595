import { LENS_COLORS, type LensColor } from "../../protocol/lens.js";
import { round, type FramePoint } from "../lens-geometry.js";
import type { ConsoleAction } from "./actions.js";
import { hasMedia, selectedSession, type SessionsState } from "./sessions.js";

/** Lens tools on the live picture: where the cursor is and what the next drawing looks like. */
export interface LensFocus {
  /** The session whose live picture has the keys (the selected one). */
  sessionId: string;
  cursor: FramePoint;
  /** The last point placed (pointer, arrow head): where the next arrow starts. */
  anchor: FramePoint | null;
  color: LensColor;
}

export interface LensState {
  /** Set while the live picture has the keys; null otherwise. */
  focus: LensFocus | null;
  /** Sessions whose picture this console froze (f unfreezes them). */
  frozen: string[];
}

export const initialLens: LensState = { focus: null, frozen: [] };

/** Cursor steps, as fractions of the frame: an arrow key, and Shift+arrow or H J K L. */
export const FINE_STEP = 0.02;
export const COARSE_STEP = 0.1;
/** A circle's radius (fraction of the frame's width): about a finger's width on a phone's picture. */
export const CIRCLE_RADIUS = 0.08;

/** Lens actions of the console; see `lensKey` for the keys that make them. */
export type LensConsoleAction =
  | { type: "lens/focus"; id: string }
  | { type: "lens/blur" }
  | { type: "lens/move"; dx: number; dy: number }
  /** The cursor to a point (a mouse click); `anchor` also marks it as where the next arrow starts. */
  | { type: "lens/point"; at: FramePoint; anchor: boolean }
  | { type: "lens/color"; color: LensColor }
  | { type: "lens/frozen"; id: string; frozen: boolean };

export function lensReducer(state: LensState, action: ConsoleAction): LensState {
  const f = state.focus;
  switch (action.type) {
    case "lens/focus":
      return { ...state, focus: { sessionId: action.id, cursor: { x: 0.5, y: 0.5 }, anchor: null, color: f?.color ?? "red" } };
    case "lens/blur":
    case "select/move":
      return f ? { ...state, focus: null } : state;
    case "lens/move":
      if (!f) return state;
      return { ...state, focus: { ...f, cursor: { x: round(f.cursor.x + action.dx), y: round(f.cursor.y + action.dy) } } };
    case "lens/point":
      if (!f) return state;
      return { ...state, focus: { ...f, cursor: action.at, anchor: action.anchor ? action.at : f.anchor } };
    case "lens/color":
      return f ? { ...state, focus: { ...f, color: action.color } } : state;
    case "lens/frozen": {
      const others = state.frozen.filter((id) => id !== action.id);
      return { ...state, frozen: action.frozen ? [...others, action.id] : others };
    }
    default:
      return state;
  }
}

/** Ends the focus once its session is no longer the selected one with media (it ended, or another was selected). */
export function keepFocus(state: LensState, sessions: SessionsState): LensState {
  if (!state.focus) return state;
  const s = selectedSession(sessions);
  return s && s.id === state.focus.sessionId && hasMedia(s.status) ? state : { ...state, focus: null };
}

/** The colour a digit key picks: 1 red ... 6 black (LENS_COLORS order); null for other keys. */
export function colorOfKey(input: string): LensColor | null {
  const n = /^[1-9]$/.test(input) ? Number(input) : 0;
  return LENS_COLORS[n - 1] ?? null;
}
