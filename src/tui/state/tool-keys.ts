import { COLLABORATOR_PERMISSIONS, type CollaboratorPermission, type Session } from "../../protocol/index.js";
import type { ConsoleAction } from "./actions.js";
import { chosenCollaborator } from "./collaborators.js";
import type { ConsoleState } from "./console.js";
import type { KeyPress, KeyResult } from "./keys.js";
import { isEnded } from "./sessions.js";
import { voiceSession } from "./voice.js";

/** Work the session tools (collaborators, talk, recordings) ask of the daemon or the desktop. */
export type ToolEffect =
  | { type: "set-collaborator"; id: string; collaborator: string; name: string; permissions: CollaboratorPermission[] }
  | { type: "remove-collaborator"; id: string; collaborator: string; name: string }
  | { type: "talk-file"; id: string; file: string }
  | { type: "show-recordings"; id: string }
  /** The segments in the desktop player (mpv, else ffplay), one after the other. */
  | { type: "play-recordings"; id: string; paths: string[] }
  | { type: "delete-recordings"; id: string };

const TOOL_EFFECTS: ReadonlySet<string> = new Set(["set-collaborator", "remove-collaborator", "talk-file", "show-recordings", "play-recordings", "delete-recordings"]);

export function isToolEffect(effect: { type: string }): effect is ToolEffect {
  return TOOL_EFFECTS.has(effect.type);
}

/** The main-screen keys that open a tool on the selected session. */
export const TOOL_KEYS = ["w", "T", "R"];

const none: KeyResult = { actions: [], effects: [] };
const act = (...actions: ConsoleAction[]): KeyResult => ({ actions, effects: [] });
const refuse = (text: string): KeyResult => act({ type: "notice", kind: "error", text });

/** Whether I lead `session`; unknown (the daemon has not said who I am) counts as yes: the server decides. */
function iLead(state: ConsoleState, session: Session): boolean {
  return state.daemon.technician === null || session.technician === state.daemon.technician;
}

/** w, T or R on the main screen, for the selected session; refused with the reason when it does not apply. */
export function openTool(state: ConsoleState, input: string, session: Session): KeyResult {
  switch (input) {
    case "w": {
      if (!iLead(state, session)) return refuse(`only the lead can change or remove collaborators (${session.technician} leads this session)`);
      const collaborators = session.collaborators ?? [];
      if (isEnded(session.status) || collaborators.length === 0) return refuse("collaborators: nobody else is in this session (i invites a technician)");
      return act({ type: "collaborators/open", id: session.id, first: collaborators[0]!.id });
    }
    case "T": {
      if (session.status !== "active" && session.status !== "collaborating") return refuse("talk: only in a running session (s starts it; resume one on hold)");
      if (session.type !== "lens") return refuse("talk: only Lens sessions carry your voice");
      if (!iLead(state, session)) {
        const me = session.collaborators?.find((c) => c.technician === state.daemon.technician);
        if (!me?.permissions.includes("talk")) return refuse(`talk: the lead (${session.technician}) has not given you the talk permission`);
      }
      return act({ type: "talk/open", id: session.id });
    }
    case "R":
      return { actions: [{ type: "recordings/open", id: session.id }], effects: [{ type: "show-recordings", id: session.id }] };
  }
  return none;
}

