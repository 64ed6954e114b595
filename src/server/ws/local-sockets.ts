import type { Socket } from "node:net";
import type { WebSocket } from "ws";
import { WS_CLOSE, type ServerToCustomer, type ServerToTechnician } from "../../protocol/index.js";
import { textFrame } from "./frame.js";

/**
 * Sockets released per turn of the event loop (see uncorkAll): a loopback write takes 10-40 us
 * on a busy machine, so a slice holds the loop for well under a millisecond.
 */
export const UNCORK_SLICE = 16;

/**
 * When a technician socket was opened, to tell the newest of a technician's connections on any
 * node: epoch ms, then a random id between connections opened in the same millisecond.
 */
export interface TechnicianConnection {
  openedAt: number;
  id: string;
}

/** Whether connection `a` was opened before `b` (see TechnicianConnection). */
export function openedBefore(a: TechnicianConnection, b: TechnicianConnection): boolean {
  return a.openedAt !== b.openedAt ? a.openedAt < b.openedAt : a.id < b.id;
}

/** The reason a technician socket is closed with when a newer connection of theirs replaces it (code WS_CLOSE.replaced). */
export const REPLACED_TECHNICIAN_REASON = "signed in elsewhere: a newer connection of this technician replaced this one";

interface TechnicianSocket {
  ws: WebSocket;
  tokenHash: string;
  connection: TechnicianConnection;
  /** Framed pushes held back until the socket has its snapshot, so `sessions` always comes first. */
  held: Buffer[] | null;
}

/** The sockets this process holds, by technician id and by session (its customer). */
export class LocalSockets {
  private readonly technicians = new Map<string, Set<TechnicianSocket>>();
  private readonly customers = new Map<string, WebSocket>();
  /** TCP sockets corked since the last release, in the order they were corked; `uncorkAll` releases them. */
  private readonly corked = new Set<Socket>();

  /**
   * Writes a framed text message (see textFrame) straight to the socket's TCP stream, corked until
   * the end of this turn of the event loop (setImmediate runs after the turn's I/O callbacks), so
   * that the pushes one socket gets in a turn (several sessions created or changed together) leave
   * in one write system call, not one each. Order is unchanged: ws writes its own frames (the
   * snapshot, pings, close) synchronously to the same stream, as it never compresses here
   * (perMessageDeflate is off) and is never sent a Blob, the only cases in which it queues.
   * `frame` is made once by the caller when it goes to many sockets.
   */
  private send(ws: WebSocket, frame: Buffer): void {
    if (ws.readyState !== ws.OPEN) return;
    // ws keeps the TCP socket in `_socket`.
    const tcp = (ws as unknown as { _socket?: Socket })._socket;
    if (!tcp || tcp.destroyed || !tcp.writable) return;
    if (!this.corked.has(tcp)) {
      if (this.corked.size === 0) setImmediate(this.uncorkAll);
      tcp.cork();
      this.corked.add(tcp);
    }
    tcp.write(frame);
  }

  /**
   * Releases the corked sockets, at most UNCORK_SLICE per turn: each release is a write system
   * call, and a push to a thousand sockets done in one go would hold the event loop (and every
   * customer's PIN check waiting on it) for milliseconds. Sockets still corked keep collecting
   * in order, and a push in a later turn to one of them joins the same write.
   */
  private readonly uncorkAll = (): void => {
    let n = 0;
    for (const tcp of this.corked) {
      if (n++ === UNCORK_SLICE) return void setImmediate(this.uncorkAll);
      this.corked.delete(tcp);
      tcp.uncork();
    }
  };

