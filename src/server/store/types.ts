import type { CollaboratorPermission, ConnectionMethod, InvitationKind, InvitationVia, Permission, SessionLogEntry, SessionMode, SessionStatus, SessionType } from "../../protocol/index.js";

/**
 * The repository layer. Every method is async so that a PostgreSQL store can implement the
 * same interface; the SQLite store answers synchronously underneath. Times are ISO strings.
 */
export interface GroupRow {
  name: string;
  permissions: Permission[];
  pinExpiryMinutes: number;
  maxTechnicians: number;
  createdAt: string;
}

export interface TechnicianRow {
  id: string;
  email: string;
  name: string;
  group: string;
  admin: boolean;
  passwordHash: string;
  createdAt: string;
  /** When an administrator disabled the account (reversible); null or absent while it may log in. */
  disabledAt?: string | null;
  /** When an administrator removed the account: the row stays so the session log still names them. */
  removedAt?: string | null;
}

/** Fields an administrator may change on a technician. */
export type TechnicianPatch = Partial<Pick<TechnicianRow, "group" | "passwordHash" | "disabledAt" | "removedAt">>;

export interface TokenRow {
  hash: string;
  technicianId: string;
  expiresAt: string;
  createdAt: string;
}

export interface SessionRow {
  id: string;
  technicianId: string;
  /** Joined from technicians, for the protocol's `technician` field. */
  technicianEmail: string;
  name: string;
  type: SessionType;
  mode: SessionMode;
  status: SessionStatus;
  method: ConnectionMethod;
  pin: string | null;
  pinExpiresAt: string | null;
  recordable: boolean;
  customerJoined: boolean;
  customerCamera: boolean;
  customerMicrophone: boolean;
  eulaAcceptedAt: string | null;
  /** SHA-256 (hex) of the customer's resume credential; null before they join. */
  customerResumeHash: string | null;
  /** When the customer's connection dropped; null while connected. They may resume for a grace period. */
  customerAwaySince: string | null;
  /** JSON of the protocol's Delivery, when the link was sent by SMS or email. */
  delivery: string | null;
  createdAt: string;
  statusSince: string;
  /** Technicians who joined by invitation. */
  collaborators: CollaboratorRow[];
}

/** One collaborator of a session, stored with the session so every push knows whom to reach. */
export interface CollaboratorRow {
  /** The invitation id (the customer's peer name). */
  id: string;
  /** Where pushes go: the technician's id, or the external technician's scoped id. */
  technicianId: string;
  technician: string;
  external: boolean;
  permissions: CollaboratorPermission[];
  joinedAt: string;
}

export interface InvitationRow {
  id: string;
  sessionId: string;
  inviterId: string;
  kind: InvitationKind;
  via: InvitationVia;
  /** External only: on the admins' approved list. */
  approved: boolean;
  to: string | null;
  /** The internal technician invited; null for external ones. */
  inviteeId: string | null;
  permissions: CollaboratorPermission[];
  comment: string | null;
  status: "pending" | "joined" | "removed" | "expired";
  pin: string | null;
  pinExpiresAt: string;
  /** SHA-256 of an external technician's session-scoped token. */
  tokenHash: string | null;
  createdAt: string;
  joinedAt: string | null;
}

export interface ExternalTechnicianRow {
  email: string;
  name: string;
  addedAt: string;
}

export type InvitationPatch = Partial<Pick<InvitationRow, "status" | "pin" | "tokenHash" | "joinedAt" | "permissions">>;

/** Fields a session update may change. */
export type SessionPatch = Partial<
  Pick<
    SessionRow,
    "status" | "pin" | "pinExpiresAt" | "customerJoined" | "customerCamera" | "customerMicrophone" | "eulaAcceptedAt" | "delivery" | "statusSince" | "technicianId" | "collaborators" | "customerResumeHash" | "customerAwaySince"
  >
>;