/** Keys in the collaborators dialog: ↑↓ who, ←→ which permission, Space toggles, Enter saves, x removes (y/n). */
export function collaboratorsKey(state: ConsoleState, input: string, key: KeyPress): KeyResult {
  const d = state.collaborators;
  if (!d) return act({ type: "view/close" });
  const session = state.sessions.byId[d.sessionId];
  const list = session?.collaborators ?? [];
  const chosen = chosenCollaborator(d, list);
  if (d.confirmRemove) {
    if ((input === "y" || input === "Y") && chosen && session) {
      return { actions: [{ type: "collaborators/sending" }], effects: [{ type: "remove-collaborator", id: session.id, collaborator: chosen.id, name: chosen.technician }] };
    }
    return act({ type: "collaborators/cancel-remove" });
  }
  if (key.escape || input === "q") return act({ type: "view/close" });
  if (d.busy || !chosen || !session) return none;
  if (key.upArrow || key.downArrow || input === "k" || input === "j") {
    const at = list.indexOf(chosen);
    const next = list[(at + (key.upArrow || input === "k" ? -1 : 1) + list.length) % list.length]!;
    return act({ type: "collaborators/select", collaboratorId: next.id });
  }
  if (key.leftArrow) return act({ type: "collaborators/cursor", delta: -1 });
  if (key.rightArrow || key.tab) return act({ type: "collaborators/cursor", delta: 1 });
  if (input === " ") return act({ type: "collaborators/toggle", current: chosen.permissions });
  if (input === "x") return act({ type: "collaborators/confirm-remove" });
  if (key.return) {
    if (!d.draft) return act({ type: "collaborators/failed", error: "nothing changed: Space turns the permission under the cursor on or off" });
    const permissions = COLLABORATOR_PERMISSIONS.filter((p) => d.draft!.includes(p));
    return { actions: [{ type: "collaborators/sending" }], effects: [{ type: "set-collaborator", id: session.id, collaborator: chosen.id, name: chosen.technician, permissions }] };
  }
  return none;
}

/** Keys in the talk dialog: Tab/↑↓ between file, microphone and mute; Enter plays the file or switches the one in focus. */
export function talkKey(state: ConsoleState, input: string, key: KeyPress): KeyResult {
  const d = state.talk;
  if (key.escape || !d) return act({ type: "view/close" });
  if (key.tab || key.downArrow) return act({ type: "talk/focus", delta: key.shift ? -1 : 1 });
  if (key.upArrow) return act({ type: "talk/focus", delta: -1 });
  if (d.focus === "file") {
    if (key.return) {
      const file = d.file.trim();
      if (!file) return act({ type: "talk/failed", error: "type the path of an audio file (Ogg/Opus, WAV, MP3, FLAC …)" });
      if (d.sending) return none;
      return { actions: [{ type: "talk/sending" }], effects: [{ type: "talk-file", id: d.sessionId, file }] };
    }
    if (key.backspace || key.delete) return act({ type: "talk/backspace" });
    if (input && !key.ctrl && !key.meta) return act({ type: "talk/input", text: input });
    return none;
  }
  if (!(key.return || input === " " || key.leftArrow || key.rightArrow)) return none;
  if (d.focus === "mic") {
    if (voiceSession(state.sessions) !== d.sessionId && !state.voice.mic) {
      return act({ type: "talk/failed", error: "the microphone goes to the selected running Lens session: select this session first" });
    }
    return act({ type: "voice/toggle", kind: "mic" }, { type: "notice", kind: "info", text: `your microphone: ${state.voice.mic ? "off" : "on"}` });
  }
  const muted = state.media[d.sessionId]?.stats?.audio.muted ?? false;
  return { actions: [], effects: [{ type: "mute", id: d.sessionId, mute: !muted }] };
}

/** Keys in the recordings overlay: o plays, d deletes (y/n), ↑↓ scroll, Esc / q / R close. */
export function recordingsKey(state: ConsoleState, input: string, key: KeyPress): KeyResult {
  const v = state.recordings;
  if (!v) return act({ type: "view/close" });
  if (v.confirmDelete) {
    if (input === "y" || input === "Y") return { actions: [{ type: "recordings/deleting" }], effects: [{ type: "delete-recordings", id: v.sessionId }] };
    return act({ type: "recordings/cancel-delete" }, { type: "notice", kind: "info", text: "nothing deleted" });
  }
  if (key.escape || input === "q" || input === "R") return act({ type: "view/close" });
  if (key.upArrow || input === "k") return act({ type: "recordings/scroll", delta: -1 });
  if (key.downArrow || input === "j") return act({ type: "recordings/scroll", delta: 1 });
  const segments = v.segments ?? [];
  if (input === "o" || input === "d") {
    if (segments.length === 0) return refuse(`${input === "o" ? "open" : "delete"}: this session has no recording`);
    if (input === "o") return { actions: [{ type: "notice/clear" }], effects: [{ type: "play-recordings", id: v.sessionId, paths: segments.map((s) => s.path) }] };
    const live = segments.findIndex((s) => s.live);
    if (live >= 0) return refuse(`delete: segment ${live + 1} is being recorded now; end the session first`);
    return act({ type: "recordings/confirm-delete" });
  }
  return none;
}
