import { eraseLast, typeInto } from "./text-field.js";
import {
  CreateSessionRequest,
  type ConnectionMethod,
  type Session,
  type SessionType,
} from "../../protocol/index.js";
import type { ConsoleAction } from "./actions.js";

export type DialogField = "type" | "name" | "method" | "to";

export interface DialogState {
  phase: "form" | "creating" | "created";
  type: SessionType;
  name: string;
  method: ConnectionMethod;
  /** Phone number for sms, address for email. */
  to: string;
  focus: DialogField;
  error: string | null;
  /** The created session, refreshed by "create another PIN". */
  session: Session | null;
  /** The PIN that "create another PIN" replaced: it no longer works, and the dialog says so. */
  replacedPin: string | null;
}

export const SESSION_TYPES: readonly SessionType[] = ["lens", "desktop"];
export const METHODS: readonly ConnectionMethod[] = ["pin", "sms", "email", "link"];
const TEXT_MAX = 254;

export const initialDialog: DialogState = {
  phase: "form",
  type: "lens",
  name: "",
  method: "pin",
  to: "",
  focus: "type",
  error: null,
  session: null,
  replacedPin: null,
};

export function dialogFields(state: DialogState): DialogField[] {
  return state.method === "sms" || state.method === "email" ? ["type", "name", "method", "to"] : ["type", "name", "method"];
}

/** The request the form describes, or the first problem with it in words. */
export function dialogRequest(state: DialogState): { ok: true; request: CreateSessionRequest } | { ok: false; error: string } {
  const parsed = CreateSessionRequest.safeParse({
    type: state.type,
    method: state.method,
    ...(state.name.trim() ? { name: state.name } : {}),
    ...(dialogFields(state).includes("to") && state.to.trim() ? { to: state.to } : {}),
  });
  if (parsed.success) return { ok: true, request: parsed.data };
  const issue = parsed.error.issues[0];
  if (issue?.path[0] === "to") return { ok: false, error: state.method === "sms" ? "enter a phone number" : "enter an email address" };
  return { ok: false, error: issue ? `${issue.path.join(".") || "form"}: ${issue.message}` : "invalid form" };
}

export function dialogReducer(state: DialogState, action: ConsoleAction): DialogState {
  switch (action.type) {
    case "dialog/open":
      return initialDialog;
    case "dialog/focus": {
      if (state.phase !== "form") return state;
      const fields = dialogFields(state);
      const at = fields.indexOf(state.focus);
      return { ...state, focus: fields[(at + action.delta + fields.length) % fields.length]! };
    }
    case "dialog/cycle": {
      if (state.phase !== "form") return state;
      if (state.focus === "type") return { ...state, type: cycle(SESSION_TYPES, state.type, action.delta), error: null };
      if (state.focus === "method") return { ...state, method: cycle(METHODS, state.method, action.delta), error: null };
      return state;
    }
    case "dialog/input": {
      if (state.phase !== "form") return state;
      if (state.focus === "name") return { ...state, name: typeInto(state.name, action.text, { max: TEXT_MAX }), error: null };
      if (state.focus === "to") return { ...state, to: typeInto(state.to, action.text, { max: TEXT_MAX }), error: null };
      return state;
    }
    case "dialog/backspace":
      if (state.phase !== "form") return state;
      if (state.focus === "name") return { ...state, name: eraseLast(state.name) };
      if (state.focus === "to") return { ...state, to: eraseLast(state.to) };
      return state;
    case "dialog/submitting":
      return { ...state, phase: "creating", error: null };
    case "dialog/created": {
      const replaced = state.session?.id === action.session.id && state.session.pin && state.session.pin !== action.session.pin ? state.session.pin : null;
      return { ...state, phase: "created", session: action.session, error: null, replacedPin: replaced ?? (state.session?.id === action.session.id ? state.replacedPin : null) };
    }
    case "dialog/failed":
      // Back to the form when creating failed; stay on the result when a new PIN failed.
      return { ...state, phase: state.session ? "created" : "form", error: action.error };
    case "dialog/again":
      return { ...state, phase: "creating", error: null };
    case "session/updated":
      return state.session?.id === action.session.id ? { ...state, session: action.session } : state;
    default:
      return state;
  }
}

function cycle<T>(values: readonly T[], current: T, delta: number): T {
  const at = values.indexOf(current);
  return values[(at + delta + values.length) % values.length]!;
}
