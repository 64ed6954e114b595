import type { FastifyBaseLogger } from "fastify";
import type { WebSocket } from "ws";
import { WS_CLOSE, type ChatMessage, type LensAction, type ServerToCustomer, type ServerToTechnician, type Session } from "../../protocol/index.js";
import { sessionForCollaborator } from "../sessions/log-view.js";
import type { SessionNotifier } from "../sessions/service.js";
import { isTerminal } from "../sessions/state.js";
import type { SessionRow } from "../store/types.js";

interface TechnicianSocket {
  ws: WebSocket;
  tokenHash: string;
  /** Pushes held back until the socket has its snapshot, so `sessions` always comes first. */
  held: string[] | null;
}

/** The open sockets, and the pushes that follow every session change. */
export class Hub implements SessionNotifier {
  constructor(private readonly log: FastifyBaseLogger) {}

  private readonly technicians = new Map<string, Set<TechnicianSocket>>();
  private readonly customers = new Map<string, WebSocket>();

  /** Registers a socket; pushes wait until `ready` is called after the snapshot was sent. */
  addTechnician(technicianId: string, tokenHash: string, ws: WebSocket): { ready(): void; detach(): void } {
    const entry: TechnicianSocket = { ws, tokenHash, held: [] };
    let set = this.technicians.get(technicianId);
    if (!set) this.technicians.set(technicianId, (set = new Set()));
    set.add(entry);
    return {
      ready: () => {
        const held = entry.held ?? [];
        entry.held = null;
        for (const data of held) if (ws.readyState === ws.OPEN) ws.send(data);
      },
      detach: () => {
        set.delete(entry);
        if (set.size === 0 && this.technicians.get(technicianId) === set) this.technicians.delete(technicianId);
      },
    };
  }

  /**
   * The customer socket of a session. A newer one (the customer resumed while the old socket
   * still looked open, as after a network switch) replaces the old, which is closed.
   */
  addCustomer(sessionId: string, ws: WebSocket): () => void {
    const old = this.customers.get(sessionId);
    this.customers.set(sessionId, ws);
    if (old && old !== ws) old.close(WS_CLOSE.replaced, "replaced by a newer connection of the customer");
    return () => {
      if (this.customers.get(sessionId) === ws) this.customers.delete(sessionId);
    };
  }

  hasCustomer(sessionId: string): boolean {
    return this.customers.has(sessionId);
  }

  /** Whether `ws` is the session's current customer socket (not one a resume replaced). */
  isCustomer(sessionId: string, ws: WebSocket): boolean {
    return this.customers.get(sessionId) === ws;
  }

  toTechnician(technicianId: string, message: ServerToTechnician): void {
    const set = this.technicians.get(technicianId);
    if (!set) return;
    const data = JSON.stringify(message);
    for (const s of set) {
      if (s.held) s.held.push(data);
      else if (s.ws.readyState === s.ws.OPEN) s.ws.send(data);
    }
  }

  toCustomer(sessionId: string, message: ServerToCustomer): void {
    const ws = this.customers.get(sessionId);
    if (ws?.readyState === ws?.OPEN) ws?.send(JSON.stringify(message));
  }

  /** Whether the technician has a connected client (their daemon): transfers need one. */
  isOnline(technicianId: string): boolean {
    return (this.technicians.get(technicianId)?.size ?? 0) > 0;
  }

  /** Closes every socket of one technician id (a removed external technician). */
  closeTechnician(technicianId: string, code: number, reason: string): void {
    for (const s of this.technicians.get(technicianId) ?? []) s.ws.close(code, reason);
  }

  sessionChanged(row: SessionRow, session: Session, statusChanged: boolean): void {
    this.toTechnician(row.technicianId, { type: "session", session });
    const shared = sessionForCollaborator(session);
    for (const c of row.collaborators) this.toTechnician(c.technicianId, { type: "session", session: shared });
    if (!statusChanged) return;
    this.log.info({ sessionId: row.id, technician: row.technicianEmail, status: row.status }, "session status");
    this.toCustomer(row.id, { type: "status", status: row.status });
    if (isTerminal(row.status)) this.customers.get(row.id)?.close(WS_CLOSE.sessionEnded, `session ${row.status}`);
  }

  chat(row: SessionRow, message: ChatMessage): void {
    this.toTechnician(row.technicianId, { type: "chat", message });
    for (const c of row.collaborators) if (c.permissions.includes("chat")) this.toTechnician(c.technicianId, { type: "chat", message });
    this.toCustomer(row.id, { type: "chat", message });
  }

  customerMedia(row: SessionRow, event: "screen-share-stopped"): void {
    this.log.info({ sessionId: row.id, technician: row.technicianEmail, event }, "customer media");
    this.toTechnician(row.technicianId, { type: "customer-media", sessionId: row.id, event });
  }

  lens(row: SessionRow, action: LensAction, by: string): void {
    this.toTechnician(row.technicianId, { type: "lens", sessionId: row.id, action, by });
  }

  /** After logout the token's sockets go too. */
  closeToken(tokenHash: string): void {
    for (const set of this.technicians.values()) {
      for (const s of set) if (s.tokenHash === tokenHash) s.ws.close(WS_CLOSE.unauthenticated, "logged out");
    }
  }
}
