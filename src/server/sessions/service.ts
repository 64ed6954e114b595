import {
  lensLogEvent,
  CreateSessionRequest,
  LEAD_PEER,
  RescueError,
  SessionStatus,
  type ChatMessage,
  type CollaboratorPermission,
  type CustomerMediaEvent,
  type TwilioStatusCallback,
  type Language,
  type LensAccepted,
  type LensAction,
  type LensRelayResult,
  type MediaLogDetail,
  type MediaLogEvent,
  type Permission,
  type Session,
  type SessionLogEntry,
  type SessionType,
} from "../../protocol/index.js";
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { hasPermission, type Caller } from "../auth/service.js";
import type { Delivery } from "../delivery/carriers.js";
import { emailText, smsText } from "../delivery/messages.js";
import { applyTwilioReport, type StoredDelivery } from "../delivery/status.js";
import { normaliseEmail, normalisePhone } from "../delivery/recipients.js";
import type { BucketStore, Rate } from "../limits/buckets.js";
import type { Limits } from "../limits/config.js";
import { newId } from "../org.js";
import type { CollaboratorRow, SessionPatch, SessionRow, Store } from "../store/types.js";
import { uniquePin } from "./pin.js";
import { ACTIVE_STATUSES, ENDED_STATUSES, LENS_SLOT_STATUSES, LIVE_STATUSES, isTerminal, nextStatus, type SessionAction } from "./state.js";
import { logFor, sessionForCollaborator } from "./log-view.js";
import { sessionLinks, toSession } from "./view.js";

/** Media events that say customer media was kept on disk: a collaborator needs `record` for them. */
const SAVES_MEDIA: ReadonlySet<MediaLogEvent> = new Set<MediaLogEvent>(["recording-started", "recording-stopped", "recording-error", "snapshot", "voice-saved"]);

/** Where Twilio posts a session's SMS status reports, under the server's public URL. */
export const TWILIO_STATUS_PATH = "/api/v1/delivery/twilio";

/** The StatusCallback URL given to Twilio with a session's SMS. */
export function twilioStatusCallback(publicUrl: string, sessionId: string): string {
  return `${publicUrl.replace(/\/+$/, "")}${TWILIO_STATUS_PATH}/${encodeURIComponent(sessionId)}`;
}

/** At most this many sessions active at once per technician (sessions on hold do not count). */
export const MAX_ACTIVE_SESSIONS = 10;
const SNAPSHOT_ENDED_MS = 24 * 60 * 60 * 1000;
/**
 * How long a customer whose connection dropped may come back (`resume`) before the session is
 * aborted: long enough for a page reload, a Wi-Fi to LTE switch, a short screen lock or a minute
 * without signal (the heartbeat takes up to 20 s to notice the drop).
 */
export const CUSTOMER_GRACE_MS = 120_000;
/** Statuses in which the customer has accepted the EULA and may signal and chat. */
const ACCEPTED_STATUSES: readonly SessionStatus[] = ["waiting", "active", "on-hold", "collaborating"];
/** What a collaborator is told only the lead can do, by the log event of the lead's action. */
const LEAD_ACTION: Partial<Record<SessionLogEntry["event"], string>> = {
  started: "start the session",
  held: "put the session on hold",
  resumed: "resume the session",
  closed: "end the session",
};

/** Where session changes go: the WebSocket hub. */
export interface SessionNotifier {
  sessionChanged(row: SessionRow, session: Session, statusChanged: boolean): void;
  chat(row: SessionRow, message: ChatMessage): void;
  customerMedia(row: SessionRow, event: CustomerMediaEvent): void;
  /** A Lens action a collaborator may take, for the lead's daemon to deliver: resolves with its answer. */
  lens(row: SessionRow, action: LensAction, by: string): Promise<LensRelayResult>;
}

export interface SessionServiceDeps {
  store: Store;
  now: () => Date;
  publicUrl: () => string;
  delivery: Delivery;
  notifier: SessionNotifier;
  /** CUSTOMER_GRACE_MS unless set; 0 aborts a session as soon as its customer's connection drops. */
  customerGraceMs?: number;
  /** Creation, chat and Lens actions are limited (limits.sessions, limits.chat, limits.lens); state in these buckets. */
  buckets: BucketStore;
  limits: Pick<Limits, "sessions" | "chat" | "lens" | "reoffer" | "resume">;
}

type CreateRequest = ReturnType<(typeof CreateSessionRequest)["parse"]>;

/** The permissions an action on a session of this type and method needs. */
export function requiredPermissions(type: SessionType, method: CreateRequest["method"]): Permission[] {
  return type === "lens" ? ["lens", "private", method] : ["private", method];
}

function requirePermissions(caller: Caller, needed: readonly Permission[]): void {
  const missing = needed.filter((p) => !hasPermission(caller, p));
  if (missing.length > 0) {
    throw new RescueError("forbidden", `your group lacks the permission${missing.length > 1 ? "s" : ""}: ${missing.join(", ")}`, { missing });
  }
}

/** Notices of a live PIN refused for its network's spent budget: one a minute per session tells the technician. */
const PIN_REFUSED_NOTICE: Rate = { burst: 1, windowMs: 60_000 };

/**
 * The one lock key of every session mutation. The rules span technicians and nodes (live PINs
 * in all, one customer per PIN, the slots of a transfer's receiver), so one key holds them all.
 */
const SESSIONS_LOCK = ["sessions"] as const;

/**
 * Sessions, their PINs, state machine, rules and log. Every mutation runs under one lock
 * (Store.exclusive): a queue in one process, an advisory lock across PostgreSQL nodes.
 */
export class SessionService {
  /** Sessions whose customer has paused their stream; it lasts no longer than their socket, so memory will do. */
  private readonly paused = new Set<string>();
  /** Sessions whose customer is away, each aborted when its grace period runs out. */
  private readonly awayTimers = new Map<string, NodeJS.Timeout>();
  private readonly graceMs: number;
  /** Invitations being handed to a carrier, by session: a status report waits for its message's id. */
  private readonly sending = new Map<string, Promise<SessionRow>>();

  constructor(private readonly deps: SessionServiceDeps) {
    this.graceMs = deps.customerGraceMs ?? CUSTOMER_GRACE_MS;
  }

