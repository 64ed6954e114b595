import {
  LEAD_PEER,
  RescueError,
  WS_CLOSE,
  type CollaboratorPermission,
  InviteRequest,
  type Invitation,
  type InviteResponse,
  type JoinResponse,
  type Permission,
  type Session,
  type SessionStatus,
} from "../../protocol/index.js";
import { hasPermission, offboarded, type Caller } from "../auth/service.js";
import { bearerToken, hashToken, newToken } from "../auth/tokens.js";
import type { Delivery } from "../delivery/carriers.js";
import { newId } from "../org.js";
import type { CollaboratorRow, GroupRow, InvitationRow, SessionRow, Store } from "../store/types.js";
import type { Hub } from "../ws/hub.js";
import { uniquePin } from "./pin.js";
import { requiredPermissions, type SessionService } from "./service.js";
import { LENS_SLOT_STATUSES, isTerminal } from "./state.js";

/** Statuses in which technicians may be invited and join. */
const COLLABORATION_STATUSES: readonly SessionStatus[] = ["active", "collaborating"];
/** Statuses in which a session may be handed to another technician. */
const TRANSFERABLE_STATUSES: readonly SessionStatus[] = ["waiting", "active", "on-hold", "collaborating"];
/** Statuses in which the customer's device has a peer for technicians. */
const MEDIA_STATUSES: readonly SessionStatus[] = ["waiting", "active", "on-hold", "collaborating"];
/** An invitation's PIN is valid this long. */
const INVITATION_TTL_MS = 20 * 60_000;
/** External technicians' pushes go to this id; it never collides with a technician id (those have no prefix). */
const externalId = (invitationId: string) => `x-${invitationId}`;

type InviteInput = ReturnType<(typeof InviteRequest)["parse"]>;

export interface CollaborationDeps {
  store: Store;
  now: () => Date;
  publicUrl: () => string;
  delivery: Delivery;
  sessions: SessionService;
  hub: Hub;
}

function requirePermission(caller: Caller, p: Permission, what: string): void {
  if (!hasPermission(caller, p)) throw new RescueError("forbidden", `your group may not ${what} (permission: ${p})`, { missing: [p] });
}

/**
 * Technician collaboration and transfer: invitations with chosen permissions, joining by PIN
 * (internal technicians with their login, external ones with a token scoped to the session),
 * permission changes, removal, and handing a session to another internal technician. Shares the
 * session service's queue, so every rule is checked against the state it changes.
 */
export class CollaborationService {
  constructor(private readonly deps: CollaborationDeps) {}

  private get store(): Store {
    return this.deps.store;
  }

  private iso(): string {
    return this.deps.now().toISOString();
  }

  joinLink(pin: string): string {
    return `${this.deps.publicUrl().replace(/\/+$/, "")}/collaborate/${pin}`;
  }