  /**
   * Registers a socket; pushes wait until `ready` is called. `detach` returns true when it was the
   * technician's last socket here. The technician's older sockets here are closed (replaced, see
   * REPLACED_TECHNICIAN_REASON): one connection per technician gets their pushes and signalling.
   */
  addTechnician(
    technicianId: string,
    tokenHash: string,
    ws: WebSocket,
    connection: TechnicianConnection,
  ): { first: boolean; ready(): void; detach(): boolean } {
    const entry: TechnicianSocket = { ws, tokenHash, connection, held: [] };
    this.replaceTechnician(technicianId, connection);
    let set = this.technicians.get(technicianId);
    const first = !set;
    if (!set) this.technicians.set(technicianId, (set = new Set()));
    set.add(entry);
    return {
      first,
      ready: () => {
        const held = entry.held ?? [];
        entry.held = null;
        for (const data of held) this.send(ws, data);
      },
      detach: () => {
        if (!set.delete(entry)) return false;
        if (set.size === 0 && this.technicians.get(technicianId) === set) {
          this.technicians.delete(technicianId);
          return true;
        }
        return false;
      },
    };
  }

  /**
   * Connection `newer` of the technician opened (here or on another node): their sockets here
   * opened before it stop getting pushes at once and close with `replaced`. Returns true when
   * that closed the technician's last socket here.
   */
  replaceTechnician(technicianId: string, newer: TechnicianConnection): boolean {
    const set = this.technicians.get(technicianId);
    if (!set) return false;
    for (const s of set) {
      if (!openedBefore(s.connection, newer)) continue;
      set.delete(s);
      s.ws.close(WS_CLOSE.replaced, REPLACED_TECHNICIAN_REASON);
    }
    if (set.size > 0) return false;
    this.technicians.delete(technicianId);
    return true;
  }

  /** The session's customer socket from now on; an older one here is closed with `replaced`. */
  addCustomer(sessionId: string, ws: WebSocket): void {
    const old = this.customers.get(sessionId);
    this.customers.set(sessionId, ws);
    if (old && old !== ws) old.close(WS_CLOSE.replaced, "replaced by a newer connection of the customer");
  }

  /** Forgets `ws` as the session's customer; true when it was the current one. */
  removeCustomer(sessionId: string, ws: WebSocket): boolean {
    if (this.customers.get(sessionId) !== ws) return false;
    this.customers.delete(sessionId);
    return true;
  }

  /** The customer resumed on another node: the socket here is no longer theirs, and closes. */
  replaceCustomer(sessionId: string): void {
    const ws = this.customers.get(sessionId);
    if (!ws) return;
    this.customers.delete(sessionId);
    ws.close(WS_CLOSE.replaced, "replaced by a newer connection of the customer");
  }

  hasCustomer(sessionId: string): boolean {
    return this.customers.has(sessionId);
  }

  isCustomer(sessionId: string, ws: WebSocket): boolean {
    return this.customers.get(sessionId) === ws;
  }

  hasTechnician(technicianId: string): boolean {
    return (this.technicians.get(technicianId)?.size ?? 0) > 0;
  }

  technicianIds(): string[] {
    return [...this.technicians.keys()];
  }

  customerSessionIds(): string[] {
    return [...this.customers.keys()];
  }

  toTechnician(technicianId: string, message: ServerToTechnician): void {
    const set = this.technicians.get(technicianId);
    if (!set) return;
    // Encoded and framed once for all the technician's sockets.
    const frame = textFrame(JSON.stringify(message));
    for (const s of set) {
      if (s.held) s.held.push(frame);
      else this.send(s.ws, frame);
    }
  }

  toCustomer(sessionId: string, message: ServerToCustomer): void {
    const ws = this.customers.get(sessionId);
    if (ws) this.send(ws, textFrame(JSON.stringify(message)));
  }

  closeTechnician(technicianId: string, code: number, reason: string): void {
    for (const s of this.technicians.get(technicianId) ?? []) s.ws.close(code, reason);
  }

  closeToken(tokenHash: string, code: number, reason: string): void {
    for (const set of this.technicians.values()) {
      for (const s of set) if (s.tokenHash === tokenHash) s.ws.close(code, reason);
    }
  }

  closeCustomer(sessionId: string, code: number, reason: string): void {
    this.customers.get(sessionId)?.close(code, reason);
  }
}
