import { eraseLast, typeInto } from "./text-field.js";
import { TransferRequest, type Session } from "../../protocol/index.js";
import type { ConsoleAction } from "./actions.js";

export interface TransferState {
  phase: "form" | "sending" | "done";
  sessionId: string;
  /** The receiving technician's email. */
  to: string;
  error: string | null;
  /** The session as the server left it, now led by the other technician. */
  result: Session | null;
}

const TO_MAX = 254;

/** The request the form describes, or what is wrong with it in words. */
export function transferTarget(state: TransferState): { ok: true; to: string } | { ok: false; error: string } {
  const to = state.to.trim();
  if (!to) return { ok: false, error: "enter the technician's email address" };
  return TransferRequest.safeParse({ to }).success ? { ok: true, to } : { ok: false, error: `not an email address: ${to}` };
}

export function transferReducer(state: TransferState | null, action: ConsoleAction): TransferState | null {
  if (action.type === "transfer/open") return { phase: "form", sessionId: action.id, to: "", error: null, result: null };
  if (action.type === "view/close") return null;
  if (!state) return state;
  switch (action.type) {
    case "transfer/input":
      return state.phase === "form" ? { ...state, to: typeInto(state.to, action.text, { max: TO_MAX, spaces: false }), error: null } : state;
    case "transfer/backspace":
      return state.phase === "form" ? { ...state, to: eraseLast(state.to) } : state;
    case "transfer/sending":
      return { ...state, phase: "sending", error: null };
    case "transfer/done":
      return { ...state, phase: "done", result: action.session, error: null };
    case "transfer/failed":
      return { ...state, phase: "form", error: action.error };
    default:
      return state;
  }
}
