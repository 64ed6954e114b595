import Database from "better-sqlite3";
import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { TERMINAL_STATUSES, type SessionLogEntry, type SessionStatus } from "../../protocol/index.js";
import { MIGRATIONS } from "./migrations.js";
import type { ApiKeyRow, ExternalTechnicianRow, GroupRow, InvitationPatch, InvitationRow, OutboxRow, SessionPatch, SessionRow, Store, TechnicianRow, TokenRow } from "./types.js";

export const DATABASE_FILE = "rescue.db";

type Row = Record<string, unknown>;

const SESSION_COLUMNS: Record<keyof SessionPatch, string> = {
  status: "status",
  pin: "pin",
  pinExpiresAt: "pin_expires_at",
  customerJoined: "customer_joined",
  customerCamera: "customer_camera",
  customerMicrophone: "customer_microphone",
  eulaAcceptedAt: "eula_accepted_at",
  delivery: "delivery",
  statusSince: "status_since",
  technicianId: "technician_id",
  collaborators: "collaborators",
  customerResumeHash: "customer_resume_hash",
  customerAwaySince: "customer_away_since",
};

const INVITATION_COLUMNS: Record<keyof InvitationPatch, string> = {
  status: "status",
  pin: "pin",
  tokenHash: "token_hash",
  joinedAt: "joined_at",
  permissions: "permissions",
};

const SELECT_SESSION = `SELECT s.*, t.email AS technician_email FROM sessions s JOIN technicians t ON t.id = s.technician_id`;

/** Whether the data folder already holds a store. */
export function storeExists(dataDir: string): boolean {
  return existsSync(join(dataDir, DATABASE_FILE));
}

