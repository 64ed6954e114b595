import type {
  ChatMessage,
  DaemonEvent,
  DaemonStatus,
  InviteResponse,
  JoinResponse,
  Session,
  SessionLogEntry,
  SessionStats,
  StartResponse,
} from "../../protocol/index.js";
import type { LensConsoleAction } from "./lens.js";
import type { CollaboratorsAction } from "./collaborators.js";
import type { RecordingsAction } from "./recordings.js";
import type { TalkAction } from "./talk.js";

/** Everything that changes the console's state: daemon events, answers to requests, keys. */
export type ConsoleAction =
  /** The daemon answered again: its status and a fresh session list (null when it could not list). */
  | { type: "daemon/up"; status: DaemonStatus; sessions: Session[] | null; restarted: boolean }
  | { type: "daemon/down"; error: string }
  | { type: "event"; event: DaemonEvent; now: number }
  /** A fresh list after a gap in event ids. */
  | { type: "sessions/resync"; sessions: Session[] }
  | { type: "tick"; now: number }
  | { type: "select/move"; delta: number }
  | { type: "session/updated"; session: Session }
  | { type: "session/started"; response: StartResponse }
  | { type: "stats/loaded"; id: string; stats: SessionStats }
  | { type: "stats/failed"; id: string; error: string }
  | { type: "audio/muted"; id: string; muted: boolean }
  /** The technician turns the customer's voice on the speakers, or their own microphone, on or off. */
  | { type: "voice/toggle"; kind: "speaker" | "mic" }
  /** Sound could not start or stopped with an error: that direction is turned off. */
  | { type: "voice/failed"; kind: "speaker" | "mic"; error: string }
  | { type: "chat/sent"; message: ChatMessage }
  | { type: "notice"; kind: "error" | "info"; text: string }
  | { type: "notice/clear" }
  | { type: "help/toggle" }
  /** Moves the help's first line shown, where it does not fit the terminal. */
  | { type: "help/scroll"; delta: number }
  | { type: "view/close" }
  | { type: "confirm-end/ask"; id: string }
  | { type: "chat-draft/open" }
  | { type: "chat-draft/input"; text: string }
  | { type: "chat-draft/backspace" }
  | { type: "log/open"; id: string }
  | { type: "log/loaded"; id: string; entries: SessionLogEntry[] }
  | { type: "log/failed"; id: string; error: string }
  | { type: "log/scroll"; delta: number }
  | { type: "dialog/open" }
  | { type: "dialog/focus"; delta: number }
  | { type: "dialog/cycle"; delta: number }
  | { type: "dialog/input"; text: string }
  | { type: "dialog/backspace" }
  | { type: "dialog/submitting" }
  | { type: "dialog/created"; session: Session }
  | { type: "dialog/failed"; error: string }
  | { type: "dialog/again" }
  | { type: "invite/open"; id: string }
  | { type: "invite/focus"; delta: number }
  | { type: "invite/cycle"; delta: number }
  | { type: "invite/toggle" }
  | { type: "invite/input"; text: string }
  | { type: "invite/backspace" }
  | { type: "invite/sending" }
  | { type: "invite/sent"; response: InviteResponse }
  | { type: "invite/failed"; error: string }
  | { type: "transfer/open"; id: string }
  | { type: "transfer/input"; text: string }
  | { type: "transfer/backspace" }
  | { type: "transfer/sending" }
  | { type: "transfer/done"; session: Session }
  | { type: "transfer/failed"; error: string }
  | { type: "invitation/joined"; response: Omit<JoinResponse, "token"> }
  | LensConsoleAction
  | CollaboratorsAction
  | TalkAction
  | RecordingsAction;