  async invite(caller: Caller, sessionId: string, req: InviteInput): Promise<InviteResponse> {
    if (caller.external) throw new RescueError("forbidden", "external technicians cannot invite");
    if (req.kind === "internal") requirePermission(caller, "invite-internal", "invite technicians of your organisation");
    else {
      requirePermission(caller, "invite-external", "invite external technicians");
      requirePermission(caller, req.via, `send invitations by ${req.via}`);
    }
    const approved = req.kind === "external" && req.to !== undefined && (await this.store.externalTechnicians.get(req.to)) !== undefined;
    if (req.kind === "external" && !approved) {
      requirePermission(caller, "invite-unlisted", `invite external technicians who are not on the approved list${req.to ? ` (${req.to} is not)` : ""}`);
    }
    const { invitation, row, inviteeId } = await this.deps.sessions.run(async () => {
      const row = await this.deps.sessions.own(caller, sessionId, "invite technicians");
      if (!COLLABORATION_STATUSES.includes(row.status)) {
        throw new RescueError("conflict", `technicians can be invited only into an Active session (session is ${row.status})`, { status: row.status });
      }
      let inviteeId: string | null = null;
      if (req.kind === "internal") {
        const invitee = await this.store.technicians.byEmail(req.to!);
        if (!invitee) throw new RescueError("not_found", `no technician ${req.to} in your organisation; invite them as an external technician`);
        if (offboarded(invitee)) throw new RescueError("forbidden", `${req.to}'s account is disabled or removed`);
        if (invitee.id === caller.technician.id) throw new RescueError("bad_request", "you lead this session already");
        if (row.collaborators.some((c) => c.technicianId === invitee.id)) throw new RescueError("conflict", `${req.to} is already in the session`);
        inviteeId = invitee.id;
      }
      const pending = (await this.store.invitations.listBySession(row.id)).filter((i) => i.status === "pending" && i.pinExpiresAt > this.iso());
      this.checkLimit(caller.group, row, pending.length);
      await this.deps.sessions.newPinAllowed(caller, "invitation");
      const now = this.iso();
      const invitation: InvitationRow = {
        id: newId(),
        sessionId: row.id,
        inviterId: caller.technician.id,
        kind: req.kind,
        via: req.via,
        approved,
        to: req.to ?? null,
        inviteeId,
        permissions: unique(req.permissions),
        comment: req.comment ?? null,
        status: "pending",
        pin: await this.freePin(),
        pinExpiresAt: new Date(this.deps.now().getTime() + INVITATION_TTL_MS).toISOString(),
        tokenHash: null,
        createdAt: now,
        joinedAt: null,
      };
      await this.store.invitations.insert(invitation);
      await this.deps.sessions.record(row.id, "invited", {
        by: caller.technician.email,
        invitation: invitation.id,
        kind: invitation.kind,
        via: invitation.via,
        ...(invitation.kind === "external" ? { approved } : {}),
        ...(invitation.to ? { to: invitation.to } : {}),
        permissions: invitation.permissions,
        ...(invitation.comment ? { comment: invitation.comment } : {}),
      });
      return { invitation, row, inviteeId };
    });
    const view = this.view(invitation, row);
    if (inviteeId) this.deps.hub.toTechnician(inviteeId, { type: "invitation", invitation: view });
    if (invitation.kind === "external" && invitation.via === "email") await this.mail(invitation, row, caller);
    return {
      invitation: view,
      pin: invitation.pin!,
      ...(invitation.kind === "external" ? { link: this.joinLink(invitation.pin!) } : {}),
    };
  }

  /** Pending invitations addressed to an internal technician (with their permissions and comment). */
  async pendingFor(caller: Caller): Promise<Invitation[]> {
    if (caller.external) return [];
    const rows = await this.store.invitations.listByInvitee(caller.technician.id, ["pending"]);
    const out: Invitation[] = [];
    for (const i of rows) {
      const session = await this.store.sessions.get(i.sessionId);
      if (session && i.pinExpiresAt > this.iso() && !isTerminal(session.status)) out.push(this.view(i, session));
    }
    return out;
  }

  /** Joins by an invitation's PIN. An internal invitation needs its invitee's login; an external one gets a scoped token. */
  async join(caller: Caller | undefined, pin: string): Promise<JoinResponse> {
    const result = await this.deps.sessions.run(async () => {
      const found = await this.store.invitations.byPin(pin);
      if (!found || found.status !== "pending" || found.pinExpiresAt <= this.iso()) throw new RescueError("not_found", "unknown or expired invitation PIN");
      let row = await this.store.sessions.get(found.sessionId);
      if (!row || !COLLABORATION_STATUSES.includes(row.status)) {
        throw new RescueError("conflict", `the session is ${row?.status ?? "gone"}; technicians join only Active sessions`);
      }
      if (found.kind === "external" && caller) {
        throw new RescueError("forbidden", "this PIN invites an external technician: join from a console that is not logged in to an organisation");
      }
      if (found.kind === "internal") {
        if (!caller) throw new RescueError("unauthenticated", "this invitation is for a technician of the organisation: run rescue login first");
        if (caller.external || caller.technician.id !== found.inviteeId) throw new RescueError("forbidden", `this invitation is for ${found.to}`);
      }
      const lead = await this.store.technicians.byId(row.technicianId);
      const group = lead && (await this.store.groups.get(lead.group));
      if (group) this.checkLimit(group, row, 0);
      const token = found.kind === "external" ? newToken() : null;
      const as = found.kind === "internal" ? caller!.technician.email : (found.to ?? `external-${found.id}`);
      const collaborator: CollaboratorRow = {
        id: found.id,
        technicianId: found.kind === "internal" ? found.inviteeId! : externalId(found.id),
        technician: as,
        external: found.kind === "external",
        permissions: found.permissions,
        joinedAt: this.iso(),
      };
      const invitation: InvitationRow = { ...found, status: "joined", pin: null, joinedAt: collaborator.joinedAt, tokenHash: token?.hash ?? null };
      await this.store.invitations.update(found.id, { status: "joined", pin: null, joinedAt: invitation.joinedAt, tokenHash: invitation.tokenHash });
      row = await this.deps.sessions.patch(row, { collaborators: [...row.collaborators, collaborator] });
      const fields = { technician: as, external: collaborator.external, invitation: found.id, permissions: collaborator.permissions };
      // An external technician makes the session Collaborating.
      if (collaborator.external && row.status === "active") row = await this.deps.sessions.changeStatus(row, "collaborate", "joined", fields);
      else await this.deps.sessions.record(row.id, "joined", fields);
      return { row, invitation, collaborator, token: token?.token };
    });
    if (await this.deps.hub.isOnline(result.collaborator.technicianId)) this.offerTo(result.row, result.collaborator);
    return {
      invitation: this.view(result.invitation, result.row),
      session: this.deps.sessions.viewFor(result.row, result.collaborator.technicianId),
      ...(result.token ? { token: result.token } : {}),
      as: result.collaborator.technician,
    };
  }

