import { RescueError, TERMINAL_STATUSES, type SessionStatus } from "../../protocol/index.js";

/** What can happen to a session; each names who or what causes it. */
export type SessionAction =
  | "accept-eula" // customer
  | "decline-eula" // customer
  | "time-out" // PIN expired with no customer
  | "start" // technician
  | "hold" // technician
  | "resume" // technician
  | "resume-collaborating" // technician, with an external technician still in the session
  | "collaborate" // an external technician joined
  | "end-collaboration" // the last external technician left
  | "end" // technician
  | "customer-left" // customer socket closed or `leave`
  | "reissue-pin"; // technician: a new PIN for a session whose PIN expired before any customer joined

/** The whole state machine: a status and an action give the next status, or nothing. */
const TRANSITIONS: Readonly<Record<SessionStatus, Partial<Record<SessionAction, SessionStatus>>>> = {
  connecting: { "accept-eula": "waiting", "decline-eula": "declined", "time-out": "timed-out", end: "closed", "customer-left": "aborted" },
  waiting: { start: "active", end: "closed", "customer-left": "aborted" },
  active: { hold: "on-hold", collaborate: "collaborating", end: "closed", "customer-left": "aborted" },
  "on-hold": { resume: "active", "resume-collaborating": "collaborating", end: "closed", "customer-left": "aborted" },
  collaborating: { "end-collaboration": "active", hold: "on-hold", end: "closed", "customer-left": "aborted" },
  closed: {},
  // The customer never came: the session may be given a new PIN and wait for them again.
  "timed-out": { "reissue-pin": "connecting" },
  declined: {},
  aborted: {},
};

/** The status after `action`, or a conflict error naming the current status and the action. */
export function nextStatus(current: SessionStatus, action: SessionAction): SessionStatus {
  const next = TRANSITIONS[current][action];
  if (!next) throw new RescueError("conflict", `cannot ${action} a session that is ${current}`, { status: current, action });
  return next;
}

/**
 * Whether the session is over: nothing happens to it any more, except that a timed-out one (no
 * customer ever joined) may be given a new PIN (`reissue-pin`). The list is the protocol's.
 */
export function isTerminal(status: SessionStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export const LIVE_STATUSES: readonly SessionStatus[] = (Object.keys(TRANSITIONS) as SessionStatus[]).filter((s) => !isTerminal(s));
export const ENDED_STATUSES: readonly SessionStatus[] = (Object.keys(TRANSITIONS) as SessionStatus[]).filter(isTerminal);
/** Statuses that hold a technician's Lens slot. */
export const LENS_SLOT_STATUSES: readonly SessionStatus[] = ["active", "on-hold", "collaborating"];
/** Statuses that count towards the limit of active sessions (hold does not). */
export const ACTIVE_STATUSES: readonly SessionStatus[] = ["active", "collaborating"];
