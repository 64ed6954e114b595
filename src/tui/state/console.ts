import type { ConsoleAction } from "./actions.js";
import { chatReducer, type ChatState } from "./chat.js";
import { daemonReducer, initialDaemon, type DaemonState } from "./daemon.js";
import { dialogReducer, initialDialog, type DialogState } from "./dialog.js";
import { mediaReducer, type MediaState } from "./media.js";
import { followArrival, initialSessions, sessionsReducer, type SessionsState } from "./sessions.js";
import { initialLens, keepFocus, lensReducer, type LensState } from "./lens.js";
import { inviteReducer, type InviteState } from "./invite.js";
import { transferReducer, type TransferState } from "./transfer.js";
import { initialUi, uiReducer, type UiState } from "./ui.js";
import { initialVoice, voiceReducer, type VoiceState } from "./voice.js";
import { collaboratorsReducer, type CollaboratorsDialog } from "./collaborators.js";
import { recordingsReducer, type RecordingsView } from "./recordings.js";
import { talkReducer, type TalkDialog } from "./talk.js";

export interface ConsoleState {
  /** Clock for "time in status", ticking once a second. */
  now: number;
  daemon: DaemonState;
  sessions: SessionsState;
  chat: ChatState;
  media: MediaState;
  ui: UiState;
  dialog: DialogState;
  /** The invite dialog, while open. */
  invite: InviteState | null;
  /** The transfer dialog, while open. */
  transfer: TransferState | null;
  /** Speaker and microphone of the active Lens session. */
  voice: VoiceState;
  /** Lens tools on the live picture. */
  lens: LensState;
  /** The collaborators dialog (w), the talk dialog (T) and the recordings overlay (R), while open. */
  collaborators: CollaboratorsDialog | null;
  talk: TalkDialog | null;
  recordings: RecordingsView | null;
}

export function initialConsoleState(now: number): ConsoleState {
  return { now, daemon: initialDaemon, sessions: initialSessions, chat: {}, media: {}, ui: initialUi, dialog: initialDialog, invite: null, transfer: null, voice: initialVoice, lens: initialLens, collaborators: null, talk: null, recordings: null };
}

export function consoleReducer(state: ConsoleState, action: ConsoleAction): ConsoleState {
  const sessions = followArrival(state.sessions, sessionsReducer(state.sessions, action), state.ui.chatDraft !== null || state.ui.confirmEnd !== null || state.lens.focus !== null);
  return {
    now: action.type === "tick" ? action.now : state.now,
    daemon: daemonReducer(state.daemon, action),
    sessions,
    chat: chatReducer(state.chat, action),
    media: mediaReducer(state.media, action),
    ui: uiReducer(state.ui, action),
    dialog: dialogReducer(state.dialog, action),
    invite: inviteReducer(state.invite, action),
    transfer: transferReducer(state.transfer, action),
    voice: voiceReducer(state.voice, action),
    lens: keepFocus(lensReducer(state.lens, action), sessions),
    collaborators: collaboratorsReducer(state.collaborators, action),
    talk: talkReducer(state.talk, action),
    recordings: recordingsReducer(state.recordings, action),
  };
}
