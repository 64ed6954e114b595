import { randomBytes } from "node:crypto";
import type { FastifyBaseLogger } from "fastify";
import type { WebSocket } from "ws";
import {
  RescueError,
  WS_CLOSE,
  type ChatMessage,
  type CustomerMediaEvent,
  type LensAction,
  type LensRelayResult,
  type ServerToCustomer,
  type ServerToTechnician,
  type Session,
} from "../../protocol/index.js";
import type { Cluster } from "../bus/cluster.js";
import type { BusMessage } from "../bus/messages.js";
import { sessionForCollaborator } from "../sessions/log-view.js";
import type { SessionNotifier } from "../sessions/service.js";
import { isTerminal } from "../sessions/state.js";
import type { SessionRow } from "../store/types.js";
import { LocalSockets, type TechnicianConnection } from "./local-sockets.js";

/**
 * How long a collaborator's Lens action waits for the lead's daemon to confirm it. Collaborators
 * draw, erase and freeze, which that daemon answers as soon as it has sent them on (no camera
 * request waits for the page); under the 10 s the collaborator's daemon waits for the server, so
 * the collaborator hears this timeout rather than their own.
 */
export const LENS_RELAY_TIMEOUT_MS = 8_000;

interface PendingRelay {
  sessionId: string;
  /** The lead: only their daemon's answer counts. */
  technicianId: string;
  resolve(result: LensRelayResult): void;
  reject(error: RescueError): void;
}

/**
 * The open sockets, and the pushes that follow every session change. Alone, a node delivers to
 * the sockets it holds (LocalSockets). With a Cluster (`--redis`) every push and close also goes
 * on the Redis bus, where each other node delivers it to the sockets it holds, and presence
 * (who is online, which node holds a session's customer) is asked of Redis.
 */
export class Hub implements SessionNotifier {
  private readonly local = new LocalSockets();
  /** Relayed Lens actions waiting here for the lead's daemon, by ref. */
  private readonly relays = new Map<string, PendingRelay>();
  /** Sessions whose customer was seen on no node, since when (ms): see customersGone. */
  private readonly missingSince = new Map<string, number>();

  constructor(
    private readonly log: FastifyBaseLogger,
    private readonly cluster?: Cluster,
  ) {}

  /** This node's id on the bus, when it is one of several. */
  get node(): string | undefined {
    return this.cluster?.node;
  }

  /** Joins the other nodes (subscribes, starts the presence heartbeat); nothing to do alone. */
  async start(): Promise<void> {
    await this.cluster?.start(this.local, (m) => this.deliver(m));
  }

  /**
   * Registers a socket; pushes wait until `ready` is called after the snapshot was sent. The newer
   * connection wins: the technician's sockets opened before it, here and on every other node, are
   * closed with `replaced` (a second daemon of the same login takes over openly, never silently
   * shares the signalling).
   */
  addTechnician(technicianId: string, tokenHash: string, ws: WebSocket): { ready(): void; detach(): void } {
    const connection: TechnicianConnection = { openedAt: Date.now(), id: randomBytes(9).toString("base64url") };
    const entry = this.local.addTechnician(technicianId, tokenHash, ws, connection);
    this.publish((from) => ({ kind: "technician-replaced", from, technicianId, ...connection }));
    if (entry.first) this.shared(this.cluster?.presence.technicianOn(technicianId), "presence: marking a technician online failed");
    return {
      ready: entry.ready,
      detach: () => {
        if (entry.detach()) this.shared(this.cluster?.presence.technicianOff(technicianId), "presence: marking a technician offline failed");
      },
    };
  }

  /**
   * The customer socket of a session. A newer one (the customer resumed while the old socket
   * still looked open, as after a network switch) replaces the old, which is closed with
   * `replaced`, on whichever node it is. Returns the function that releases the socket.
   */
  addCustomer(sessionId: string, ws: WebSocket): () => void {
    this.local.addCustomer(sessionId, ws);
    if (this.cluster) {
      this.shared(this.cluster.presence.customerOn(sessionId), "presence: recording a customer failed");
      this.cluster.bus.publish({ kind: "customer-replaced", from: this.cluster.node, sessionId });
    }
    this.missingSince.delete(sessionId);
    return () => {
      if (this.local.removeCustomer(sessionId, ws)) this.shared(this.cluster?.presence.customerOff(sessionId), "presence: releasing a customer failed");
    };
  }

  /** Whether the session's customer is connected to this node or, with a cluster, to any live node. */
  async hasCustomer(sessionId: string): Promise<boolean> {
    if (this.local.hasCustomer(sessionId)) return true;
    if (!this.cluster) return false;
    try {
      return (await this.cluster.presence.customerNode(sessionId)) !== undefined;
    } catch (err) {
      this.log.warn({ err: errText(err) }, "presence: Redis unreachable; only this node's customers count");
      return false;
    }
  }

