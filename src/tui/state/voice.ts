import type { ConsoleAction } from "./actions.js";
import { orderedSessions, selectedSession, type SessionsState } from "./sessions.js";

/** What the technician wants of the console's sound; it applies to the session `voiceSession` names. */
export interface VoiceState {
  /** The customer's voice on the speakers: on by default. */
  speaker: boolean;
  /** The technician's microphone to the customer: off until asked for. */
  mic: boolean;
}

export const initialVoice: VoiceState = { speaker: true, mic: false };

export function voiceReducer(state: VoiceState, action: ConsoleAction): VoiceState {
  switch (action.type) {
    case "voice/toggle":
      return { ...state, [action.kind]: !state[action.kind] };
    case "voice/failed":
      return { ...state, [action.kind]: false };
    default:
      return state;
  }
}

/**
 * The session whose sound the console carries: the selected session when it is a running Lens
 * session, else the first running Lens session (a technician leads at most one). Null when none runs
 * (on hold included: nothing is streamed then).
 */
export function voiceSession(sessions: SessionsState): string | null {
  const running = (s: { type: string; status: string }) => s.type === "lens" && (s.status === "active" || s.status === "collaborating");
  const selected = selectedSession(sessions);
  if (selected && running(selected)) return selected.id;
  return orderedSessions(sessions).find(running)?.id ?? null;
}
