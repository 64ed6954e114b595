import { eraseLast, typeInto } from "./text-field.js";
import type { Invitation, SessionLogEntry } from "../../protocol/index.js";
import type { ConsoleAction } from "./actions.js";
import { SHORTCUTS } from "./keys.js";

export type View = "main" | "help" | "log" | "new" | "invite" | "transfer" | "collaborators" | "talk" | "recordings";

export interface LogView {
  sessionId: string;
  entries: SessionLogEntry[] | null;
  error: string | null;
  /** Index of the first entry shown. */
  scroll: number;
}

export interface UiState {
  view: View;
  /** Session id waiting for a y/n before it is ended. */
  confirmEnd: string | null;
  /** Chat line being typed; null when the chat input is closed. */
  chatDraft: string | null;
  notice: { kind: "error" | "info"; text: string } | null;
  log: LogView | null;
  /** Ids of invitations addressed to me already announced, so a replayed event does not announce again. */
  invitationsSeen: string[];
  /** The last invitation announced that J can still join. */
  invitation: Invitation | null;
  /** The first key the help shows (it scrolls where the terminal is too short for all of them). */
  helpScroll: number;
}

export const initialUi: UiState = { view: "main", confirmEnd: null, chatDraft: null, notice: null, log: null, invitationsSeen: [], invitation: null, helpScroll: 0 };

export const CHAT_MAX = 2000;
const INVITATIONS_REMEMBERED = 100;

/**
 * What a person needs to act on an invitation, most important first (the notice line is cut at
 * the terminal's width): who, which session, how to join (J here, or `rescue join --pin`), permissions, comment.
 */
export function invitationNotice(inv: Invitation): string {
  const head = `${inv.from} invites you to ${inv.sessionName || inv.sessionId}`;
  const parts = [inv.pin ? `${head}: J joins (PIN ${inv.pin})` : head, inv.permissions.join(", ") || "no permissions"];
  if (inv.comment) parts.push(`"${inv.comment}"`);
  return parts.join(" · ");
}

export function uiReducer(state: UiState, action: ConsoleAction): UiState {
  switch (action.type) {
    case "notice":
      return { ...state, notice: { kind: action.kind, text: action.text } };
    case "event": {
      const { event } = action;
      if (event.type === "media" && event.event === "pin-refused-network") return { ...state, notice: { kind: "error", text: pinRefusedNotice(event.sessionId) } };
      if (event.type !== "invitation" || state.invitationsSeen.includes(event.invitation.id)) return state;
      const seen = [...state.invitationsSeen, event.invitation.id].slice(-INVITATIONS_REMEMBERED);
      const open = event.invitation.status === "pending" && Date.parse(event.invitation.expiresAt) > action.now;
      if (!open) return { ...state, invitationsSeen: seen };
      return { ...state, invitationsSeen: seen, invitation: event.invitation, notice: { kind: "info", text: invitationNotice(event.invitation) } };
    }
    case "invitation/joined":
      return { ...state, invitation: state.invitation?.id === action.response.invitation.id ? null : state.invitation };
    case "voice/failed":
      return { ...state, notice: { kind: "error", text: `${action.kind === "speaker" ? "speaker" : "microphone"} off: ${action.error}` } };
    case "notice/clear":
      return { ...state, notice: null };
    case "help/toggle":
      return { ...state, view: state.view === "help" ? "main" : "help", helpScroll: 0 };
    case "help/scroll":
      // The overlay also stops where the last key is in view.
      return { ...state, helpScroll: Math.min(SHORTCUTS.length - 1, Math.max(0, state.helpScroll + action.delta)) };
    case "view/close":
      return { ...state, view: "main", confirmEnd: null, chatDraft: null, log: null };
    case "confirm-end/ask":
      return { ...state, confirmEnd: action.id, notice: null };
    case "chat-draft/open":
      return { ...state, chatDraft: "", notice: null };
    case "chat-draft/input":
      return state.chatDraft === null ? state : { ...state, chatDraft: typeInto(state.chatDraft, action.text, { max: CHAT_MAX }) };
    case "chat-draft/backspace":
      return state.chatDraft === null ? state : { ...state, chatDraft: eraseLast(state.chatDraft) };
    case "chat/sent":
      return { ...state, chatDraft: null };
    case "log/open":
      return { ...state, view: "log", log: { sessionId: action.id, entries: null, error: null, scroll: 0 } };
    case "log/loaded":
      if (state.log?.sessionId !== action.id) return state;
      return { ...state, log: { ...state.log, entries: action.entries, error: null } };
    case "log/failed":
      if (state.log?.sessionId !== action.id) return state;
      return { ...state, log: { ...state.log, error: action.error } };
    case "log/scroll": {
      if (!state.log) return state;
      const max = Math.max(0, (state.log.entries?.length ?? 0) - 1);
      return { ...state, log: { ...state.log, scroll: Math.min(max, Math.max(0, state.log.scroll + action.delta)) } };
    }
    case "dialog/open":
      return { ...state, view: "new", notice: null };
    case "invite/open":
      return { ...state, view: "invite", notice: null };
    case "transfer/open":
      return { ...state, view: "transfer", notice: null };
    case "collaborators/open":
    case "talk/open":
    case "recordings/open":
      return { ...state, view: action.type.slice(0, -"/open".length) as View, notice: null };
    case "select/move":
      return { ...state, confirmEnd: null, chatDraft: null };
    default:
      return state;
  }
}

/** The server refused a session's live PIN because the customer's network spent its budget of wrong PINs. */
export function pinRefusedNotice(sessionId: string): string {
  return `session ${sessionId}: the customer's PIN was refused: their network is blocked after too many wrong PINs; have them connect from another network (mobile data) with the link or SMS`;
}
