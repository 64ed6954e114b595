import { TERMINAL_STATUSES, type Session, type SessionStatus } from "../../protocol/index.js";
import type { ConsoleAction } from "./actions.js";

export interface SessionsState {
  byId: Record<string, Session>;
  selectedId: string | null;
  /** Sessions that became Waiting while the console watched: highlighted until they move on. */
  fresh: string[];
  /** Bumped once per newly Waiting session; the app rings the terminal bell on each bump. */
  bells: number;
  lastEventId: number | null;
  /** An event id was skipped: the list must be fetched again. */
  gap: boolean;
}

/** Events older than this when they arrive are history being replayed: no bell for them. */
export const LIVE_EVENT_MS = 5_000;

export const initialSessions: SessionsState = {
  byId: {},
  selectedId: null,
  fresh: [],
  bells: 0,
  lastEventId: null,
  gap: false,
};

export function isEnded(status: SessionStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** Statuses in which the daemon has (or keeps) a media connection with the customer. */
export function hasMedia(status: SessionStatus): boolean {
  return status === "active" || status === "on-hold" || status === "collaborating";
}

/** Live sessions first, oldest first (a stable place on screen); ended ones last, newest first. */
export function orderedSessions(state: SessionsState): Session[] {
  const all = Object.values(state.byId);
  const live = all.filter((s) => !isEnded(s.status)).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  const ended = all.filter((s) => isEnded(s.status)).sort((a, b) => b.statusSince.localeCompare(a.statusSince) || a.id.localeCompare(b.id));
  return [...live, ...ended];
}

export function selectedSession(state: SessionsState): Session | null {
  return state.selectedId === null ? null : (state.byId[state.selectedId] ?? null);
}

export function sessionsReducer(state: SessionsState, action: ConsoleAction): SessionsState {
  switch (action.type) {
    case "daemon/up":
      return withSelection({
        ...(action.sessions ? replaceAll(state, action.sessions, false) : state),
        lastEventId: action.restarted ? null : state.lastEventId,
        gap: false,
      });
    case "sessions/resync":
      return withSelection({ ...replaceAll(state, action.sessions, false), gap: false });
    case "event":
      return withSelection(applyEvent(state, action.event, action.now));
    case "session/updated":
      return withSelection(upsert(state, action.session, false));
    case "select/move": {
      const list = orderedSessions(state);
      if (list.length === 0) return state;
      const at = list.findIndex((s) => s.id === state.selectedId);
      const next = Math.min(list.length - 1, Math.max(0, (at < 0 ? 0 : at) + action.delta));
      return { ...state, selectedId: list[next]!.id };
    }
    case "dialog/created":
      return { ...upsert(state, action.session, false), selectedId: action.session.id };
    case "invitation/joined":
      return { ...upsert(state, action.response.session, false), selectedId: action.response.session.id };
    default:
      return state;
  }
}

function applyEvent(state: SessionsState, event: Extract<ConsoleAction, { type: "event" }>["event"], now: number): SessionsState {
  if (state.lastEventId !== null && event.id <= state.lastEventId) return state;
  const gap = state.gap || (state.lastEventId !== null && event.id > state.lastEventId + 1);
  const next: SessionsState = { ...state, lastEventId: event.id, gap };
  const live = Date.parse(event.at) >= now - LIVE_EVENT_MS;
  switch (event.type) {
    case "sessions":
      // A replayed list is older than the snapshot: it may add and update, never remove.
      return live ? replaceAll(next, event.sessions, true) : event.sessions.reduce<SessionsState>((s, one) => upsert(s, one, false), next);
    case "session":
      return upsert(next, event.session, live);
    default:
      return next;
  }
}

function replaceAll(state: SessionsState, sessions: Session[], live: boolean): SessionsState {
  let next = state;
  for (const s of sessions) next = upsert(next, s, live);
  const keep = new Set(sessions.map((s) => s.id));
  const byId = Object.fromEntries(Object.entries(next.byId).filter(([id]) => keep.has(id)));
  return { ...next, byId, fresh: next.fresh.filter((id) => keep.has(id)) };
}

function upsert(state: SessionsState, session: Session, live: boolean): SessionsState {
  const held = state.byId[session.id];
  // A replayed event may be older than what a snapshot already told us.
  if (held && held.statusSince > session.statusSince) return state;
  const becameWaiting = session.status === "waiting" && held?.status !== "waiting";
  const byId = { ...state.byId, [session.id]: session };
  let fresh = state.fresh.filter((id) => byId[id]?.status === "waiting");
  let bells = state.bells;
  if (becameWaiting && live) {
    if (!fresh.includes(session.id)) fresh = [...fresh, session.id];
    bells += 1;
  }
  return { ...state, byId, fresh, bells };
}

/**
 * After a bell, the customer who just arrived is selected: they are what the technician wants
 * next. Not while the technician is busy with the selected session (a customer on the line, a
 * chat line or an end question open): then the selection stays and the NEW mark and the notice
 * line tell them.
 */
export function followArrival(before: SessionsState, after: SessionsState, busy: boolean): SessionsState {
  const arrived = after.bells > before.bells ? after.fresh.at(-1) : undefined;
  if (arrived === undefined || busy) return after;
  const current = selectedSession(after);
  return current && hasMedia(current.status) ? after : { ...after, selectedId: arrived };
}

/** Keep a valid selection: the first newly Waiting session when nothing is selected, else the first. */
function withSelection(state: SessionsState): SessionsState {
  if (state.selectedId !== null && state.byId[state.selectedId]) return state;
  const first = state.fresh[0] ?? orderedSessions(state)[0]?.id ?? null;
  return first === state.selectedId ? state : { ...state, selectedId: first };
}
