import { COLLABORATOR_PERMISSIONS, type Collaborator, type CollaboratorPermission } from "../../protocol/index.js";
import type { ConsoleAction } from "./actions.js";

/**
 * The collaborators dialog (w): the lead picks a collaborator, changes what they may do, or
 * removes them. The collaborators themselves are read from the session as the daemon reports it.
 */
export interface CollaboratorsDialog {
  sessionId: string;
  /** The collaborator chosen, by id (stays on them when the list changes). */
  selectedId: string | null;
  /** The permission under the cursor, an index into COLLABORATOR_PERMISSIONS. */
  cursor: number;
  /** The chosen collaborator's permissions as edited, not yet saved; null when unchanged. */
  draft: CollaboratorPermission[] | null;
  confirmRemove: boolean;
  busy: boolean;
  error: string | null;
}

export type CollaboratorsAction =
  | { type: "collaborators/open"; id: string; first: string | null }
  | { type: "collaborators/select"; collaboratorId: string }
  | { type: "collaborators/cursor"; delta: number }
  | { type: "collaborators/toggle"; current: CollaboratorPermission[] }
  | { type: "collaborators/confirm-remove" }
  | { type: "collaborators/cancel-remove" }
  | { type: "collaborators/sending" }
  | { type: "collaborators/done" }
  | { type: "collaborators/failed"; error: string };

export function collaboratorsReducer(state: CollaboratorsDialog | null, action: ConsoleAction): CollaboratorsDialog | null {
  if (action.type === "collaborators/open") {
    return { sessionId: action.id, selectedId: action.first, cursor: 0, draft: null, confirmRemove: false, busy: false, error: null };
  }
  if (action.type === "view/close" || action.type === "help/toggle") return null;
  if (!state) return state;
  switch (action.type) {
    case "collaborators/select":
      return { ...state, selectedId: action.collaboratorId, draft: null, confirmRemove: false, error: null };
    case "collaborators/cursor": {
      const n = COLLABORATOR_PERMISSIONS.length;
      return { ...state, cursor: (state.cursor + action.delta + n) % n };
    }
    case "collaborators/toggle": {
      const p = COLLABORATOR_PERMISSIONS[state.cursor]!;
      const from = state.draft ?? action.current;
      const next = from.includes(p) ? from.filter((x) => x !== p) : [...from, p];
      return { ...state, draft: COLLABORATOR_PERMISSIONS.filter((x) => next.includes(x)), error: null };
    }
    case "collaborators/confirm-remove":
      return { ...state, confirmRemove: true, error: null };
    case "collaborators/cancel-remove":
      return { ...state, confirmRemove: false };
    case "collaborators/sending":
      return { ...state, busy: true, confirmRemove: false, error: null };
    case "collaborators/done":
      return { ...state, busy: false, draft: null };
    case "collaborators/failed":
      return { ...state, busy: false, error: action.error };
    default:
      return state;
  }
}

/** The collaborator the dialog is on: the chosen one while still in the session, else the first. */
export function chosenCollaborator(dialog: CollaboratorsDialog, collaborators: Collaborator[]): Collaborator | null {
  return collaborators.find((c) => c.id === dialog.selectedId) ?? collaborators[0] ?? null;
}