  private get store(): Store {
    return this.deps.store;
  }

  private exclusive<T>(job: () => Promise<T>): Promise<T> {
    return this.store.exclusive(SESSIONS_LOCK, job);
  }

  private iso(): string {
    return this.deps.now().toISOString();
  }

  view(row: SessionRow): Session {
    return toSession(row, this.deps.publicUrl(), this.paused.has(row.id), this.awayUntil(row));
  }

  /** The customer's grace period (ms) after a dropped connection; 0 when sessions end at once. */
  get customerGraceMs(): number {
    return this.graceMs;
  }

  private awayUntil(row: SessionRow): string | undefined {
    // Sessions that ended before `move` cleared the mark still hold it: an ended session has no one away.
    if (!row.customerAwaySince || isTerminal(row.status)) return undefined;
    return new Date(Date.parse(row.customerAwaySince) + this.graceMs).toISOString();
  }

  /** The session as one technician sees it: its lead in full, a collaborator without the customer's secrets. */
  viewFor(row: SessionRow, technicianId: string): Session {
    const session = this.view(row);
    return row.technicianId === technicianId ? session : sessionForCollaborator(session);
  }

  /**
   * A new session. `via` "integration" marks one made with an API key (logged on `created`):
   * only those can the integration API touch afterwards (SECURITY.md, contact centers).
   */
  async create(caller: Caller, req: CreateRequest, via?: "integration"): Promise<Session> {
    if (req.mode === "control") throw new RescueError("forbidden", "remote control needs the Rescue agent, not available yet");
    requirePermissions(caller, requiredPermissions(req.type, req.method));
    const to = req.method === "sms" ? normalisePhone(req.to!) : req.method === "email" ? normaliseEmail(req.to!) : undefined;
    const by = caller.technician.email;

    let row = await this.exclusive(async () => {
      await this.newPinAllowed(caller, "session");
      // One reading of the clock: the PIN's expiry is exactly the group's setting after creation.
      const at = this.deps.now();
      const now = at.toISOString();
      const pin = await this.freePin();
      const fresh: Omit<SessionRow, "technicianEmail" | "collaborators"> = {
        id: newId(),
        technicianId: caller.technician.id,
        name: req.name ?? "Customer",
        type: req.type,
        mode: req.mode,
        status: "connecting",
        method: req.method,
        pin,
        pinExpiresAt: this.pinExpiry(caller, at),
        recordable: hasPermission(caller, "record"),
        customerJoined: false,
        customerCamera: false,
        customerMicrophone: false,
        eulaAcceptedAt: null,
        customerResumeHash: null,
        customerAwaySince: null,
        delivery: null,
        createdAt: now,
        statusSince: now,
      };
      await this.store.sessions.insert(fresh);
      await this.logAll(fresh.id, [
        ["created", { by, type: fresh.type, mode: fresh.mode, method: fresh.method, name: fresh.name, ...(via ? { via } : {}) }],
        ["pin-issued", { by, pin, expiresAt: fresh.pinExpiresAt }],
      ]);
      return { ...fresh, technicianEmail: by, collaborators: [] as SessionRow["collaborators"] };
    });
    const created = this.view(row);
    this.deps.notifier.sessionChanged(row, created, true);
    if (!to) return created;
    if (req.method === "sms" || req.method === "email") {
      const sending = this.deliver(row, req.method, to, req.language);
      // The carrier may report on the message before its id is stored: smsReport waits for this.
      this.sending.set(row.id, sending);
      try {
        row = await sending;
      } finally {
        this.sending.delete(row.id);
      }
    }
    return this.view(row);
  }

  /**
   * Sends the invitation; a carrier failure is reported on the session, not thrown. Without a
   * carrier the message waits in the outbox and is reported `queued`. A carrier that reports
   * delivery (Twilio) is given the session's status callback URL (TWILIO_STATUS_PATH).
   */
  private async deliver(row: SessionRow, channel: "sms" | "email", to: string, language: Language): Promise<SessionRow> {
    const links = sessionLinks(this.deps.publicUrl(), row.pin!);
    let result: StoredDelivery;
    try {
      const receipt =
        channel === "sms"
          ? await this.deps.delivery.sms.send({ to, body: smsText(links, row.pin!, language), statusCallback: twilioStatusCallback(this.deps.publicUrl(), row.id) })
          : await this.deps.delivery.email.send({ to, ...emailText(links, row.pin!, language) });
      result = { channel, to, status: receipt?.status ?? "sent", ...(receipt?.carrierId ? { carrierId: receipt.carrierId } : {}) };
    } catch (err) {
      result = { channel, to, status: "failed", reason: err instanceof Error ? err.message : String(err) };
    }
    return this.exclusive(async () => {
      await this.store.sessions.update(row.id, { delivery: JSON.stringify(result) });
      await this.log(row.id, `${channel}-${result.status}` as SessionLogEntry["event"], {
        to,
        ...(result.reason ? { reason: result.reason } : {}),
        ...(result.status === "queued" ? { outbox: true } : {}),
      });
      const next = (await this.store.sessions.get(row.id))!;
      this.deps.notifier.sessionChanged(next, this.view(next), false);
      return next;
    });
  }

  /**
   * A carrier's status report on a session's SMS (already verified as the carrier's). Updates the
   * session's delivery, logs sms-delivered or sms-failed, and tells the technicians. Throws
   * not_found when the session has no SMS under that message id: a report cannot touch another
   * session's delivery.
   */
  async smsReport(sessionId: string, report: TwilioStatusCallback): Promise<Session> {
    await this.sending.get(sessionId)?.catch(() => undefined);
    return this.exclusive(async () => {
      const row = await this.store.sessions.get(sessionId);
      const current = row?.delivery ? (JSON.parse(row.delivery) as StoredDelivery) : undefined;
      const outcome = row && current?.channel === "sms" ? applyTwilioReport(current, report, this.iso()) : undefined;
      if (!row || !outcome) throw new RescueError("not_found", "no such message");
      if (outcome.next === current) return this.view(row);
      await this.store.sessions.update(row.id, { delivery: JSON.stringify(outcome.next) });
      if (outcome.event) {
        await this.log(row.id, `sms-${outcome.event}`, {
          to: outcome.next.to,
          carrierStatus: report.MessageStatus,
          ...(outcome.next.code !== undefined ? { code: outcome.next.code } : {}),
          ...(outcome.event === "failed" && outcome.next.reason ? { reason: outcome.next.reason } : {}),
        });
      }
      const next = (await this.store.sessions.get(row.id))!;
      this.deps.notifier.sessionChanged(next, this.view(next), false);
      return this.view(next);
    });
  }

