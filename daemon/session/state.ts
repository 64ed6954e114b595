import type { Session } from "../../src/protocol/index.js";
import type { EventLog } from "../events.js";

/** The technician's sessions as the server last told us; every change becomes an event. */
export class SessionState {
  private sessions = new Map<string, Session>();

  constructor(private readonly events: EventLog) {}

  /** A fresh snapshot from the server is the truth: drop whatever we held. */
  replace(list: Session[]): void {
    this.sessions = new Map(list.map((s) => [s.id, s]));
    this.events.emit({ type: "sessions", sessions: list });
  }

  upsert(session: Session): void {
    const old = this.sessions.get(session.id);
    if (old && JSON.stringify(old) === JSON.stringify(session)) return;
    this.sessions.set(session.id, session);
    this.events.emit({ type: "session", session });
  }

  get(id: string): Session | undefined {
    return this.sessions.get(id);
  }

  list(status?: string): Session[] {
    const all = [...this.sessions.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    return status ? all.filter((s) => s.status === status) : all;
  }
}