  /** Whether `ws` is the session's current customer socket (not one a resume replaced). */
  isCustomer(sessionId: string, ws: WebSocket): boolean {
    return this.local.isCustomer(sessionId, ws);
  }

  /** Whether the technician has a connected client (their daemon) on any node: transfers need one. */
  async isOnline(technicianId: string): Promise<boolean> {
    if (this.local.hasTechnician(technicianId)) return true;
    if (!this.cluster) return false;
    try {
      return await this.cluster.presence.technicianOnline(technicianId);
    } catch (err) {
      this.log.warn({ err: errText(err) }, "presence: Redis unreachable; only this node's technicians count");
      return false;
    }
  }

  /**
   * Of these sessions (customers joined, not marked away), those whose customer socket no node
   * holds. Alone: every one not held here. With a cluster, a customer is gone once no live node
   * has held them for a presence TTL plus Cluster.expiredGraceMs: the entry of their last node
   * expired (by the time Redis recorded for it, whichever node watched) at least that long ago.
   * Where that time is unknown (the customer left cleanly, Redis lost its data) or cannot be
   * trusted yet (this node reconnected to Redis less than Cluster.confirmMs ago, so Redis may
   * have restarted from a snapshot), a session counts only once this node has seen it missing
   * for Cluster.confirmMs, so that a customer joining on another node right now, or one whose
   * node rewrites its entries after Redis came back, is not taken for gone. A node that cannot
   * renew its entries for a TTL plus that grace counts as dead (its customers are marked away).
   */
  async customersGone(sessionIds: readonly string[]): Promise<Set<string>> {
    const candidates = sessionIds.filter((id) => !this.local.hasCustomer(id));
    if (!this.cluster) return new Set(candidates);
    const cluster = this.cluster;
    let seen: Awaited<ReturnType<typeof cluster.presence.customersSeen>>;
    try {
      seen = await cluster.presence.customersSeen(candidates);
    } catch (err) {
      // Nothing seen while Redis was away counts: observation starts again once it is back.
      this.missingSince.clear();
      throw err;
    }
    // Judged after the answer: a reconnection while it was on its way counts.
    const trusted = cluster.steadyFor(cluster.confirmMs);
    const now = Date.now();
    const gone = new Set<string>();
    const wanted = new Set(candidates);
    for (const id of this.missingSince.keys()) if (!wanted.has(id)) this.missingSince.delete(id);
    for (const id of candidates) {
      if (seen.present.has(id)) {
        this.missingSince.delete(id);
        continue;
      }
      const since = this.missingSince.get(id) ?? now;
      this.missingSince.set(id, since);
      const expiredAt = seen.expiredAt.get(id);
      const expiredLongEnough = trusted && expiredAt !== undefined && seen.now - expiredAt >= cluster.expiredGraceMs;
      if (expiredLongEnough || now - since >= cluster.confirmMs) gone.add(id);
    }
    for (const id of gone) this.missingSince.delete(id);
    return gone;
  }

  /** Takes or extends the cluster-wide lease `name`; alone, always true. */
  async lease(name: string, ttlMs: number): Promise<boolean> {
    return this.cluster ? this.cluster.presence.lease(name, ttlMs) : true;
  }

  toTechnician(technicianId: string, message: ServerToTechnician): void {
    this.local.toTechnician(technicianId, message);
    this.publish((from) => ({ kind: "technician", from, technicianId, message }));
  }

  toCustomer(sessionId: string, message: ServerToCustomer): void {
    this.local.toCustomer(sessionId, message);
    this.publish((from) => ({ kind: "customer", from, sessionId, message }));
  }

  /** Closes every socket of one technician id (a removed external technician), on every node. */
  closeTechnician(technicianId: string, code: number, reason: string): void {
    this.local.closeTechnician(technicianId, code, reason);
    this.publish((from) => ({ kind: "close-technician", from, technicianId, code, reason }));
  }