  async get(caller: Caller, id: string): Promise<Session> {
    const { row } = await this.exclusive(() => this.participant(caller, id));
    return this.viewFor(row, caller.technician.id);
  }

  async list(caller: Caller, statuses: readonly SessionStatus[]): Promise<Session[]> {
    const rows = await this.exclusive(async () => {
      await this.expireDue();
      return this.store.sessions.listByTechnician(caller.technician.id, statuses);
    });
    return rows.map((r) => this.view(r));
  }

  /** The technician's live sessions and those that ended in the last 24 hours. */
  async snapshot(caller: Caller): Promise<Session[]> {
    const rows = await this.exclusive(async () => {
      await this.expireDue();
      if (caller.external) {
        const row = await this.store.sessions.get(caller.external.sessionId);
        return row ? [row] : [];
      }
      // Live sessions this technician collaborates in.
      const joined = await this.store.invitations.listByInvitee(caller.technician.id, ["joined"]);
      const collaborating = (await Promise.all(joined.map((i) => this.store.sessions.get(i.sessionId)))).filter(
        (r): r is SessionRow => r !== undefined && !isTerminal(r.status) && r.collaborators.some((c) => c.technicianId === caller.technician.id),
      );
      const since = new Date(this.deps.now().getTime() - SNAPSHOT_ENDED_MS).toISOString();
      return [
        ...(await this.store.sessions.listByTechnician(caller.technician.id, LIVE_STATUSES)),
        ...(await this.store.sessions.listByTechnicianSince(caller.technician.id, ENDED_STATUSES, since)),
        ...collaborating,
      ];
    });
    return rows.map((r) => this.viewFor(r, caller.technician.id));
  }

  /** The session log as the caller may see it (see logFor). */
  async logOf(caller: Caller, id: string): Promise<SessionLogEntry[]> {
    return this.exclusive(async () => {
      const { collaborator } = await this.participant(caller, id);
      const entries = await this.store.sessionLog.list(id);
      return logFor(entries, { email: caller.technician.email, collaborator });
    });
  }

  /**
   * "Create another PIN": a fresh PIN and expiry, only while no customer has joined. That holds
   * for a session that timed out too (its PIN expired before anyone joined): it is Connecting
   * again with the new PIN (log: pin-issued with status connecting). A session the customer
   * joined, or that was closed, declined or aborted, gets conflict, naming how to go on.
   */
  async regeneratePin(caller: Caller, id: string, via?: "integration"): Promise<Session> {
    const { row, reopened } = await this.exclusive(async () => {
      const row = await this.own(caller, id, "issue a new PIN");
      // An API key acts on the link sessions it made only: the PIN a technician read out on the
      // phone for a session of their own is not its to replace. Not found, as any session not its.
      if (via === "integration" && !(row.method === "link" && (await this.madeVia(id, via)))) throw new RescueError("not_found", `no session ${id}`);
      requirePermissions(caller, requiredPermissions(row.type, row.method));
      const reopen = row.status === "timed-out" && !row.customerJoined;
      if (!reopen && (row.status !== "connecting" || row.customerJoined)) {
        throw new RescueError(
          "conflict",
          `a new PIN can only be issued before the customer joins (session is ${row.status}${row.customerJoined ? ", the customer joined" : ""}); for another customer start a new session (rescue session new)`,
          { status: row.status },
        );
      }
      await this.newPinAllowed(caller, "replacement");
      const pin = await this.freePin();
      const patch: SessionPatch = { pin, pinExpiresAt: this.pinExpiry(caller) };
      const fields = { by: caller.technician.email, pin, expiresAt: patch.pinExpiresAt };
      // move() writes, logs and tells the hub (a status change) itself.
      if (reopen) return { row: await this.move(row, nextStatus(row.status, "reissue-pin"), "pin-issued", fields, patch), reopened: true };
      await this.store.sessions.update(id, patch);
      await this.log(id, "pin-issued", fields);
      return { row: { ...row, ...patch }, reopened: false };
    });
    if (!reopened) this.deps.notifier.sessionChanged(row, this.view(row), false);
    return this.view(row);
  }

  async start(caller: Caller, id: string): Promise<Session> {
    return this.technicianAction(caller, id, "start", "started", async (row) => {
      requirePermissions(caller, row.type === "lens" ? ["lens", "private"] : ["private"]);
      await this.checkSlots(caller, row);
    });
  }

  async hold(caller: Caller, id: string): Promise<Session> {
    return this.technicianAction(caller, id, "hold", "held");
  }

  async resume(caller: Caller, id: string): Promise<Session> {
    // External technicians still in the session make it Collaborating again.
    const action = (row: SessionRow): SessionAction => (row.collaborators.some((c) => c.external) ? "resume-collaborating" : "resume");
    return this.technicianAction(caller, id, action, "resumed", (row) => this.checkSlots(caller, row));
  }

  async end(caller: Caller, id: string): Promise<Session> {
    return this.technicianAction(caller, id, "end", "closed");
  }

  /**
   * An administrator ends a live session of a technician being disabled or removed (`--force`):
   * as the lead's own end, but the session log names the administrator (`by`). Errors: not_found
   * when the session is not that technician's; conflict when it ended meanwhile.
   */
  async endForAdmin(technicianId: string, id: string, admin: string): Promise<Session> {
    const row = await this.exclusive(async () => {
      const found = await this.store.sessions.get(id);
      if (!found || found.technicianId !== technicianId) throw new RescueError("not_found", `no session ${id}`);
      const row = await this.expireIfDue(found);
      return this.move(row, nextStatus(row.status, "end"), "closed", { by: admin });
    });
    return this.view(row);
  }

  /** One Lens session per technician, and at most MAX_ACTIVE_SESSIONS active ones. */
  private async checkSlots(caller: Caller, row: SessionRow): Promise<void> {
    await this.checkSlotsOf(caller.technician.id, row, "your");
  }

