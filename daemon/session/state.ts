import type { Session } from "../../src/protocol/index.js";
import type { EventLog } from "../events.js";

/**
 * The technician's sessions as the server last told us; every change becomes an event. Only
 * sessions the technician takes part in (as lead or collaborator) are held, as in the server's snapshot.
 */
export class SessionState {
  private sessions = new Map<string, Session>();

  constructor(
    private readonly events: EventLog,
    /** Who this daemon is logged in as (an external technician's `as` name); null: nobody, keep all. */
    private readonly me: () => string | null = () => null,
  ) {}

  /** A fresh snapshot from the server is the truth: drop whatever we held. */
  replace(list: Session[]): void {
    this.sessions = new Map(list.map((s) => [s.id, s]));
    this.events.emit({ type: "sessions", sessions: list });
  }

  upsert(session: Session): void {
    const old = this.sessions.get(session.id);
    if (!this.takesPart(session)) return this.drop(session, old);
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

  private takesPart(session: Session): boolean {
    const me = this.me();
    return me === null || session.technician === me || (session.collaborators ?? []).some((c) => c.technician === me);
  }

  /**
   * Transferred away or removed by the lead: the server's last push of it. Listeners get that
   * version (media lets go, a console shows who holds it now), then the list without it, as after
   * a reconnect.
   */
  private drop(session: Session, held: Session | undefined): void {
    if (!held) return;
    this.sessions.delete(session.id);
    this.events.emit({ type: "session", session });
    this.events.emit({ type: "sessions", sessions: this.list() });
  }
}
