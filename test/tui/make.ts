import { DaemonEvent, Session, type SessionStatus } from "../../src/protocol/index.js";

/** A session the way the protocol describes it, with the fields a test cares about. */
export function session(id: string, status: SessionStatus, over: Partial<Session> = {}): Session {
  const at = over.statusSince ?? "2026-01-01T10:00:00.000Z";
  return Session.parse({
    id,
    name: `Customer ${id}`,
    type: "lens",
    mode: "view",
    status,
    method: "pin",
    pin: status === "connecting" ? "123456" : null,
    expiresAt: null,
    links: null,
    technician: "ann@example.com",
    createdAt: over.createdAt ?? at,
    statusSince: at,
    recordable: true,
    customer: null,
    ...over,
  });
}

export function sessionEvent(id: number, s: Session, at = new Date().toISOString()): DaemonEvent {
  return DaemonEvent.parse({ id, at, type: "session", session: s });
}