  /** The slot rules for any technician (a transfer's receiver too); `whose` words the refusal. */
  async checkSlotsOf(technicianId: string, row: SessionRow, whose: string): Promise<void> {
    if (row.type === "lens") {
      const holder = (await this.store.sessions.listByTechnician(technicianId, LENS_SLOT_STATUSES)).find(
        (s) => s.type === "lens" && s.id !== row.id,
      );
      if (holder) {
        throw new RescueError(
          "forbidden",
          `Lens session ${holder.id} (${holder.status}) already holds ${whose} Lens slot; end it before starting another Lens session`,
          { sessionId: holder.id },
        );
      }
    }
    const active = (await this.store.sessions.listByTechnician(technicianId, ACTIVE_STATUSES)).filter((s) => s.id !== row.id);
    if (active.length >= MAX_ACTIVE_SESSIONS) {
      throw new RescueError("forbidden", `${whose === "your" ? "you already have" : `${whose} technician already has`} ${active.length} active sessions; hold or end one first`, {
        limit: MAX_ACTIVE_SESSIONS,
      });
    }
  }

  private async technicianAction(
    caller: Caller,
    id: string,
    action: SessionAction | ((row: SessionRow) => SessionAction),
    event: SessionLogEntry["event"],
    check?: (row: SessionRow) => Promise<void> | void,
  ): Promise<Session> {
    const row = await this.exclusive(async () => {
      const row = await this.own(caller, id, LEAD_ACTION[event] ?? "change the session");
      const status = nextStatus(row.status, typeof action === "function" ? action(row) : action);
      await check?.(row);
      return this.move(row, status, event, { by: caller.technician.email });
    });
    return this.view(row);
  }

  async chatFromTechnician(caller: Caller, id: string, text: string): Promise<ChatMessage> {
    await this.throttle(`chat:${caller.technician.id}`, this.deps.limits.chat, "too many chat messages");
    const { row, message } = await this.exclusive(async () => {
      const { row, collaborator } = await this.participant(caller, id);
      if (collaborator) requireCollaborator(collaborator, "chat");
      else requirePermissions(caller, ["chat"]);
      if (isTerminal(row.status)) throw new RescueError("conflict", `cannot chat in a session that is ${row.status}`, { status: row.status });
      const message: ChatMessage = { sessionId: id, from: "technician", author: caller.technician.email, text, at: this.iso() };
      await this.log(id, "chat", { by: caller.technician.email, from: "technician", text });
      return { row, message };
    });
    this.deps.notifier.chat(row, message);
    return message;
  }

  /**
   * A Lens action (draw, erase, freeze, zoom, torch) on a running Lens session, allowed and logged
   * here: the lead may take any; a collaborator needs `annotate` and may draw, erase and freeze
   * (the camera's zoom and light, whose answers come back on the lead's connection, stay the
   * lead's). A collaborator's action is relayed to the lead's daemon, which holds the customer's
   * data channel, and answered once that daemon confirms it delivered it (or says why not); the
   * lead's own daemon delivers the lead's. The log holds only what was delivered or is the lead's
   * to deliver. Errors: not_found (not in the session), forbidden (no `annotate`, or a camera
   * action by a collaborator), conflict (not a Lens session, or not running; the lead's daemon
   * is not connected or could not deliver), timeout (no answer from the lead's daemon), rate_limited.
   */
  async lensAction(caller: Caller, id: string, action: LensAction): Promise<LensAccepted> {
    await this.throttle(`lens:${caller.technician.id}`, this.deps.limits.lens, "too many Lens actions");
    const { row, collaborator } = await this.exclusive(async () => {
      const { row, collaborator } = await this.participant(caller, id);
      if (collaborator) {
        requireCollaborator(collaborator, "annotate");
        if (action.action === "zoom" || action.action === "torch") {
          throw new RescueError("forbidden", `only the lead technician controls the customer's camera (${row.technicianEmail} leads session ${id})`);
        }
      }
      if (row.type !== "lens") throw new RescueError("conflict", `session ${id} is a ${row.type} session; Lens tools need a Lens session`);
      if (row.status !== "active" && row.status !== "collaborating") {
        throw new RescueError("conflict", `Lens tools work while the session runs; session ${id} is ${row.status}`, { status: row.status });
      }
      if (!collaborator) await this.logLens(caller, id, action);
      return { row, collaborator };
    });
    if (!collaborator) return { sessionId: id, delivery: "lead" };
    const result = await this.deps.notifier.lens(row, action, caller.technician.email);
    if (!result.delivered) throw new RescueError("conflict", `the lead technician's daemon could not deliver it: ${result.message}`);
    await this.exclusive(() => this.logLens(caller, id, action));
    return {
      sessionId: id,
      delivery: "relayed",
      ...(result.applied === undefined ? {} : { applied: result.applied }),
      ...(result.reason ? { reason: result.reason } : {}),
    };
  }

  private async logLens(caller: Caller, id: string, action: LensAction): Promise<void> {
    const { action: name, ...fields } = action;
    await this.log(id, lensLogEvent(name), { by: caller.technician.email, action: name, ...fields });
  }

  /**
   * A media event the technician's daemon reports, e.g. recording-started, logged as theirs. A
   * collaborator reports only on the media they were given: view for the picture, record for what
   * keeps the customer's media on disk (recording, a snapshot, the voice saved to a file).
   */
  async mediaEvent(caller: Caller, id: string, event: MediaLogEvent, detail: MediaLogDetail) {
    const fields = { ...detail, by: caller.technician.email };
    await this.throttle(`media:${caller.technician.id}`, this.deps.limits.chat, "too many media events");
    await this.exclusive(async () => {
      // A technician who handed the session over still reports how their recording ended.
      if (event === "recording-stopped" && (await this.heldBefore(caller, id))) return this.log(id, event, fields);
      const { collaborator } = await this.participant(caller, id);
      if (collaborator) requireCollaborator(collaborator, SAVES_MEDIA.has(event) ? "record" : "view");
      await this.log(id, event, fields);
    });
  }

