import type { ConsoleAction } from "./actions.js";
import { chatReducer, type ChatState } from "./chat.js";
import { daemonReducer, initialDaemon, type DaemonState } from "./daemon.js";
import { dialogReducer, initialDialog, type DialogState } from "./dialog.js";
import { mediaReducer, type MediaState } from "./media.js";
import { initialSessions, sessionsReducer, type SessionsState } from "./sessions.js";
import { initialUi, uiReducer, type UiState } from "./ui.js";

export interface ConsoleState {
  /** Clock for "time in status", ticking once a second. */
  now: number;
  daemon: DaemonState;
  sessions: SessionsState;
  chat: ChatState;
  media: MediaState;
  ui: UiState;
  dialog: DialogState;
}

export function initialConsoleState(now: number): ConsoleState {
  return { now, daemon: initialDaemon, sessions: initialSessions, chat: {}, media: {}, ui: initialUi, dialog: initialDialog };
}

export function consoleReducer(state: ConsoleState, action: ConsoleAction): ConsoleState {
  return {
    now: action.type === "tick" ? action.now : state.now,
    daemon: daemonReducer(state.daemon, action),
    sessions: sessionsReducer(state.sessions, action),
    chat: chatReducer(state.chat, action),
    media: mediaReducer(state.media, action),
    ui: uiReducer(state.ui, action),
    dialog: dialogReducer(state.dialog, action),
  };
}