  /**
   * A technician's client connected: the customer offers again to each session they collaborate
   * in. Each such offer counts in the technician's reoffer budget of that session (see
   * SessionService.takeOffer), as a `reoffer` does, so that reconnecting in a loop does not make the
   * customer's device build offers without end. Returns the refusals (rate_limited, one per
   * session over budget), for the caller to tell that socket.
   */
  async connected(caller: Caller, sessions: readonly Session[]): Promise<RescueError[]> {
    const refused: RescueError[] = [];
    for (const s of sessions) {
      const row = await this.store.sessions.get(s.id);
      const c = row?.collaborators.find((x) => x.technicianId === caller.technician.id);
      if (!row || !c || !this.offers(row, c)) continue;
      try {
        await this.deps.sessions.takeOffer(caller.technician.id, row.id);
      } catch (err) {
        if (!(err instanceof RescueError)) throw err;
        refused.push(new RescueError(err.code, `session ${row.id}: no new offer on this connection: ${err.message}`, { ...err.details, sessionId: row.id }));
        continue;
      }
      this.customerPeer(row, c.id, "joined");
    }
    return refused;
  }

  async setPermissions(caller: Caller, sessionId: string, collaboratorId: string, permissions: CollaboratorPermission[]): Promise<Session> {
    const row = await this.deps.sessions.run(async () => {
      const { row, c } = await this.collaboratorOf(caller, sessionId, collaboratorId);
      const next = unique(permissions);
      const updated = row.collaborators.map((x) => (x.id === c.id ? { ...x, permissions: next } : x));
      await this.store.invitations.update(c.id, { permissions: next });
      const changed = await this.deps.sessions.patch(row, { collaborators: updated });
      await this.deps.sessions.record(row.id, "permissions-changed", { by: caller.technician.email, technician: c.technician, from: c.permissions, to: next });
      const had = c.permissions.includes("view");
      const has = next.includes("view");
      if (had !== has) this.customerPeer(changed, c.id, has ? "joined" : "left");
      return changed;
    });
    return this.deps.sessions.view(row);
  }

  async remove(caller: Caller, sessionId: string, collaboratorId: string): Promise<Session> {
    const row = await this.deps.sessions.run(async () => {
      const { row, c } = await this.collaboratorOf(caller, sessionId, collaboratorId);
      const next = await this.dropCollaborator(row, c, "removed", { by: caller.technician.email, technician: c.technician });
      if (c.external) this.deps.hub.closeTechnician(c.technicianId, WS_CLOSE.forbidden, `removed from session ${row.id} by the lead technician`);
      return next;
    });
    return this.deps.sessions.view(row);
  }

