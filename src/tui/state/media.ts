import type { SessionStats } from "../../protocol/index.js";
import type { ConsoleAction } from "./actions.js";

export interface SessionMedia {
  stats: SessionStats | null;
  error: string | null;
  /** Where the daemon said it records, known from start before the first stats arrive. */
  recording: string | null;
  /** The customer of a desktop session stopped sharing their screen: a status, not an error. */
  screenStopped?: boolean;
}

export type MediaState = Record<string, SessionMedia>;

const empty: SessionMedia = { stats: null, error: null, recording: null };

export function mediaReducer(state: MediaState, action: ConsoleAction): MediaState {
  switch (action.type) {
    case "session/started":
      return patch(state, action.response.id, { recording: action.response.recording ?? null, error: null });
    case "stats/loaded":
      return patch(state, action.id, {
        stats: action.stats,
        error: null,
        recording: action.stats.recording?.path ?? state[action.id]?.recording ?? null,
      });
    case "stats/failed":
      return patch(state, action.id, { error: action.error });
    case "event": {
      const e = action.event;
      return e.type === "media" && e.event === "screen-share-stopped" ? patch(state, e.sessionId, { screenStopped: true }) : state;
    }
    case "audio/muted": {
      const stats = state[action.id]?.stats;
      if (!stats) return state;
      return patch(state, action.id, { stats: { ...stats, audio: { ...stats.audio, muted: action.muted } } });
    }
    default:
      return state;
  }
}

function patch(state: MediaState, id: string, change: Partial<SessionMedia>): MediaState {
  return { ...state, [id]: { ...(state[id] ?? empty), ...change } };
}
