import type { CreateSessionRequest, InviteRequest } from "../../protocol/index.js";
import type { LensActionInput } from "../../protocol/lens.js";
import type { ConsoleAction } from "./actions.js";
import type { ConsoleState } from "./console.js";
import { dialogRequest } from "./dialog.js";
import { inviteRequest } from "./invite.js";
import { lensKey } from "./lens-keys.js";
import { hasMedia, isEnded, selectedSession } from "./sessions.js";
import { transferTarget } from "./transfer.js";
import { voiceSession } from "./voice.js";
import { collaboratorsKey, openTool, recordingsKey, talkKey, TOOL_KEYS, type ToolEffect } from "./tool-keys.js";

/** Work a key asks for beyond a state change: talking to the daemon, or leaving. */
export type Effect =
  | { type: "quit" }
  | { type: "create"; request: CreateSessionRequest }
  | { type: "regenerate"; id: string }
  /** The customer's link to the clipboard, or to the browser. */
  | { type: "copy-link" | "open-link"; link: string }
  /** "create another PIN" from the main screen: the old PIN is named in the notice that follows. */
  | { type: "new-pin"; id: string; oldPin: string | null }
  | { type: "start" | "hold" | "resume" | "end" | "log"; id: string }
  | { type: "chat"; id: string; text: string }
  | { type: "mute"; id: string; mute: boolean }
  | { type: "invite"; id: string; request: InviteRequest }
  | { type: "transfer"; id: string; to: string }
  | { type: "join"; pin: string }
  /** A Lens tool on the live picture; `done` says what it did, for the notice. */
  | { type: "lens"; id: string; action: LensActionInput; done: string }
  | ToolEffect;

/** The parts of Ink's Key the console reads. */
export interface KeyPress {
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  return?: boolean;
  escape?: boolean;
  ctrl?: boolean;
  shift?: boolean;
  tab?: boolean;
  backspace?: boolean;
  delete?: boolean;
  meta?: boolean;
}

export interface KeyResult {
  actions: ConsoleAction[];
  effects: Effect[];
}

/**
 * The shortcuts, in the order the footer and the help overlay show them. Those with footer false
 * appear only in the help and where they apply (J in an invitation's notice): the footer must fit two lines at 80 columns.
 * Those with footer "room" join the footer only where they need no extra line (see footerLines).
 */
export const SHORTCUTS: ReadonlyArray<{ key: string; label: string; help: string; footer?: false | "room" }> = [
  { key: "↑↓", label: "select", help: "select a session (also j / k)" },
  { key: "n", label: "new", help: "new session: type, name, PIN / SMS / email / link" },
  { key: "s", label: "start", help: "start the selected Waiting session (records when allowed)" },
  { key: "h", label: "hold", help: "put the active session on hold" },
  { key: "r", label: "resume", help: "resume a session on hold" },
  { key: "e", label: "end", help: "end the selected session (asks y/n)" },
  { key: "t", label: "transfer", help: "transfer the session to another technician of your organisation" },
  { key: "i", label: "invite", help: "invite a technician to collaborate: internal or external, permissions" },
  { key: "J", label: "join", help: "join the session you were last invited to (its notice shows the PIN)", footer: false },
  { key: "c", label: "chat", help: "type a chat message; Enter sends, Esc cancels" },
  { key: "l", label: "log", help: "view the session log" },
  { key: "L", label: "copy link", help: "copy the customer's link of the selected Connecting session (wl-copy, xclip, xsel, pbcopy)", footer: false },
  { key: "o", label: "open link", help: "open the customer's link of the selected Connecting session in the browser (xdg-open)", footer: false },
  { key: "p", label: "new PIN", help: "create another PIN for the selected Connecting session (or one that timed out): the old PIN stops working", footer: false },
  { key: "w", label: "collaborators", help: "the lead changes a collaborator's permissions or removes them", footer: "room" },
  { key: "T", label: "talk", help: "talk to the customer: play an audio file, microphone on/off, mute", footer: "room" },
  { key: "R", label: "recordings", help: "the selected session's recordings: paths, timeline; o plays, d deletes (asks y/n)", footer: "room" },
  { key: "m", label: "mute", help: "mute or unmute what you send the customer (the microphone keeps running)" },
  { key: "a", label: "speaker", help: "the customer's voice on your speakers: on (the default) or off", footer: false },
  { key: "v", label: "lens", help: "Lens tools on the live picture: a cursor to point, draw, freeze (? there lists the keys, Esc leaves)", footer: false },
  { key: "M", label: "mic", help: "your microphone to the customer: on or off (off at start; use a headset: no echo cancelling)", footer: false },
  { key: "?", label: "help", help: "show or hide this help" },
  { key: "q", label: "quit", help: "leave the console (also Ctrl-C; in the help or log, q closes it); sessions go on" },
];

const none: KeyResult = { actions: [], effects: [] };
const act = (...actions: ConsoleAction[]): KeyResult => ({ actions, effects: [] });
const quit: KeyResult = { actions: [], effects: [{ type: "quit" }] };