  /** Hands the session to another internal technician who is online and allowed to take it. */
  async transfer(caller: Caller, sessionId: string, to: string): Promise<Session> {
    if (caller.external) throw new RescueError("forbidden", "external technicians cannot transfer sessions");
    requirePermission(caller, "transfer", "transfer sessions");
    const { row, from } = await this.deps.sessions.run(async () => {
      const row = await this.deps.sessions.own(caller, sessionId, "transfer the session");
      if (!TRANSFERABLE_STATUSES.includes(row.status)) {
        throw new RescueError("conflict", `a session that is ${row.status} cannot be transferred`, { status: row.status });
      }
      const target = await this.store.technicians.byEmail(to);
      if (!target) {
        throw new RescueError("forbidden", `sessions cannot be transferred to external technicians: ${to} is not a technician of your organisation`, {
          reason: "external",
        });
      }
      if (target.id === caller.technician.id) throw new RescueError("bad_request", "you already hold this session");
      if (offboarded(target)) throw new RescueError("forbidden", `${to}'s account is disabled or removed: sessions go only to technicians who may log in`);
      const group = await this.store.groups.get(target.group);
      const needed = row.type === "lens" ? requiredPermissions(row.type, row.method).filter((p) => p !== row.method) : ["private" as const];
      const missing = needed.filter((p) => !group?.permissions.includes(p));
      if (missing.length > 0) throw new RescueError("forbidden", `${to}'s group may not take this session (missing: ${missing.join(", ")})`, { missing });
      if (!(await this.deps.hub.isOnline(target.id))) {
        throw new RescueError("conflict", `${to} is not online: a transfer needs their connected console or daemon`, { reason: "offline" });
      }
      if (LENS_SLOT_STATUSES.includes(row.status)) await this.deps.sessions.checkSlotsOf(target.id, row, `${to}'s`);
      const log = await this.store.sessionLog.list(row.id);
      const since = [...log].reverse().find((e) => e.event === "transferred")?.at ?? row.createdAt;
      // A collaborator who receives the session becomes its lead: their collaborator peer goes.
      const asCollaborator = row.collaborators.find((c) => c.technicianId === target.id);
      const collaborators = row.collaborators.filter((c) => c !== asCollaborator);
      if (asCollaborator) {
        await this.store.invitations.update(asCollaborator.id, { status: "removed", tokenHash: null });
        this.customerPeer(row, asCollaborator.id, "left");
      }
      const next = await this.deps.sessions.patch(row, { technicianId: target.id, collaborators });
      await this.deps.sessions.record(row.id, "transferred", {
        by: caller.technician.email,
        from: caller.technician.email,
        to: target.email,
        heldFrom: since,
        heldUntil: this.iso(),
      });
      return { row: next, from: row };
    });
    const session = this.deps.sessions.view(row);
    // The previous lead's list shows who holds it now; their daemon lets the media go.
    this.deps.hub.toTechnician(from.technicianId, { type: "session", session });
    // The customer's device offers again, now to the new lead's daemon.
    if (MEDIA_STATUSES.includes(row.status)) this.customerPeer(row, LEAD_PEER, "joined");
    return session;
  }

  /** The caller behind a bearer token that is an external technician's scoped token, if it is one. */
  async externalCaller(authorization: string | undefined): Promise<Caller | undefined> {
    const token = bearerToken(authorization);
    if (!token) return undefined;
    const tokenHash = hashToken(token);
    const invitation = await this.store.invitations.byTokenHash(tokenHash);
    if (!invitation || invitation.status !== "joined") return undefined;
    const session = await this.store.sessions.get(invitation.sessionId);
    if (!session || isTerminal(session.status)) return undefined;
    const c = session.collaborators.find((x) => x.id === invitation.id);
    if (!c) return undefined;
    return {
      technician: { id: c.technicianId, email: c.technician, name: c.technician, group: "", admin: false, passwordHash: "", createdAt: invitation.createdAt },
      group: { name: "", permissions: [], pinExpiryMinutes: 0, maxTechnicians: 0, createdAt: invitation.createdAt },
      tokenHash,
      external: { invitationId: invitation.id, sessionId: invitation.sessionId },
    };
  }

  // Helpers, called inside the queue.