/** Opens (creating when needed) the SQLite store in `dataDir` and applies pending migrations. */
export function openSqliteStore(dataDir: string): Store {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
  const file = join(dataDir, DATABASE_FILE);
  const db = new Database(file);
  chmodSync(file, 0o600);
  db.pragma("journal_mode = WAL");
  // In WAL mode NORMAL never corrupts; a power cut may lose the last commits, not the store.
  db.pragma("synchronous = NORMAL");
  db.pragma("foreign_keys = ON");
  db.pragma("busy_timeout = 5000");
  // SQLite creates the -wal and -shm side files with the database file's mode, 0600.
  migrate(db);

  const stmt = memo(db);
  const inList = (values: readonly string[]) => values.map(() => "?").join(", ");

  return {
    groups: {
      list: async () => stmt("SELECT * FROM groups ORDER BY name").all().map((r) => toGroup(r as Row)),
      get: async (name) => maybe(stmt("SELECT * FROM groups WHERE name = ?").get(name), toGroup),
      insert: async (g) => {
        stmt("INSERT INTO groups (name, permissions, pin_expiry_minutes, max_technicians, created_at) VALUES (?, ?, ?, ?, ?)").run(
          g.name, JSON.stringify(g.permissions), g.pinExpiryMinutes, g.maxTechnicians, g.createdAt,
        );
      },
      update: async (name, patch) => {
        const current = maybe(stmt("SELECT * FROM groups WHERE name = ?").get(name), toGroup);
        if (!current) return;
        const next = { ...current, ...patch };
        stmt("UPDATE groups SET permissions = ?, pin_expiry_minutes = ?, max_technicians = ? WHERE name = ?").run(
          JSON.stringify(next.permissions), next.pinExpiryMinutes, next.maxTechnicians, name,
        );
      },
    },
    technicians: {
      list: async () => stmt("SELECT * FROM technicians ORDER BY email").all().map((r) => toTechnician(r as Row)),
      byId: async (id) => maybe(stmt("SELECT * FROM technicians WHERE id = ?").get(id), toTechnician),
      byEmail: async (email) => maybe(stmt("SELECT * FROM technicians WHERE email = ?").get(email), toTechnician),
      insert: async (t) => {
        stmt("INSERT INTO technicians (id, email, name, group_name, admin, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)").run(
          t.id, t.email, t.name, t.group, t.admin ? 1 : 0, t.passwordHash, t.createdAt,
        );
      },
      countAdmins: async () => Number((stmt("SELECT COUNT(*) AS n FROM technicians WHERE admin = 1").get() as Row).n),
    },
    tokens: {
      insert: async (t) => {
        stmt("INSERT INTO tokens (hash, technician_id, expires_at, created_at) VALUES (?, ?, ?, ?)").run(t.hash, t.technicianId, t.expiresAt, t.createdAt);
      },
      get: async (hash) => maybe(stmt("SELECT * FROM tokens WHERE hash = ?").get(hash), toToken),
      delete: async (hash) => {
        stmt("DELETE FROM tokens WHERE hash = ?").run(hash);
      },
      deleteExpired: async (now) => {
        stmt("DELETE FROM tokens WHERE expires_at < ?").run(now);
      },
    },
    sessions: {
      insert: async (s) => {
        stmt(
          `INSERT INTO sessions (id, technician_id, name, type, mode, status, method, pin, pin_expires_at, recordable,
             customer_joined, customer_camera, customer_microphone, eula_accepted_at, delivery, created_at, status_since)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          s.id, s.technicianId, s.name, s.type, s.mode, s.status, s.method, s.pin, s.pinExpiresAt, s.recordable ? 1 : 0,
          s.customerJoined ? 1 : 0, s.customerCamera ? 1 : 0, s.customerMicrophone ? 1 : 0, s.eulaAcceptedAt, s.delivery,
          s.createdAt, s.statusSince,
        );
      },
      get: async (id) => maybe(stmt(`${SELECT_SESSION} WHERE s.id = ?`).get(id), toSession),
      byPin: async (pin) => maybe(stmt(`${SELECT_SESSION} WHERE s.pin = ?`).get(pin), toSession),
      update: async (id, patch) => {
        const keys = Object.keys(patch) as (keyof SessionPatch)[];
        if (keys.length === 0) return;
        const sets = keys.map((k) => `${SESSION_COLUMNS[k]} = ?`).join(", ");
        const values = keys.map((k) => toColumn(patch[k]));
        stmt(`UPDATE sessions SET ${sets} WHERE id = ?`).run(...values, id);
      },
      listByTechnician: async (technicianId, statuses) =>
        statuses.length === 0
          ? []
          : stmt(`${SELECT_SESSION} WHERE s.technician_id = ? AND s.status IN (${inList(statuses)}) ORDER BY s.created_at DESC`)
              .all(technicianId, ...statuses)
              .map((r) => toSession(r as Row)),
      listByTechnicianSince: async (technicianId, statuses: readonly SessionStatus[], since) =>
        statuses.length === 0
          ? []
          : stmt(
              `${SELECT_SESSION} WHERE s.technician_id = ? AND s.status IN (${inList(statuses)}) AND s.status_since >= ? ORDER BY s.created_at DESC`,
            )
              .all(technicianId, ...statuses, since)
              .map((r) => toSession(r as Row)),
      listExpiredPins: async (now) =>
        stmt(`${SELECT_SESSION} WHERE s.status = 'connecting' AND s.customer_joined = 0 AND s.pin_expires_at < ?`)
          .all(now)
          .map((r) => toSession(r as Row)),
      listJoinedLive: async () =>
        stmt(`${SELECT_SESSION} WHERE s.customer_joined = 1 AND s.status NOT IN (${inList(TERMINAL_STATUSES)})`)
          .all(...TERMINAL_STATUSES)
          .map((r) => toSession(r as Row)),
      countLivePins: async (now, technicianId) => {
        const live = "pin IS NOT NULL AND (pin_expires_at IS NULL OR pin_expires_at > ?)";
        const row = technicianId
          ? stmt(`SELECT COUNT(*) AS n FROM sessions WHERE ${live} AND technician_id = ?`).get(now, technicianId)
          : stmt(`SELECT COUNT(*) AS n FROM sessions WHERE ${live}`).get(now);
        return Number((row as { n: number }).n);
      },
      countByStatus: async () => {
        const rows = stmt("SELECT status, COUNT(*) AS n FROM sessions GROUP BY status").all() as { status: SessionStatus; n: number }[];
        return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
      },
    },
    invitations: {
      insert: async (i) => {
        stmt(
          `INSERT INTO invitations (id, session_id, inviter_id, kind, via, approved, to_address, invitee_id, permissions, comment, status, pin,
             pin_expires_at, token_hash, created_at, joined_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(
          i.id, i.sessionId, i.inviterId, i.kind, i.via, i.approved ? 1 : 0, i.to, i.inviteeId, JSON.stringify(i.permissions), i.comment, i.status,
          i.pin, i.pinExpiresAt, i.tokenHash, i.createdAt, i.joinedAt,
        );
      },
      get: async (id) => maybe(stmt("SELECT * FROM invitations WHERE id = ?").get(id), toInvitation),
      byPin: async (pin) => maybe(stmt("SELECT * FROM invitations WHERE pin = ?").get(pin), toInvitation),
      byTokenHash: async (hash) => maybe(stmt("SELECT * FROM invitations WHERE token_hash = ?").get(hash), toInvitation),
      update: async (id, patch) => {
        const keys = Object.keys(patch) as (keyof InvitationPatch)[];
        if (keys.length === 0) return;
        const sets = keys.map((k) => `${INVITATION_COLUMNS[k]} = ?`).join(", ");
        stmt(`UPDATE invitations SET ${sets} WHERE id = ?`).run(...keys.map((k) => toColumn(patch[k])), id);
      },
      listBySession: async (sessionId) =>
        stmt("SELECT * FROM invitations WHERE session_id = ? ORDER BY created_at, id").all(sessionId).map((r) => toInvitation(r as Row)),
      listByInvitee: async (technicianId, statuses) =>
        statuses.length === 0
          ? []
          : stmt(`SELECT * FROM invitations WHERE invitee_id = ? AND status IN (${inList(statuses)}) ORDER BY created_at DESC`)
              .all(technicianId, ...statuses)
              .map((r) => toInvitation(r as Row)),
      countLivePins: async (now) => Number((stmt("SELECT COUNT(*) AS n FROM invitations WHERE pin IS NOT NULL AND pin_expires_at > ?").get(now) as { n: number }).n),
    },
    externalTechnicians: {
      list: async () => stmt("SELECT * FROM external_technicians ORDER BY email").all().map((r) => toExternal(r as Row)),
      get: async (email) => maybe(stmt("SELECT * FROM external_technicians WHERE email = ?").get(email), toExternal),
      insert: async (e) => {
        stmt("INSERT INTO external_technicians (email, name, added_at) VALUES (?, ?, ?)").run(e.email, e.name, e.addedAt);
      },
    },
    sessionLog: {
      append: async (sessionId, entry: SessionLogEntry) => {
        stmt("INSERT INTO session_log (session_id, at, event, entry) VALUES (?, ?, ?, ?)").run(sessionId, entry.at, entry.event, JSON.stringify(entry));
      },
      list: async (sessionId) =>
        stmt("SELECT entry FROM session_log WHERE session_id = ? ORDER BY seq").all(sessionId).map((r) => JSON.parse(String((r as Row).entry)) as SessionLogEntry),
    },
    apiKeys: {
      insert: async (k) => {
        stmt("INSERT INTO api_keys (id, technician_id, name, hash, prefix, created_at, last_used_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)").run(
          k.id, k.technicianId, k.name, k.hash, k.prefix, k.createdAt, k.lastUsedAt, k.revokedAt,
        );
      },
      byHash: async (hash) => maybe(stmt("SELECT * FROM api_keys WHERE hash = ?").get(hash), toApiKey),
      listByTechnician: async (technicianId) =>
        stmt("SELECT * FROM api_keys WHERE technician_id = ? ORDER BY created_at DESC, id").all(technicianId).map((r) => toApiKey(r as Row)),
      revoke: async (id, technicianId, at) =>
        stmt("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND technician_id = ? AND revoked_at IS NULL").run(at, id, technicianId).changes > 0,
      touch: async (id, at) => {
        stmt("UPDATE api_keys SET last_used_at = ? WHERE id = ?").run(at, id);
      },
    },
    outbox: {
      append: async (o) => {
        stmt("INSERT INTO outbox (channel, recipient, subject, body, at) VALUES (?, ?, ?, ?, ?)").run(o.channel, o.to, o.subject, o.body, o.at);
      },
      list: async () => stmt("SELECT * FROM outbox ORDER BY seq").all().map((r) => toOutbox(r as Row)),
    },
    close: () => db.close(),
  };
}

function migrate(db: Database.Database): void {
  db.exec("CREATE TABLE IF NOT EXISTS migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
  const applied = new Set(db.prepare("SELECT id FROM migrations").all().map((r) => Number((r as Row).id)));
  for (const m of MIGRATIONS) {
    if (applied.has(m.id)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare("INSERT INTO migrations (id, name, applied_at) VALUES (?, ?, ?)").run(m.id, m.name, new Date().toISOString());
    })();
  }
}

/** Prepared statements are compiled once per SQL text. */
function memo(db: Database.Database): (sql: string) => Database.Statement {
  const cache = new Map<string, Database.Statement>();
  return (sql) => {
    let s = cache.get(sql);
    if (!s) {
      s = db.prepare(sql);
      cache.set(sql, s);
    }
    return s;
  };
}

function maybe<T>(row: unknown, map: (r: Row) => T): T | undefined {
  return row === undefined ? undefined : map(row as Row);
}

function toColumn(v: unknown): unknown {
  if (Array.isArray(v)) return JSON.stringify(v);
  return typeof v === "boolean" ? (v ? 1 : 0) : v;
}

const str = (v: unknown) => String(v);
const strOrNull = (v: unknown) => (v === null || v === undefined ? null : String(v));

function toGroup(r: Row): GroupRow {
  return {
    name: str(r.name),
    permissions: JSON.parse(str(r.permissions)) as GroupRow["permissions"],
    pinExpiryMinutes: Number(r.pin_expiry_minutes),
    maxTechnicians: Number(r.max_technicians),
    createdAt: str(r.created_at),
  };
}

function toTechnician(r: Row): TechnicianRow {
  return {
    id: str(r.id),
    email: str(r.email),
    name: str(r.name),
    group: str(r.group_name),
    admin: Number(r.admin) === 1,
    passwordHash: str(r.password_hash),
    createdAt: str(r.created_at),
  };
}

function toToken(r: Row): TokenRow {
  return { hash: str(r.hash), technicianId: str(r.technician_id), expiresAt: str(r.expires_at), createdAt: str(r.created_at) };
}

function toSession(r: Row): SessionRow {
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

function toExternal(r: Row): ExternalTechnicianRow {
  return { email: str(r.email), name: str(r.name), addedAt: str(r.added_at) };
}

function toInvitation(r: Row): InvitationRow {
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

function toOutbox(r: Row): OutboxRow {
  return { channel: str(r.channel) as OutboxRow["channel"], to: str(r.recipient), subject: strOrNull(r.subject), body: str(r.body), at: str(r.at) };
}

function toApiKey(r: Row): ApiKeyRow {
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