/**
 * A paste (or keys sent faster than the terminal is read) arrives as one chunk: "text\r" is the
 * text and then Enter, so a pasted line with its newline sends a chat message.
 */
export function splitChunk(input: string, key: KeyPress): Array<[string, KeyPress]> {
  if (input.length <= 1 || key.ctrl || key.meta || !/[\r\n]/.test(input)) return [[input, key]];
  return input
    .split(/(\r\n|\r|\n)/)
    .filter((part) => part !== "")
    .map((part): [string, KeyPress] => (/^[\r\n]+$/.test(part) ? ["", { return: true }] : [part, {}]));
}

/** What a key press means in the state the console is in. Pure, so every binding is testable. */
export function interpretKey(state: ConsoleState, input: string, key: KeyPress): KeyResult {
  if (key.ctrl && input === "c") return quit;
  switch (state.ui.view) {
    case "new":
      return dialogKey(state, input, key);
    case "invite":
      return inviteKey(state, input, key);
    case "transfer":
      return transferKey(state, input, key);
    case "collaborators":
      return collaboratorsKey(state, input, key);
    case "talk":
      return talkKey(state, input, key);
    case "recordings":
      return recordingsKey(state, input, key);
    case "help":
      // q closes what is in front, as in less and man; it quits only from the main screen.
      if (key.upArrow || input === "k") return act({ type: "help/scroll", delta: -1 });
      if (key.downArrow || input === "j") return act({ type: "help/scroll", delta: 1 });
      return key.escape || input === "?" || input === "q" ? act({ type: "help/toggle" }) : none;
    case "log":
      if (key.escape || input === "l" || input === "q") return act({ type: "view/close" });
      if (key.upArrow || input === "k") return act({ type: "log/scroll", delta: -1 });
      if (key.downArrow || input === "j") return act({ type: "log/scroll", delta: 1 });
      return none;
    case "main":
      return state.lens.focus ? lensKey(state, input, key) : mainKey(state, input, key);
  }
}

function dialogKey(state: ConsoleState, input: string, key: KeyPress): KeyResult {
  const d = state.dialog;
  if (key.escape) return act({ type: "view/close" });
  if (d.phase === "created") {
    if (input === "a" && d.session) return { actions: [{ type: "dialog/again" }], effects: [{ type: "regenerate", id: d.session.id }] };
    if (key.return) return act({ type: "view/close" });
    return none;
  }
  if (d.phase === "creating") return none;
  if (key.tab || key.downArrow) return act({ type: "dialog/focus", delta: key.shift ? -1 : 1 });
  if (key.upArrow) return act({ type: "dialog/focus", delta: -1 });
  if (key.return) {
    const req = dialogRequest(d);
    if (!req.ok) return act({ type: "dialog/failed", error: req.error });
    return { actions: [{ type: "dialog/submitting" }], effects: [{ type: "create", request: req.request }] };
  }
  const choice = d.focus === "type" || d.focus === "method";
  if (choice) {
    if (key.leftArrow) return act({ type: "dialog/cycle", delta: -1 });
    if (key.rightArrow || input === " ") return act({ type: "dialog/cycle", delta: 1 });
    return none;
  }
  if (key.backspace || key.delete) return act({ type: "dialog/backspace" });
  if (input && !key.ctrl && !key.meta) return act({ type: "dialog/input", text: input });
  return none;
}

function inviteKey(state: ConsoleState, input: string, key: KeyPress): KeyResult {
  const d = state.invite;
  if (key.escape || !d) return act({ type: "view/close" });
  if (d.phase === "sent") return key.return ? act({ type: "view/close" }) : none;
  if (d.phase === "sending") return none;
  if (key.tab || key.downArrow) return act({ type: "invite/focus", delta: key.shift ? -1 : 1 });
  if (key.upArrow) return act({ type: "invite/focus", delta: -1 });
  if (key.return) {
    const req = inviteRequest(d);
    if (!req.ok) return act({ type: "invite/failed", error: req.error });
    return { actions: [{ type: "invite/sending" }], effects: [{ type: "invite", id: d.sessionId, request: req.request }] };
  }
  if (d.focus === "kind" || d.focus === "via" || d.focus === "permissions") {
    if (key.leftArrow) return act({ type: "invite/cycle", delta: -1 });
    if (key.rightArrow) return act({ type: "invite/cycle", delta: 1 });
    if (input === " ") return act(d.focus === "permissions" ? { type: "invite/toggle" } : { type: "invite/cycle", delta: 1 });
    return none;
  }
  if (key.backspace || key.delete) return act({ type: "invite/backspace" });
  if (input && !key.ctrl && !key.meta) return act({ type: "invite/input", text: input });
  return none;
}

function transferKey(state: ConsoleState, input: string, key: KeyPress): KeyResult {
  const d = state.transfer;
  if (key.escape || !d) return act({ type: "view/close" });
  if (d.phase === "done") return key.return ? act({ type: "view/close" }) : none;
  if (d.phase === "sending") return none;
  if (key.return) {
    const target = transferTarget(d);
    if (!target.ok) return act({ type: "transfer/failed", error: target.error });
    return { actions: [{ type: "transfer/sending" }], effects: [{ type: "transfer", id: d.sessionId, to: target.to }] };
  }
  if (key.backspace || key.delete) return act({ type: "transfer/backspace" });
  if (input && !key.ctrl && !key.meta) return act({ type: "transfer/input", text: input });
  return none;
}