  /**
   * The session a technician may signal into (their own, or one they collaborate in with `view`),
   * with a customer who accepted the EULA, and the peer name the customer knows them by.
   */
  async signalTarget(caller: Caller, id: string): Promise<{ row: SessionRow; peer: string }> {
    const { row, collaborator } = await this.exclusive(() => this.participant(caller, id));
    if (collaborator) requireCollaborator(collaborator, "view");
    if (!ACCEPTED_STATUSES.includes(row.status)) {
      throw new RescueError("conflict", `cannot signal in a session that is ${row.status}`, { status: row.status });
    }
    return { row, peer: collaborator?.id ?? LEAD_PEER };
  }

  /**
   * signalTarget for a `reoffer`, which makes the customer's device build a new connection: each
   * technician has limits.reoffer per session, over it rate_limited with the seconds to wait.
   */
  async reofferTarget(caller: Caller, id: string): Promise<{ row: SessionRow; peer: string }> {
    const target = await this.signalTarget(caller, id);
    await this.takeOffer(caller.technician.id, target.row.id);
    return target;
  }

  /**
   * Counts one new offer the customer's device of session `sessionId` builds for technician
   * `technicianId`, whatever asked for it (their `reoffer`, their socket opening): limits.reoffer
   * per technician and session. Errors: rate_limited with details.retryAfterSeconds.
   */
  async takeOffer(technicianId: string, sessionId: string): Promise<void> {
    await this.throttle(`reoffer:${technicianId}:${sessionId}`, this.deps.limits.reoffer, "too many requests for a new offer");
  }

  // Customer side. The customer is identified by the socket that joined with the PIN.

  /**
   * Joins the customer to the session of a live PIN and clears the PIN; undefined when no such PIN.
   * `resumeToken` is the customer's credential for coming back after a dropped connection; only
   * its SHA-256 is stored. `admitted` is called with the result once the join is committed and
   * before the technicians are told, so that the customer's answer does not wait for their pushes.
   */
  async customerJoin(
    pin: string,
    name: string | undefined,
    address: string,
    admitted?: (joined: { row: SessionRow; resumeToken: string }) => void,
  ): Promise<{ row: SessionRow; resumeToken: string } | undefined> {
    const joined = await this.exclusive(async () => {
      const found = await this.store.sessions.byPin(pin);
      if (!found) return undefined;
      const row = await this.expireIfDue(found);
      if (row.status !== "connecting" || row.customerJoined) return undefined;
      const resumeToken = newResumeToken();
      const patch: SessionPatch = { pin: null, pinExpiresAt: null, customerJoined: true, customerResumeHash: sha256(resumeToken) };
      await this.store.sessions.update(row.id, patch);
      await this.log(row.id, "customer-connected", { ...(name ? { customer: name } : {}), address });
      return { row: { ...row, ...patch }, resumeToken };
    });
    if (joined) {
      admitted?.(joined);
      this.deps.notifier.sessionChanged(joined.row, this.view(joined.row), false);
    }
    return joined;
  }

  /**
   * The customer comes back with their resume credential (a reloaded page, a new network): the
   * session goes on where it was, and the credential is replaced by the returned one. Undefined
   * for an unknown session or a wrong or spent credential; `ended` (why, in words) when the
   * credential is right but the session is over, e.g. the grace period ran out: only the
   * customer who holds it learns that.
   * `reportedAwayMs`: how long the customer says they were without a connection (ms, their clock).
   * `lastContactAt`: when the server last heard from the customer's old socket (epoch ms: on this
   * node while it still holds it, else as the node that held it told Redis), for a resume that came
   * before that socket's close.
   * Logs customer-reconnected with `afterMs`, the gap as the server measured it: from when a node
   * marked the customer away (their socket's close, a missed heartbeat, a sweep after a node died),
   * else from `lastContactAt`, else 0 (no node told of any contact); never from the customer's figure. And `reportedAwayMs`, the customer's figure bounded to
   * 0..grace period (only when they gave one; shown, never acted on); when no node had marked the
   * customer away, customer-disconnected (and the away push) comes first.
   * Errors: rate_limited (with `retryAfterSeconds`) past limits.resume for the session, counted only
   * for a right credential (a guesser spends nothing, and cannot keep the customer out); nothing
   * is logged or pushed, and the credential stays as it was.
   */
  async customerResume(sessionId: string, token: string, address: string, reportedAwayMs?: number, lastContactAt?: number): Promise<{ row: SessionRow; resumeToken: string } | { ended: string } | undefined> {
    const resumed = await this.exclusive(async () => {
      const found = await this.store.sessions.get(sessionId);
      if (!found || !found.customerResumeHash || !sameDigest(found.customerResumeHash, sha256(token))) return undefined;
      if (isTerminal(found.status)) return { ended: await this.endedReason(found) };
      if (await this.abortIfGone(found)) return { ended: await this.endedReason({ ...found, status: "aborted" }) };
      await this.throttle(`resume:${sessionId}`, this.deps.limits.resume, "too many reconnects");
      const now = this.deps.now().getTime();
      // The customer's own count of how long they were without a connection, bounded by the grace
      // period (past it they could not resume): only a figure for the log.
      const reported = Math.min(Math.max(0, reportedAwayMs ?? 0), this.graceMs);
      let row = found;
      if (!row.customerAwaySince) {
        // No node saw them go: the node holding their socket died before any sweep found it, or this
        // resume overtook the old socket's close. The technician hears of the drop first, then of the
        // return: every customer-reconnected follows a customer-disconnected and an away push.
        await this.log(row.id, "customer-disconnected", { reason: "the customer's connection ended unnoticed (their server node stopped, or they reconnected first)", graceMs: this.graceMs });
        // Away since the server last heard from them, as far as this node knows: the customer's own
        // count is theirs to claim, and a client's claim would move a figure the log gives as the server's.
        row = await this.patch(row, { customerAwaySince: new Date(Math.min(now, lastContactAt ?? now)).toISOString() });
      }
      const resumeToken = newResumeToken();
      const afterMs = Math.max(0, now - Date.parse(row.customerAwaySince!));
      const patch: SessionPatch = { customerResumeHash: sha256(resumeToken), customerAwaySince: null };
      await this.store.sessions.update(row.id, patch);
      // The customer's figure is logged as they told it, within the same bounds: for the reader, never a decision.
      await this.log(row.id, "customer-reconnected", { address, afterMs, ...(reportedAwayMs === undefined ? {} : { reportedAwayMs: reported }) });
      return { row: { ...row, ...patch }, resumeToken };
    });
    if (!resumed || "ended" in resumed) return resumed;
    this.clearAway(sessionId);
    this.deps.notifier.sessionChanged(resumed.row, this.view(resumed.row), false);
    return resumed;
  }