  private async collaboratorOf(caller: Caller, sessionId: string, collaboratorId: string): Promise<{ row: SessionRow; c: CollaboratorRow }> {
    if (caller.external) throw new RescueError("forbidden", "only the lead technician manages collaborators");
    const row = await this.deps.sessions.own(caller, sessionId, "manage collaborators");
    const c = row.collaborators.find((x) => x.id === collaboratorId || x.technician === collaboratorId);
    if (!c) throw new RescueError("not_found", `no collaborator ${collaboratorId} in session ${sessionId}`);
    return { row, c };
  }

  private async dropCollaborator(row: SessionRow, c: CollaboratorRow, event: "removed", fields: Record<string, unknown>): Promise<SessionRow> {
    await this.store.invitations.update(c.id, { status: "removed", tokenHash: null });
    let next = await this.deps.sessions.patch(row, { collaborators: row.collaborators.filter((x) => x.id !== c.id) });
    // The removed technician learns it from one last push; their daemon closes its peer.
    this.deps.hub.toTechnician(c.technicianId, { type: "session", session: this.deps.sessions.viewFor(next, c.technicianId) });
    this.customerPeer(next, c.id, "left");
    if (next.status === "collaborating" && !next.collaborators.some((x) => x.external)) {
      next = await this.deps.sessions.changeStatus(next, "end-collaboration", event, fields);
    } else await this.deps.sessions.record(row.id, event, fields);
    return next;
  }

  /** Tells the customer's device to offer to this collaborator, when they may view. */
  private offerTo(row: SessionRow, c: CollaboratorRow): void {
    if (this.offers(row, c)) this.customerPeer(row, c.id, "joined");
  }

  /** Whether the customer's device has a peer for this collaborator: they may view, and media flows. */
  private offers(row: SessionRow, c: CollaboratorRow): boolean {
    return c.permissions.includes("view") && MEDIA_STATUSES.includes(row.status);
  }

  private customerPeer(row: SessionRow, peer: string, event: "joined" | "left"): void {
    this.deps.hub.toCustomer(row.id, { type: "peer", peer, event });
  }

  /** The lead plus collaborators (and pending invitations) stay within the group's maxTechnicians. */
  private checkLimit(group: GroupRow, row: SessionRow, pending: number): void {
    if (1 + row.collaborators.length + pending >= group.maxTechnicians) {
      throw new RescueError(
        "forbidden",
        `at most ${group.maxTechnicians} technicians in a session (the group's limit: rescue admin group set GROUP --max-technicians N; ${row.collaborators.length} joined, ${pending} invited)`,
        { limit: group.maxTechnicians },
      );
    }
  }

  private async freePin(): Promise<string> {
    return uniquePin(async (pin) => (await this.store.invitations.byPin(pin)) !== undefined || (await this.store.sessions.byPin(pin)) !== undefined);
  }

  private async mail(invitation: InvitationRow, row: SessionRow, caller: Caller): Promise<void> {
    const body = [
      `${caller.technician.email} invites you to collaborate on a Rescue session.`,
      ...(invitation.comment ? ["", invitation.comment] : []),
      "",
      `Join with: rescue join --link ${this.joinLink(invitation.pin!)}`,
      `or: rescue join --pin ${invitation.pin} --server ${this.deps.publicUrl()}`,
      `Permissions: ${invitation.permissions.join(", ")}`,
    ].join("\n");
    let fields: Record<string, unknown>;
    try {
      const receipt = await this.deps.delivery.email.send({ to: invitation.to!, subject: "Invitation to a Rescue session", body });
      fields = { to: invitation.to, invitation: invitation.id, ...(receipt?.status === "queued" ? { outbox: true } : {}) };
    } catch (err) {
      fields = { to: invitation.to, invitation: invitation.id, reason: err instanceof Error ? err.message : String(err) };
    }
    await this.deps.sessions.run(() => this.deps.sessions.record(row.id, "reason" in fields ? "email-failed" : "outbox" in fields ? "email-queued" : "email-sent", fields));
  }

  private view(i: InvitationRow, row: SessionRow): Invitation {
    return {
      id: i.id,
      sessionId: i.sessionId,
      sessionName: row.name,
      from: row.technicianEmail,
      kind: i.kind,
      via: i.via,
      approved: i.approved,
      to: i.to,
      permissions: i.permissions,
      comment: i.comment,
      status: i.status,
      pin: i.pin,
      expiresAt: i.pinExpiresAt,
      createdAt: i.createdAt,
    };
  }
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}
