import { eraseLast, typeInto } from "./text-field.js";
import {
  COLLABORATOR_PERMISSIONS,
  DEFAULT_COLLABORATOR_PERMISSIONS,
  InviteRequest,
  type CollaboratorPermission,
  type InvitationKind,
  type InvitationVia,
  type InviteResponse,
} from "../../protocol/index.js";
import type { ConsoleAction } from "./actions.js";

export type InviteField = "kind" | "via" | "to" | "permissions" | "comment";

export interface InviteState {
  phase: "form" | "sending" | "sent";
  sessionId: string;
  kind: InvitationKind;
  /** External only; an internal invitation always goes to the technician's account by email. */
  via: InvitationVia;
  to: string;
  permissions: CollaboratorPermission[];
  /** The permission the cursor is on while the permissions field has focus. */
  permissionAt: number;
  comment: string;
  focus: InviteField;
  error: string | null;
  result: InviteResponse | null;
}

export const INVITATION_KINDS: readonly InvitationKind[] = ["internal", "external"];
export const INVITATION_VIAS: readonly InvitationVia[] = ["pin", "email", "link"];
const TO_MAX = 254;
const COMMENT_MAX = 500;

export function newInvite(sessionId: string): InviteState {
  return {
    phase: "form",
    sessionId,
    kind: "internal",
    via: "pin",
    to: "",
    permissions: [...DEFAULT_COLLABORATOR_PERMISSIONS],
    permissionAt: 0,
    comment: "",
    focus: "kind",
    error: null,
    result: null,
  };
}

export function inviteFields(state: InviteState): InviteField[] {
  return state.kind === "internal" ? ["kind", "to", "permissions", "comment"] : ["kind", "via", "to", "permissions", "comment"];
}

/** Whether the address is required (internal, or external by email) or only names the invitee. */
export function inviteNeedsTo(state: InviteState): boolean {
  return state.kind === "internal" || state.via === "email";
}

/** The request the form describes, or the first problem with it in words. */
export function inviteRequest(state: InviteState): { ok: true; request: InviteRequest } | { ok: false; error: string } {
  const to = state.to.trim();
  const comment = state.comment.trim();
  const raw = {
    kind: state.kind,
    via: state.kind === "internal" ? "email" : state.via,
    ...(to ? { to } : {}),
    // In the order the protocol lists them, whatever order they were toggled in.
    permissions: COLLABORATOR_PERMISSIONS.filter((p) => state.permissions.includes(p)),
    ...(comment ? { comment } : {}),
  };
  const parsed = InviteRequest.safeParse(raw);
  if (parsed.success) return { ok: true, request: raw as InviteRequest };
  const issue = parsed.error.issues[0];
  if (issue?.path[0] === "to") return { ok: false, error: to ? `not an email address: ${to}` : "enter the technician's email address" };
  return { ok: false, error: issue ? `${issue.path.join(".") || "form"}: ${issue.message}` : "invalid form" };
}

export function inviteReducer(state: InviteState | null, action: ConsoleAction): InviteState | null {
  if (action.type === "invite/open") return newInvite(action.id);
  if (action.type === "view/close") return null;
  if (!state) return state;
  const form = state.phase === "form";
  switch (action.type) {
    case "invite/focus": {
      if (!form) return state;
      const fields = inviteFields(state);
      const at = fields.indexOf(state.focus);
      return { ...state, focus: fields[(at + action.delta + fields.length) % fields.length]! };
    }
    case "invite/cycle":
      if (!form) return state;
      if (state.focus === "kind") return { ...state, kind: cycle(INVITATION_KINDS, state.kind, action.delta), error: null };
      if (state.focus === "via") return { ...state, via: cycle(INVITATION_VIAS, state.via, action.delta), error: null };
      if (state.focus === "permissions") {
        const n = COLLABORATOR_PERMISSIONS.length;
        return { ...state, permissionAt: (state.permissionAt + action.delta + n) % n };
      }
      return state;
    case "invite/toggle": {
      if (!form || state.focus !== "permissions") return state;
      const p = COLLABORATOR_PERMISSIONS[state.permissionAt]!;
      const permissions = state.permissions.includes(p) ? state.permissions.filter((x) => x !== p) : [...state.permissions, p];
      return { ...state, permissions, error: null };
    }
    case "invite/input": {
      if (!form) return state;
      if (state.focus === "to") return { ...state, to: typeInto(state.to, action.text, { max: TO_MAX, spaces: false }), error: null };
      if (state.focus === "comment") return { ...state, comment: typeInto(state.comment, action.text, { max: COMMENT_MAX }), error: null };
      return state;
    }
    case "invite/backspace":
      if (!form) return state;
      if (state.focus === "to") return { ...state, to: eraseLast(state.to) };
      if (state.focus === "comment") return { ...state, comment: eraseLast(state.comment) };
      return state;
    case "invite/sending":
      return { ...state, phase: "sending", error: null };
    case "invite/sent":
      return { ...state, phase: "sent", result: action.response, error: null };
    case "invite/failed":
      return { ...state, phase: "form", error: action.error };
    default:
      return state;
  }
}

function cycle<T>(values: readonly T[], current: T, delta: number): T {
  const at = values.indexOf(current);
  return values[(at + delta + values.length) % values.length]!;
}