  async customerDevices(id: string, camera: boolean, microphone: boolean): Promise<void> {
    const row = await this.exclusive(async () => {
      const row = await this.live(id);
      if (row.status !== "connecting") throw new RescueError("conflict", `devices are reported before the EULA (session is ${row.status})`);
      const patch: SessionPatch = { customerCamera: camera, customerMicrophone: microphone };
      await this.store.sessions.update(id, patch);
      // Neither device: the customer (or their browser) refused, which the log says in its own word.
      await this.log(id, camera || microphone ? "devices-granted" : "devices-denied", { camera, microphone });
      return { ...row, ...patch };
    });
    this.deps.notifier.sessionChanged(row, this.view(row), false);
  }

  async customerEula(id: string, accepted: boolean): Promise<SessionRow> {
    return this.exclusive(async () => {
      const row = await this.live(id);
      return accepted
        ? this.move(row, nextStatus(row.status, "accept-eula"), "eula-accepted", {}, { eulaAcceptedAt: this.iso() })
        : this.move(row, nextStatus(row.status, "decline-eula"), "eula-declined", {});
    });
  }

  /** The customer paused or resumed their own stream: logged and pushed to the technician; a repeat changes nothing. */
  async customerMedia(id: string, state: "paused" | "resumed"): Promise<void> {
    await this.throttle(`chat:customer:${id}`, this.deps.limits.chat, "too many pauses and resumes");
    const row = await this.exclusive(async () => {
      const row = await this.live(id);
      if (!ACCEPTED_STATUSES.includes(row.status)) throw new RescueError("conflict", "media opens once the EULA is accepted");
      const paused = state === "paused";
      if (this.paused.has(id) === paused) return undefined;
      if (paused) this.paused.add(id);
      else this.paused.delete(id);
      await this.log(id, paused ? "customer-paused" : "customer-resumed", {});
      return row;
    });
    if (row) this.deps.notifier.sessionChanged(row, this.view(row), false);
  }

  /**
   * The customer's connection ended. `left`: they ended the session (the page's Disconnect), which
   * aborts it. Otherwise their socket closed, or with `lost` it answered no ping of the heartbeat
   * (every `heartbeatMs`): logged (customer-disconnected or customer-lost) and the customer is
   * away; they may `resume` within the grace period, after which the session is aborted.
   */
  async customerLeft(id: string, how: { lost?: { heartbeatMs: number }; left?: boolean } = {}): Promise<void> {
    this.paused.delete(id);
    const away = await this.exclusive(async () => {
      const row = await this.store.sessions.get(id);
      if (!row || isTerminal(row.status)) return undefined;
      const grace = how.left ? {} : { graceMs: this.graceMs };
      if (how.lost) await this.log(id, "customer-lost", { heartbeatMs: how.lost.heartbeatMs, ...grace });
      else await this.log(id, "customer-disconnected", grace);
      if (how.left || this.graceMs === 0) {
        await this.move(row, nextStatus(row.status, "customer-left"), "aborted", {
          reason: how.left ? "the customer ended the session" : "the customer's connection dropped",
        });
        return undefined;
      }
      return this.patch(row, { customerAwaySince: this.iso() });
    });
    if (away) this.scheduleAway(away);
  }

  /** Why an ended session ended, for its customer: the server's own reason for an abort, else who ended it. */
  private async endedReason(row: SessionRow): Promise<string> {
    if (row.status === "closed") return "the technician ended it";
    if (row.status === "aborted") {
      const entries = await this.store.sessionLog.list(row.id);
      const abort = entries.findLast((e) => e.event === "aborted");
      if (typeof abort?.reason === "string") return abort.reason;
    }
    return row.status;
  }

  /** Aborts the session when its customer has been away longer than the grace period. */
  private async abortIfGone(row: SessionRow): Promise<boolean> {
    if (!row.customerAwaySince || isTerminal(row.status)) return false;
    if (Date.parse(row.customerAwaySince) + this.graceMs > this.deps.now().getTime()) return false;
    this.clearAway(row.id);
    await this.move(row, nextStatus(row.status, "customer-left"), "aborted", {
      reason: `the customer did not come back within ${Math.round(this.graceMs / 1000)} s`,
    });
    return true;
  }

  private scheduleAway(row: SessionRow): void {
    this.clearAway(row.id);
    const dueIn = Date.parse(row.customerAwaySince!) + this.graceMs - this.deps.now().getTime();
    const timer = setTimeout(() => {
      this.awayTimers.delete(row.id);
      this
        .exclusive(async () => {
          const now = await this.store.sessions.get(row.id);
          if (now) await this.abortIfGone(now);
        })
        .catch(() => undefined);
    }, Math.max(0, dueIn) + 10);
    timer.unref();
    this.awayTimers.set(row.id, timer);
  }

  private clearAway(id: string): void {
    clearTimeout(this.awayTimers.get(id));
    this.awayTimers.delete(id);
  }

  async customerChat(id: string, author: string, text: string): Promise<ChatMessage> {
    await this.throttle(`chat:customer:${id}`, this.deps.limits.chat, "too many chat messages");
    const { row, message } = await this.exclusive(async () => {
      const row = await this.live(id);
      if (!ACCEPTED_STATUSES.includes(row.status)) throw new RescueError("conflict", "chat opens once the EULA is accepted");
      const message: ChatMessage = { sessionId: id, from: "customer", author, text, at: this.iso() };
      await this.log(id, "chat", { from: "customer", author, text });
      return { row, message };
    });
    this.deps.notifier.chat(row, message);
    return message;
  }

  /** The customer stopped sharing their screen: logged and told to the technician; the session goes on. */
  async customerScreenStopped(id: string): Promise<void> {
    const row = await this.exclusive(async () => {
      const row = await this.live(id);
      if (row.type !== "desktop") throw new RescueError("conflict", "only a desktop session shares a screen");
      if (!ACCEPTED_STATUSES.includes(row.status)) throw new RescueError("conflict", "screen sharing opens once the EULA is accepted");
      await this.log(id, "screen-share-stopped", {});
      return row;
    });
    this.deps.notifier.customerMedia(row, "screen-share-stopped");
  }