  /**
   * A Lens action (a collaborator's drawing) for the lead's daemon, which holds the data channel,
   * on whichever node it is connected: resolves with that daemon's answer (delivered or why not).
   * Errors: conflict when the lead has no daemon connected; timeout after `timeoutMs` without an
   * answer. Only the lead's newest connection gets it (see addTechnician).
   */
  async lens(row: SessionRow, action: LensAction, by: string, timeoutMs = LENS_RELAY_TIMEOUT_MS): Promise<LensRelayResult> {
    if (!(await this.isOnline(row.technicianId))) {
      throw new RescueError("conflict", `the lead technician ${row.technicianEmail} has no daemon connected to deliver it (session ${row.id})`);
    }
    const ref = randomBytes(12).toString("base64url");
    return new Promise<LensRelayResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.relays.delete(ref);
        reject(new RescueError("timeout", `the lead technician's daemon did not confirm it within ${Math.round(timeoutMs / 1000)} s (session ${row.id})`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.relays.delete(ref);
      };
      this.relays.set(ref, {
        sessionId: row.id,
        technicianId: row.technicianId,
        resolve: (result) => (done(), resolve(result)),
        reject: (error) => (done(), reject(error)),
      });
      this.toTechnician(row.technicianId, { type: "lens", sessionId: row.id, action, by, ref });
    });
  }

  /**
   * The answer of technician `technicianId`'s daemon to relayed action `ref`: settles it when it
   * waits here, else goes to the other nodes. An answer from anyone but the session's lead, or for
   * another session, is ignored.
   */
  lensResult(technicianId: string, sessionId: string, ref: string, result: LensRelayResult): void {
    if (this.settleRelay(technicianId, sessionId, ref, result)) return;
    this.publish((from) => ({ kind: "lens-result", from, technicianId, sessionId, ref, result }));
  }

  private settleRelay(technicianId: string, sessionId: string, ref: string, result: LensRelayResult): boolean {
    const pending = this.relays.get(ref);
    if (!pending) return false;
    if (pending.technicianId !== technicianId || pending.sessionId !== sessionId) {
      this.log.warn({ sessionId, ref }, "a Lens result from a daemon that was not asked: ignored");
      return true;
    }
    pending.resolve(result);
    return true;
  }

  /** After logout the token's sockets go too, on every node. */
  closeToken(tokenHash: string): void {
    this.local.closeToken(tokenHash, WS_CLOSE.unauthenticated, "logged out");
    this.publish((from) => ({ kind: "close-token", from, tokenHash }));
  }

  private closeCustomer(sessionId: string, code: number, reason: string): void {
    this.local.closeCustomer(sessionId, code, reason);
    this.publish((from) => ({ kind: "close-customer", from, sessionId, code, reason }));
  }

  sessionChanged(row: SessionRow, session: Session, statusChanged: boolean): void {
    this.toTechnician(row.technicianId, { type: "session", session });
    const shared = sessionForCollaborator(session);
    for (const c of row.collaborators) this.toTechnician(c.technicianId, { type: "session", session: shared });
    if (!statusChanged) return;
    this.log.info({ sessionId: row.id, technician: row.technicianEmail, status: row.status }, "session status");
    this.toCustomer(row.id, { type: "status", status: row.status });
    if (isTerminal(row.status)) this.closeCustomer(row.id, WS_CLOSE.sessionEnded, `session ${row.status}`);
  }

  chat(row: SessionRow, message: ChatMessage): void {
    this.toTechnician(row.technicianId, { type: "chat", message });
    for (const c of row.collaborators) if (c.permissions.includes("chat")) this.toTechnician(c.technicianId, { type: "chat", message });
    this.toCustomer(row.id, { type: "chat", message });
  }

  customerMedia(row: SessionRow, event: CustomerMediaEvent): void {
    this.log.info({ sessionId: row.id, technician: row.technicianEmail, event }, "customer media");
    this.toTechnician(row.technicianId, { type: "customer-media", sessionId: row.id, event });
  }

  /** Leaves the cluster: the heartbeat stops and Redis connections close. */
  async stop(): Promise<void> {
    for (const pending of [...this.relays.values()]) pending.reject(new RescueError("unavailable", "the server is shutting down"));
    await this.cluster?.close();
  }

  /** A message from another node, already validated: delivered to the sockets this node holds. */
  private deliver(m: BusMessage): void {
    switch (m.kind) {
      case "technician":
        return this.local.toTechnician(m.technicianId, m.message);
      case "customer":
        return this.local.toCustomer(m.sessionId, m.message);
      case "close-technician":
        return this.local.closeTechnician(m.technicianId, m.code, m.reason);
      case "close-token":
        return this.local.closeToken(m.tokenHash, WS_CLOSE.unauthenticated, "logged out");
      case "close-customer":
        return this.local.closeCustomer(m.sessionId, m.code, m.reason);
      case "customer-replaced":
        return this.local.replaceCustomer(m.sessionId);
      case "technician-replaced":
        if (this.local.replaceTechnician(m.technicianId, { openedAt: m.openedAt, id: m.id })) {
          this.shared(this.cluster?.presence.technicianOff(m.technicianId), "presence: marking a technician offline failed");
        }
        return;
      case "lens-result":
        this.settleRelay(m.technicianId, m.sessionId, m.ref, m.result);
        return;
    }
  }

  private publish(build: (from: string) => BusMessage): void {
    if (this.cluster) this.cluster.bus.publish(build(this.cluster.node));
  }

  /** A presence write that may fail while Redis is away; the next heartbeat writes it again. */
  private shared(write: Promise<unknown> | undefined, message: string): void {
    write?.catch((err: unknown) => this.log.warn({ err: errText(err) }, message));
  }
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
