import { eraseLast, typeInto } from "./text-field.js";
import type { ConsoleAction } from "./actions.js";

export type TalkField = "file" | "mic" | "mute";
export const TALK_FIELDS: TalkField[] = ["file", "mic", "mute"];

/** The talk dialog (T): an audio file played once to the customer, the microphone on or off, mute. */
export interface TalkDialog {
  sessionId: string;
  focus: TalkField;
  /** The audio file's path as typed. */
  file: string;
  sending: boolean;
  error: string | null;
  /** The file last played, as the daemon took it. */
  played: string | null;
}

export type TalkAction =
  | { type: "talk/open"; id: string }
  | { type: "talk/focus"; delta: number }
  | { type: "talk/input"; text: string }
  | { type: "talk/backspace" }
  | { type: "talk/sending" }
  | { type: "talk/played"; id: string; path: string }
  | { type: "talk/failed"; error: string };

/** Long enough for any path a person types. */
const FILE_MAX = 4096;

export function talkReducer(state: TalkDialog | null, action: ConsoleAction): TalkDialog | null {
  if (action.type === "talk/open") return { sessionId: action.id, focus: "file", file: "", sending: false, error: null, played: null };
  if (action.type === "view/close" || action.type === "help/toggle") return null;
  if (!state) return state;
  switch (action.type) {
    case "talk/focus": {
      const n = TALK_FIELDS.length;
      return { ...state, focus: TALK_FIELDS[(TALK_FIELDS.indexOf(state.focus) + action.delta + n) % n]! };
    }
    case "talk/input":
      return { ...state, file: typeInto(state.file, action.text, { max: FILE_MAX }), error: null };
    case "talk/backspace":
      return { ...state, file: eraseLast(state.file) };
    case "talk/sending":
      return { ...state, sending: true, error: null };
    case "talk/played":
      return action.id === state.sessionId ? { ...state, sending: false, played: action.path } : state;
    case "talk/failed":
      return { ...state, sending: false, error: action.error };
    default:
      return state;
  }
}