  /**
   * A PIN from a source whose budget of wrong PINs is spent was refused before any lookup, and the
   * refusal said nothing (SECURITY.md "PIN guessing"). Called after that answer went out, so the
   * refused client cannot see it: when the PIN is live, its session's log says so
   * (`pin-refused-network`, `address` the source as counted, hidden from collaborators) and its
   * technician is told, at most once a minute per session, so they can give the customer another
   * way in. Nothing comes back to the caller.
   */
  async pinRefusedAtSource(pin: string, source: string): Promise<void> {
    const row = await this.store.sessions.byPin(pin);
    if (!row || row.status !== "connecting" || row.customerJoined) return;
    if (row.pinExpiresAt && Date.parse(row.pinExpiresAt) <= this.deps.now().getTime()) return;
    if (!(await this.deps.buckets.take(`pin-refused:${row.id}`, PIN_REFUSED_NOTICE))) return;
    await this.exclusive(() => this.log(row.id, "pin-refused-network", { address: source }));
    this.deps.notifier.customerMedia(row, "pin-refused-network");
  }

  /** Whether the customer of this session may send signals now. */
  async customerMaySignal(id: string): Promise<SessionRow | undefined> {
    const row = await this.store.sessions.get(id);
    return row && ACCEPTED_STATUSES.includes(row.status) ? row : undefined;
  }

  /** Stops the grace timers of this process (the server is stopping; other nodes' sweeps take over). */
  stopTimers(): void {
    for (const id of [...this.awayTimers.keys()]) this.clearAway(id);
  }

  /** Resolves once every queued session write is done. */
  async idle(): Promise<void> {
    await this.exclusive(async () => undefined);
  }

  /**
   * At start-up: customers who had joined lost their connection with the old process. They are
   * away from now on and may resume within the grace period (the page reconnects by itself);
   * with no grace period their sessions are aborted. Returns how many sessions that concerned.
   */
  async orphansAway(): Promise<number> {
    const rows = await this.exclusive(async () => {
      const rows = await this.store.sessions.listJoinedLive();
      const away: SessionRow[] = [];
      for (const row of rows) {
        if (row.customerAwaySince) {
          if (!(await this.abortIfGone(row))) away.push(row);
          continue;
        }
        await this.log(row.id, "customer-disconnected", { reason: "server restarted", ...(this.graceMs > 0 ? { graceMs: this.graceMs } : {}) });
        if (this.graceMs === 0) await this.move(row, nextStatus(row.status, "customer-left"), "aborted", { reason: "server restarted" });
        else away.push(await this.patch(row, { customerAwaySince: this.iso() }));
      }
      return { count: rows.length, away };
    });
    for (const row of rows.away) this.scheduleAway(row);
    return rows.count;
  }

  /**
   * Several nodes: customers who joined and are not marked away, but whose socket no live node
   * holds (`gone` picks them; see Hub.customersGone), went with a node that died. They are away
   * from now on, like orphans at start-up, and every node's sweep aborts them when the grace
   * period runs out. Returns how many sessions that concerned.
   */
  async lostCustomersAway(gone: (sessionIds: string[]) => Promise<Set<string>>): Promise<number> {
    const { away, count } = await this.exclusive(async () => {
      const rows = (await this.store.sessions.listJoinedLive()).filter((r) => !r.customerAwaySince);
      const lost = await gone(rows.map((r) => r.id));
      const away: SessionRow[] = [];
      for (const row of rows) {
        if (!lost.has(row.id)) continue;
        const reason = "the server node holding the customer's connection stopped";
        await this.log(row.id, "customer-disconnected", { reason, ...(this.graceMs > 0 ? { graceMs: this.graceMs } : {}) });
        if (this.graceMs === 0) await this.move(row, nextStatus(row.status, "customer-left"), "aborted", { reason });
        else away.push(await this.patch(row, { customerAwaySince: this.iso() }));
      }
      return { away, count: lost.size };
    });
    for (const row of away) this.scheduleAway(row);
    return count;
  }

  async sweep(): Promise<void> {
    await this.exclusive(() => this.expireDue());
  }

  // Hooks for the collaboration service, which shares this queue, log and state machine.

  run<T>(fn: () => Promise<T>): Promise<T> {
    return this.exclusive(fn);
  }

  record(sessionId: string, event: SessionLogEntry["event"], fields: Record<string, unknown>): Promise<void> {
    return this.log(sessionId, event, fields);
  }

  changeStatus(row: SessionRow, action: SessionAction, event: SessionLogEntry["event"], fields: Record<string, unknown>): Promise<SessionRow> {
    return this.move(row, nextStatus(row.status, action), event, fields);
  }

  /** Writes a patch that is not a status change and tells the hub. */
  async patch(row: SessionRow, patch: SessionPatch): Promise<SessionRow> {
    await this.store.sessions.update(row.id, patch);
    const next = (await this.store.sessions.get(row.id))!;
    this.deps.notifier.sessionChanged(next, this.view(next), false);
    return next;
  }

  /**
   * Whether the caller may take one more live PIN: a new session (or invitation) must fit under
   * limits.sessions.livePerTechnician (sessions only) and liveInAll (quota_exceeded), and every new
   * PIN, a replacement too, under the caller's createRate (rate_limited). Call inside the queue.
   */
  async newPinAllowed(caller: Caller, kind: "session" | "invitation" | "replacement"): Promise<void> {
    const { createRate, livePerTechnician, liveInAll } = this.deps.limits.sessions;
    const now = this.iso();
    if (kind === "session") {
      const counts = await this.store.sessions.livePinCounts(now, caller.technician.id);
      const mine = counts.technician;
      if (mine >= livePerTechnician) {
        throw new RescueError("quota_exceeded", `you have ${mine} sessions waiting for their customer (limit ${livePerTechnician}); end one or let its PIN expire`, {
          limit: livePerTechnician,
          live: mine,
        });
      }
      if (counts.all >= liveInAll) throw this.overAll(counts.all);
    } else if (kind === "invitation") {
      const all = (await this.store.sessions.countLivePins(now)) + (await this.store.invitations.countLivePins(now));
      if (all >= liveInAll) throw this.overAll(all);
    }
    await this.throttle(`create:${caller.technician.id}`, createRate, "too many new sessions and PINs");
  }

