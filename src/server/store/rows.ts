import type { ApiKeyRow, ExternalTechnicianRow, GroupRow, InvitationRow, OutboxRow, SessionRow, TechnicianRow, TokenRow } from "./types.js";

/**
 * Rows as both engines return them, mapped to the store's types. Booleans are INTEGER 0/1 in
 * both; counts may come back as numbers (SQLite) or strings (PostgreSQL's bigint): Number() reads both.
 */
export type Row = Record<string, unknown>;

export function maybe<T>(row: unknown, map: (r: Row) => T): T | undefined {
  return row === undefined ? undefined : map(row as Row);
}

export function toColumn(v: unknown): unknown {
  if (Array.isArray(v)) return JSON.stringify(v);
  return typeof v === "boolean" ? (v ? 1 : 0) : v;
}

const str = (v: unknown) => String(v);
const strOrNull = (v: unknown) => (v === null || v === undefined ? null : String(v));

export function toGroup(r: Row): GroupRow {
  return {
    name: str(r.name),
    permissions: JSON.parse(str(r.permissions)) as GroupRow["permissions"],
    pinExpiryMinutes: Number(r.pin_expiry_minutes),
    maxTechnicians: Number(r.max_technicians),
    createdAt: str(r.created_at),
  };
}

export function toTechnician(r: Row): TechnicianRow {
  return {
    id: str(r.id),
    email: str(r.email),
    name: str(r.name),
    group: str(r.group_name),
    admin: Number(r.admin) === 1,
    passwordHash: str(r.password_hash),
    createdAt: str(r.created_at),
    // Only when set: most technicians are neither, and rows compare equal to what was inserted.
    ...(r.disabled_at == null ? {} : { disabledAt: str(r.disabled_at) }),
    ...(r.removed_at == null ? {} : { removedAt: str(r.removed_at) }),
  };
}

export function toToken(r: Row): TokenRow {
  return { hash: str(r.hash), technicianId: str(r.technician_id), expiresAt: str(r.expires_at), createdAt: str(r.created_at) };
}

export function toSession(r: Row): SessionRow {
  return {
    id: str(r.id),
    technicianId: str(r.technician_id),
    technicianEmail: str(r.technician_email),
    name: str(r.name),
    type: str(r.type) as SessionRow["type"],
    mode: str(r.mode) as SessionRow["mode"],
    status: str(r.status) as SessionRow["status"],
    method: str(r.method) as SessionRow["method"],
    pin: strOrNull(r.pin),
    pinExpiresAt: strOrNull(r.pin_expires_at),
    recordable: Number(r.recordable) === 1,
    customerJoined: Number(r.customer_joined) === 1,
    customerCamera: Number(r.customer_camera) === 1,
    customerMicrophone: Number(r.customer_microphone) === 1,
    eulaAcceptedAt: strOrNull(r.eula_accepted_at),
    customerResumeHash: strOrNull(r.customer_resume_hash),
    customerAwaySince: strOrNull(r.customer_away_since),
    delivery: strOrNull(r.delivery),
    createdAt: str(r.created_at),
    statusSince: str(r.status_since),
    collaborators: JSON.parse(str(r.collaborators ?? "[]")) as SessionRow["collaborators"],
  };
}

export function toExternal(r: Row): ExternalTechnicianRow {
  return { email: str(r.email), name: str(r.name), addedAt: str(r.added_at) };
}

export function toInvitation(r: Row): InvitationRow {
  return {
    id: str(r.id),
    sessionId: str(r.session_id),
    inviterId: str(r.inviter_id),
    kind: str(r.kind) as InvitationRow["kind"],
    via: str(r.via) as InvitationRow["via"],
    approved: Number(r.approved) === 1,
    to: strOrNull(r.to_address),
    inviteeId: strOrNull(r.invitee_id),
    permissions: JSON.parse(str(r.permissions)) as InvitationRow["permissions"],
    comment: strOrNull(r.comment),
    status: str(r.status) as InvitationRow["status"],
    pin: strOrNull(r.pin),
    pinExpiresAt: str(r.pin_expires_at),
    tokenHash: strOrNull(r.token_hash),
    createdAt: str(r.created_at),
    joinedAt: strOrNull(r.joined_at),
  };
}

export function toOutbox(r: Row): OutboxRow {
  return { channel: str(r.channel) as OutboxRow["channel"], to: str(r.recipient), subject: strOrNull(r.subject), body: str(r.body), at: str(r.at) };
}

export function toApiKey(r: Row): ApiKeyRow {
  return {
    id: str(r.id),
    technicianId: str(r.technician_id),
    name: str(r.name),
    hash: str(r.hash),
    prefix: str(r.prefix),
    createdAt: str(r.created_at),
    lastUsedAt: strOrNull(r.last_used_at),
    revokedAt: strOrNull(r.revoked_at),
  };
}