/** A technician's integration key; only its SHA-256 is stored. */
export interface ApiKeyRow {
  id: string;
  technicianId: string;
  name: string;
  hash: string;
  /** The first characters of the key, to tell keys apart. */
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface OutboxRow {
  channel: "sms" | "email";
  to: string;
  subject: string | null;
  body: string;
  at: string;
}

export interface Store {
  /** The engine underneath: "sqlite" (one process, a file in the data folder) or "postgres" (any number of nodes). */
  readonly engine: "sqlite" | "postgres";
  /**
   * Runs `job` while no other job holding any of `keys` runs, in this process or, on PostgreSQL,
   * in any process on the same database: a check and the write it guards cannot interleave.
   * SQLite: one in-process queue (keys are not told apart). PostgreSQL: one transaction holding
   * `pg_advisory_xact_lock` on each key; the store's calls inside the job (same async context) run
   * on that transaction. Writes the job made before it threw are kept, as on SQLite; a failed
   * statement rolls the whole job back. Jobs do not nest across different keys.
   */
  exclusive<T>(keys: readonly string[], job: () => Promise<T>): Promise<T>;
  groups: {
    list(): Promise<GroupRow[]>;
    get(name: string): Promise<GroupRow | undefined>;
    insert(group: GroupRow): Promise<void>;
    update(name: string, patch: Partial<Pick<GroupRow, "permissions" | "pinExpiryMinutes" | "maxTechnicians">>): Promise<void>;
    /** Deletes the group; false when there is none. A group still referred to by a technician is a conflict. */
    delete(name: string): Promise<boolean>;
  };
  technicians: {
    list(): Promise<TechnicianRow[]>;
    byId(id: string): Promise<TechnicianRow | undefined>;
    byEmail(email: string): Promise<TechnicianRow | undefined>;
    insert(technician: TechnicianRow): Promise<void>;
    /** Changes the given fields of technician `id`; false when there is none. */
    update(id: string, patch: TechnicianPatch): Promise<boolean>;
    /** Administrators who may log in: neither disabled nor removed. */
    countAdmins(): Promise<number>;
  };
  tokens: {
    insert(token: TokenRow): Promise<void>;
    get(hash: string): Promise<TokenRow | undefined>;
    /** The token with its technician and their group, in one query (every request asks); undefined when any of them is missing. */
    withOwner(hash: string): Promise<{ token: TokenRow; technician: TechnicianRow; group: GroupRow } | undefined>;
    delete(hash: string): Promise<void>;
    /** Revokes every login token of one technician; resolves with their hashes (their sockets close by hash too). */
    deleteByTechnician(technicianId: string): Promise<string[]>;
    deleteExpired(now: string): Promise<void>;
  };
  sessions: {
    insert(session: Omit<SessionRow, "technicianEmail" | "collaborators">): Promise<void>;
    get(id: string): Promise<SessionRow | undefined>;
    byPin(pin: string): Promise<SessionRow | undefined>;
    /** Whether a session holds this PIN (a lighter byPin, for picking a free one). */
    pinTaken(pin: string): Promise<boolean>;
    update(id: string, patch: SessionPatch): Promise<void>;
    /** A technician's sessions in the given statuses, newest first. */
    listByTechnician(technicianId: string, statuses: readonly SessionStatus[]): Promise<SessionRow[]>;
    /** Sessions in the given statuses whose status changed at or after `since`. */
    listByTechnicianSince(technicianId: string, statuses: readonly SessionStatus[], since: string): Promise<SessionRow[]>;
    /** Sessions still waiting for a customer whose PIN expired before `now` (and is still held). */
    listExpiredPins(now: string): Promise<SessionRow[]>;
    /** Sessions not ended whose customer had joined: at start-up, none of those customers is connected. */
    listJoinedLive(): Promise<SessionRow[]>;
    /** Sessions not ended whose customer is marked away (customerAwaySince set), oldest mark first. */
    listAwayLive(): Promise<SessionRow[]>;
    /** Sessions holding a PIN that has not expired at `now`: all, or one technician's. */
    countLivePins(now: string, technicianId?: string): Promise<number>;
    /**
     * In one query, the live PINs (not expired at `now`) of one technician's sessions, and of all
     * sessions and invitations together: the caps a new session must fit under.
     */
    livePinCounts(now: string, technicianId: string): Promise<{ technician: number; all: number }>;
    /** How many sessions are in each status (statuses with none may be left out), for the metrics. */
    countByStatus(): Promise<Partial<Record<SessionStatus, number>>>;
  };
  invitations: {
    insert(invitation: InvitationRow): Promise<void>;
    get(id: string): Promise<InvitationRow | undefined>;
    byPin(pin: string): Promise<InvitationRow | undefined>;
    byTokenHash(hash: string): Promise<InvitationRow | undefined>;
    update(id: string, patch: InvitationPatch): Promise<void>;
    listBySession(sessionId: string): Promise<InvitationRow[]>;
    /** Invitations addressed to an internal technician, in the given statuses. */
    listByInvitee(technicianId: string, statuses: readonly InvitationRow["status"][]): Promise<InvitationRow[]>;
    /** Invitations holding a PIN that has not expired at `now`. */
    countLivePins(now: string): Promise<number>;
  };
  externalTechnicians: {
    list(): Promise<ExternalTechnicianRow[]>;
    get(email: string): Promise<ExternalTechnicianRow | undefined>;
    insert(row: ExternalTechnicianRow): Promise<void>;
    /** Withdraws an approval; false when the address was not approved. */
    delete(email: string): Promise<boolean>;
  };
  sessionLog: {
    append(sessionId: string, entry: SessionLogEntry): Promise<void>;
    /** Several entries of one session in one statement, in this order. */
    appendAll(sessionId: string, entries: readonly SessionLogEntry[]): Promise<void>;
    list(sessionId: string): Promise<SessionLogEntry[]>;
  };
  apiKeys: {
    insert(key: ApiKeyRow): Promise<void>;
    byHash(hash: string): Promise<ApiKeyRow | undefined>;
    /** A technician's keys, revoked ones included, newest first. */
    listByTechnician(technicianId: string): Promise<ApiKeyRow[]>;
    /** Marks a live key of this technician revoked; false when there is none. */
    revoke(id: string, technicianId: string, at: string): Promise<boolean>;
    touch(id: string, at: string): Promise<void>;
  };
  outbox: {
    append(row: OutboxRow): Promise<void>;
    list(): Promise<OutboxRow[]>;
  };
  /** Closes the file or the connection pool; queued calls finish first on PostgreSQL. */
  close(): Promise<void>;
}
