import { describe, expect, it } from "vitest";
import { DaemonEvent } from "../../src/protocol/index.js";
import type { ConsoleAction } from "../../src/tui/state/actions.js";
import { followArrival, initialSessions, orderedSessions, sessionsReducer, type SessionsState } from "../../src/tui/state/sessions.js";
import { session, sessionEvent } from "./make.js";

const NOW = Date.parse("2026-01-01T10:05:00.000Z");
const live = new Date(NOW).toISOString();
const run = (actions: ConsoleAction[], from: SessionsState = initialSessions) => actions.reduce(sessionsReducer, from);
const ev = (id: number, s: ReturnType<typeof session>, at = live): ConsoleAction => ({ type: "event", event: sessionEvent(id, s, at), now: NOW });
const status = { pid: 1, version: "1", startedAt: live, home: "/h", server: null, technician: null, backend: { state: "connected" as const, since: live } };

describe("sessions reducer", () => {
  it("adds sessions from events and remembers the last event id", () => {
    const s = run([ev(1, session("a", "connecting")), ev(2, session("b", "connecting"))]);
    expect(Object.keys(s.byId)).toEqual(["a", "b"]);
    expect(s.lastEventId).toBe(2);
    expect(s.gap).toBe(false);
  });

  it("selects a session that becomes Waiting unless the technician is busy with the selected one", () => {
    const idle = run([ev(1, session("a", "connecting")), ev(2, session("b", "connecting"))]);
    expect(idle.selectedId).toBe("a");
    const arrive = (from: SessionsState, busy = false) => followArrival(from, run([ev(9, session("b", "waiting"))], from), busy);
    expect(arrive(idle).selectedId).toBe("b");
    // Typing a chat line or answering the end question: the selection stays.
    expect(arrive(idle, true).selectedId).toBe("a");
    // A customer on the line in the selected session: it stays too.
    expect(arrive(run([ev(3, session("a", "active"))], idle)).selectedId).toBe("a");
    // Not a new arrival (no bell): nothing moves.
    expect(followArrival(idle, run([ev(3, session("b", "connecting", { name: "B" }))], idle), false).selectedId).toBe("a");
  });

  it("rings once and highlights a session that becomes Waiting live", () => {
    const s = run([
      ev(1, session("a", "connecting")),
      ev(2, session("a", "waiting", { statusSince: "2026-01-01T10:04:00.000Z" })),
      // The same status again (a field changed) is not a new arrival.
      ev(3, session("a", "waiting", { statusSince: "2026-01-01T10:04:00.000Z", name: "Renamed" })),
    ]);
    expect(s.bells).toBe(1);
    expect(s.fresh).toEqual(["a"]);
    expect(s.byId.a?.name).toBe("Renamed");
  });

  it("clears the highlight once the session leaves Waiting", () => {
    const s = run([ev(1, session("a", "waiting")), ev(2, session("a", "active", { statusSince: "2026-01-01T10:04:30.000Z" }))]);
    expect(s.fresh).toEqual([]);
    expect(s.bells).toBe(1);
  });

  it("does not ring for Waiting sessions already there when the console opens", () => {
    const s = run([{ type: "daemon/up", status, sessions: [session("a", "waiting")], restarted: false }]);
    expect(s.bells).toBe(0);
    expect(s.fresh).toEqual([]);
    expect(s.selectedId).toBe("a");
  });

  it("does not ring for replayed history, only for live events", () => {
    const old = "2026-01-01T09:00:00.000Z";
    const s = run([ev(1, session("a", "waiting"), old)]);
    expect(s.bells).toBe(0);
    expect(s.byId.a?.status).toBe("waiting");
  });

  it("ignores events it has already seen", () => {
    const once = run([ev(1, session("a", "connecting")), ev(2, session("a", "waiting", { statusSince: "2026-01-01T10:04:00.000Z" }))]);
    const again = run([ev(2, session("a", "connecting"))], once);
    expect(again).toBe(once);
  });

  it("flags a gap in event ids so the list is fetched again, and a resync clears it", () => {
    const s = run([ev(1, session("a", "connecting")), ev(3, session("b", "connecting"))]);
    expect(s.gap).toBe(true);
    const fixed = run([{ type: "sessions/resync", sessions: [session("a", "connecting"), session("b", "connecting"), session("c", "connecting")] }], s);
    expect(fixed.gap).toBe(false);
    expect(Object.keys(fixed.byId).sort()).toEqual(["a", "b", "c"]);
  });

  it("keeps the newer status when a replayed event is older than the snapshot", () => {
    const snap = run([{ type: "daemon/up", status, sessions: [session("a", "active", { statusSince: "2026-01-01T10:04:00.000Z" })], restarted: false }]);
    const s = run([ev(1, session("a", "waiting", { statusSince: "2026-01-01T10:03:00.000Z" }), "2026-01-01T10:03:00.000Z")], snap);
    expect(s.byId.a?.status).toBe("active");
    expect(s.lastEventId).toBe(1);
  });

  it("replaces everything on a full list event, ringing for new Waiting ones", () => {
    const before = run([ev(1, session("a", "active")), ev(2, session("gone", "connecting"))]);
    const full: ConsoleAction = {
      type: "event",
      now: NOW,
      event: DaemonEvent.parse({ id: 3, at: live, type: "sessions", sessions: [session("a", "active"), session("b", "waiting")] }),
    };
    const s = run([full], before);
    expect(Object.keys(s.byId).sort()).toEqual(["a", "b"]);
    expect(s.bells).toBe(1);
    expect(s.fresh).toEqual(["b"]);
  });

  it("lets a replayed full list add and update but not remove what the snapshot holds", () => {
    const snap = run([{ type: "daemon/up", status, sessions: [session("a", "active"), session("b", "connecting")], restarted: false }]);
    const old: ConsoleAction = {
      type: "event",
      now: NOW,
      event: DaemonEvent.parse({ id: 1, at: "2026-01-01T09:00:00.000Z", type: "sessions", sessions: [session("a", "active"), session("c", "waiting")] }),
    };
    const s = run([old], snap);
    expect(Object.keys(s.byId).sort()).toEqual(["a", "b", "c"]);
    expect(s.bells).toBe(0);
  });

  it("keeps what it holds when the daemon answered but could not list", () => {
    const held = run([ev(1, session("a", "active"))]);
    const s = run([{ type: "daemon/up", status, sessions: null, restarted: false }], held);
    expect(Object.keys(s.byId)).toEqual(["a"]);
    expect(s.lastEventId).toBe(1);
  });

  it("forgets the last event id when the daemon restarted", () => {
    const s = run([ev(7, session("a", "connecting")), { type: "daemon/up", status, sessions: [], restarted: true }]);
    expect(s.lastEventId).toBeNull();
    const kept = run([ev(7, session("a", "connecting")), { type: "daemon/up", status, sessions: [], restarted: false }]);
    expect(kept.lastEventId).toBe(7);
  });

  it("orders live sessions by creation and ended ones after them, newest first", () => {
    const s = run([
      ev(1, session("late", "active", { createdAt: "2026-01-01T10:02:00.000Z" })),
      ev(2, session("early", "waiting", { createdAt: "2026-01-01T10:01:00.000Z" })),
      ev(3, session("ended1", "closed", { statusSince: "2026-01-01T10:03:00.000Z", createdAt: "2026-01-01T09:00:00.000Z" })),
      ev(4, session("ended2", "declined", { statusSince: "2026-01-01T10:04:00.000Z", createdAt: "2026-01-01T09:00:00.000Z" })),
    ]);
    expect(orderedSessions(s).map((x) => x.id)).toEqual(["early", "late", "ended2", "ended1"]);
  });

  it("moves the selection within bounds and keeps it on the same session when others arrive", () => {
    let s = run([ev(1, session("a", "active", { createdAt: "2026-01-01T10:01:00.000Z" })), ev(2, session("b", "active", { createdAt: "2026-01-01T10:02:00.000Z" }))]);
    expect(s.selectedId).toBe("a");
    s = run([{ type: "select/move", delta: 1 }, { type: "select/move", delta: 5 }], s);
    expect(s.selectedId).toBe("b");
    s = run([ev(3, session("c", "active", { createdAt: "2026-01-01T10:00:00.000Z" }))], s);
    expect(s.selectedId).toBe("b");
    s = run([{ type: "select/move", delta: -10 }], s);
    expect(s.selectedId).toBe("c");
  });

  it("selects the newly Waiting session when nothing was selected, and moves off a removed one", () => {
    const s = run([ev(1, session("a", "waiting"))]);
    expect(s.selectedId).toBe("a");
    const after = run([{ type: "sessions/resync", sessions: [session("b", "active")] }], s);
    expect(after.selectedId).toBe("b");
  });

  it("selects a session the dialog created", () => {
    const s = run([ev(1, session("a", "active")), { type: "dialog/created", session: session("n", "connecting") }]);
    expect(s.selectedId).toBe("n");
  });
});
