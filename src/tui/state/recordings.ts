import type { RecordingDetail, TimelineEntry } from "../../protocol/index.js";
import type { ConsoleAction } from "./actions.js";

/** The recordings overlay (R): the selected session's segments, their timelines, open and delete. */
export interface RecordingsView {
  sessionId: string;
  /** null while the daemon is asked; [] when the session has no recording. */
  segments: RecordingDetail[] | null;
  error: string | null;
  /** Waiting for y before the files go. */
  confirmDelete: boolean;
  deleting: boolean;
  /** Index of the first line shown. */
  scroll: number;
}

export type RecordingsAction =
  | { type: "recordings/open"; id: string }
  | { type: "recordings/loaded"; id: string; segments: RecordingDetail[] }
  | { type: "recordings/failed"; id: string; error: string }
  | { type: "recordings/confirm-delete" }
  | { type: "recordings/cancel-delete" }
  | { type: "recordings/deleting" }
  | { type: "recordings/deleted"; id: string; paths: string[] }
  | { type: "recordings/scroll"; delta: number };

export function recordingsReducer(state: RecordingsView | null, action: ConsoleAction): RecordingsView | null {
  if (action.type === "recordings/open") return { sessionId: action.id, segments: null, error: null, confirmDelete: false, deleting: false, scroll: 0 };
  if (action.type === "view/close" || action.type === "help/toggle") return null;
  if (!state) return state;
  switch (action.type) {
    case "recordings/loaded":
      return action.id === state.sessionId ? { ...state, segments: action.segments, error: null } : state;
    case "recordings/failed":
      return action.id === state.sessionId ? { ...state, error: action.error, deleting: false } : state;
    case "recordings/confirm-delete":
      return { ...state, confirmDelete: true };
    case "recordings/cancel-delete":
      return { ...state, confirmDelete: false };
    case "recordings/deleting":
      return { ...state, confirmDelete: false, deleting: true };
    case "recordings/deleted":
      return action.id === state.sessionId ? { ...state, deleting: false, segments: [], scroll: 0 } : state;
    case "recordings/scroll":
      return { ...state, scroll: Math.max(0, state.scroll + action.delta) };
    default:
      return state;
  }
}

/** "12 events: chat 4, annotation 3, hold 1" (kinds by count, most first); "no events" for none. */
export function timelineSummary(entries: TimelineEntry[]): string {
  if (entries.length === 0) return "no events";
  const counts = new Map<string, number>();
  for (const e of entries) counts.set(e.kind, (counts.get(e.kind) ?? 0) + 1);
  const kinds = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k, n]) => `${k} ${n}`);
  return `${entries.length} event${entries.length === 1 ? "" : "s"}: ${kinds.join(", ")}`;
}