  private overAll(all: number): RescueError {
    const { liveInAll } = this.deps.limits.sessions;
    return new RescueError("quota_exceeded", `the server holds ${all} live PINs (limit ${liveInAll}); try again when some are used or expire`, { limit: liveInAll, live: all });
  }

  /** Takes a token from the bucket `key`, or refuses with rate_limited and when to retry. */
  private async throttle(key: string, rate: Rate, what: string): Promise<void> {
    if (await this.deps.buckets.take(key, rate)) return;
    const seconds = Math.max(1, Math.ceil((await this.deps.buckets.waitMs(key, rate)) / 1000));
    throw new RescueError("rate_limited", `${what}; retry in ${seconds} s`, { retryAfterSeconds: seconds });
  }

  // Helpers, called inside the queue.

  private async heldBefore(caller: Caller, id: string): Promise<boolean> {
    if (caller.external) return false;
    const row = await this.store.sessions.get(id);
    if (!row || row.technicianId === caller.technician.id) return false;
    return (await this.store.sessionLog.list(id)).some((e) => e.event === "transferred" && e.from === caller.technician.email);
  }

  /** The caller's session as its lead or one of its collaborators; anyone else gets not_found. */
  async participant(caller: Caller, id: string): Promise<{ row: SessionRow; collaborator?: CollaboratorRow }> {
    const found = await this.store.sessions.get(id);
    if (found && !caller.external && found.technicianId === caller.technician.id) return { row: await this.expireIfDue(found) };
    const collaborator = found?.collaborators.find((c) => c.technicianId === caller.technician.id);
    if (!found || !collaborator) throw new RescueError("not_found", `no session ${id}`);
    return { row: found, collaborator };
  }

  /**
   * The caller's session as its lead. A collaborator is told that only the lead may do `what`
   * (forbidden, not not_found: they can see the session); anyone else gets not_found.
   */
  async own(caller: Caller, id: string, what = "do that"): Promise<SessionRow> {
    const row = await this.store.sessions.get(id);
    if (row && row.technicianId !== caller.technician.id && row.collaborators.some((c) => c.technicianId === caller.technician.id)) {
      throw new RescueError("forbidden", `only the lead technician can ${what} (${row.technicianEmail} leads session ${id})`);
    }
    if (!row || row.technicianId !== caller.technician.id) throw new RescueError("not_found", `no session ${id}`);
    return this.expireIfDue(row);
  }

  private async live(id: string): Promise<SessionRow> {
    const row = await this.store.sessions.get(id);
    if (!row || isTerminal(row.status)) throw new RescueError("conflict", "the session has ended");
    return row;
  }

  /** PINs that expired with no customer, and customers away longer than the grace period. */
  private async expireDue(): Promise<void> {
    for (const row of await this.store.sessions.listExpiredPins(this.iso())) await this.expireIfDue(row);
    // Only a customer marked away can have outstayed the grace period (abortIfGone).
    for (const row of await this.store.sessions.listAwayLive()) await this.abortIfGone(row);
  }

  private async expireIfDue(row: SessionRow): Promise<SessionRow> {
    const due = row.status === "connecting" && !row.customerJoined && row.pinExpiresAt !== null && row.pinExpiresAt <= this.iso();
    return due ? this.move(row, nextStatus(row.status, "time-out"), "timed-out", {}) : row;
  }

  /** Writes a status change and its log line, then tells the hub. Ended sessions drop their PIN. */
  private async move(
    row: SessionRow,
    status: SessionStatus,
    event: SessionLogEntry["event"],
    fields: Record<string, unknown>,
    extra: SessionPatch = {},
  ): Promise<SessionRow> {
    // An ended session has no PIN to use and no customer who may still come back.
    const ended: SessionPatch = isTerminal(status) ? { pin: null, pinExpiresAt: null, customerAwaySince: null } : {};
    const patch: SessionPatch = { ...extra, status, statusSince: this.iso(), ...ended };
    await this.store.sessions.update(row.id, patch);
    await this.log(row.id, event, { ...fields, status });
    const next = { ...row, ...patch };
    this.deps.notifier.sessionChanged(next, this.view(next), true);
    return next;
  }

  /** Whether the session's `created` entry says it was made `via` that way. */
  private async madeVia(id: string, via: "integration"): Promise<boolean> {
    const created = (await this.store.sessionLog.list(id)).find((e) => e.event === "created");
    return created?.via === via;
  }

  private async log(sessionId: string, event: SessionLogEntry["event"], fields: Record<string, unknown>): Promise<void> {
    await this.store.sessionLog.append(sessionId, this.entry(event, fields));
  }

  /** Several log entries of one session in one statement. */
  private async logAll(sessionId: string, entries: [SessionLogEntry["event"], Record<string, unknown>][]): Promise<void> {
    await this.store.sessionLog.appendAll(sessionId, entries.map(([event, fields]) => this.entry(event, fields)));
  }

  private entry(event: SessionLogEntry["event"], fields: Record<string, unknown>): SessionLogEntry {
    // at and event lead the entry, and are written again after `fields` so nothing there stands in for them.
    const own = { at: this.iso(), event };
    return Object.assign({ ...own }, fields, own) as SessionLogEntry;
  }

  private async freePin(): Promise<string> {
    return uniquePin((pin) => this.store.sessions.pinTaken(pin));
  }

  private pinExpiry(caller: Caller, from: Date = this.deps.now()): string {
    return new Date(from.getTime() + caller.group.pinExpiryMinutes * 60_000).toISOString();
  }
}

/** 256 random bits, base64url: the customer's resume credential. */
function newResumeToken(): string {
  return randomBytes(32).toString("base64url");
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function sameDigest(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

function requireCollaborator(c: CollaboratorRow, p: CollaboratorPermission): void {
  if (!c.permissions.includes(p)) {
    throw new RescueError("forbidden", `the lead technician has not given you the permission: ${p}`, { missing: [p] });
  }
}