function mainKey(state: ConsoleState, input: string, key: KeyPress): KeyResult {
  const { ui } = state;
  const session = selectedSession(state.sessions);
  if (ui.chatDraft !== null) {
    if (key.escape) return act({ type: "view/close" });
    if (key.return) {
      const text = ui.chatDraft.trim();
      if (!text || !session) return act({ type: "view/close" });
      return { actions: [], effects: [{ type: "chat", id: session.id, text }] };
    }
    if (key.backspace || key.delete) return act({ type: "chat-draft/backspace" });
    if (input && !key.ctrl && !key.meta) return act({ type: "chat-draft/input", text: input.replace(/[\r\n]/g, " ") });
    return none;
  }
  if (ui.confirmEnd !== null) {
    if (input === "y" || input === "Y") return { actions: [{ type: "view/close" }], effects: [{ type: "end", id: ui.confirmEnd }] };
    return act({ type: "view/close" }, { type: "notice", kind: "info", text: "kept the session" });
  }
  if (key.upArrow || input === "k") return act({ type: "select/move", delta: -1 });
  if (key.downArrow || input === "j") return act({ type: "select/move", delta: 1 });
  if (key.escape) return act({ type: "notice/clear" });
  switch (input) {
    case "q":
      return quit;
    case "?":
      return act({ type: "help/toggle" });
    case "n":
      return act({ type: "dialog/open" });
    case "a":
    case "M": {
      const kind = input === "a" ? "speaker" : "mic";
      const on = !state.voice[kind];
      const what = kind === "speaker" ? "the customer's voice on your speakers" : "your microphone";
      const where = voiceSession(state.sessions) === null ? " (for the next active Lens session)" : "";
      return act({ type: "voice/toggle", kind }, { type: "notice", kind: "info", text: `${what}: ${on ? "on" : "off"}${where}` });
    }
    case "J": {
      const pin = ui.invitation?.pin;
      if (!pin) return act({ type: "notice", kind: "error", text: "no invitation to join" });
      return { actions: [{ type: "notice", kind: "info", text: `joining ${ui.invitation!.sessionName || ui.invitation!.sessionId}…` }], effects: [{ type: "join", pin }] };
    }
  }
  if (!"shreticlmpLov".includes(input) && !TOOL_KEYS.includes(input)) return none;
  if (input.length !== 1) return none;
  if (!session) return act({ type: "notice", kind: "error", text: "no session selected: press n for a new one" });
  if (TOOL_KEYS.includes(input)) return openTool(state, input, session);
  const id = session.id;
  switch (input) {
    case "s":
      return { actions: [{ type: "notice/clear" }], effects: [{ type: "start", id }] };
    case "h":
      return { actions: [{ type: "notice/clear" }], effects: [{ type: "hold", id }] };
    case "r":
      return { actions: [{ type: "notice/clear" }], effects: [{ type: "resume", id }] };
    case "e":
      return act({ type: "confirm-end/ask", id });
    case "t":
      if (isEnded(session.status)) return act({ type: "notice", kind: "error", text: "transfer: the session has ended" });
      return act({ type: "transfer/open", id });
    case "i":
      if (session.status !== "active" && session.status !== "collaborating") {
        return act({ type: "notice", kind: "error", text: "invite: start the session first (invitations are for Active sessions)" });
      }
      return act({ type: "invite/open", id });
    case "c":
      return act({ type: "chat-draft/open" });
    case "l":
      return { actions: [{ type: "log/open", id }], effects: [{ type: "log", id }] };
    case "L":
    case "o": {
      const link = session.links ? (session.type === "lens" ? session.links.mobile : session.links.desktop) : null;
      if (!link) return act({ type: "notice", kind: "error", text: "no customer link: the session has no live PIN" });
      return { actions: [{ type: "notice/clear" }], effects: [{ type: input === "L" ? "copy-link" : "open-link", link }] };
    }
    case "p":
      if ((session.status !== "connecting" && session.status !== "timed-out") || session.customer) {
        return act({ type: "notice", kind: "error", text: "new PIN: only before the customer joins (Connecting, or timed out)" });
      }
      return { actions: [{ type: "notice/clear" }], effects: [{ type: "new-pin", id, oldPin: session.pin }] };
    case "v":
      if (session.type !== "lens" || !hasMedia(session.status) || session.status === "on-hold") {
        return act({ type: "notice", kind: "error", text: "lens: the Lens tools work on the live picture of a running Lens session" });
      }
      return act({ type: "lens/focus", id }, { type: "notice", kind: "info", text: "Lens tools: arrows move the cursor, space points, a arrow, c circle; ? lists the keys, Esc leaves" });
    case "m": {
      const muted = state.media[id]?.stats?.audio.muted ?? false;
      return { actions: [{ type: "notice/clear" }], effects: [{ type: "mute", id, mute: !muted }] };
    }
  }
  return none;
}
