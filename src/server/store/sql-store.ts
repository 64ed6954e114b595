import { ALREADY_EXISTS, RescueError, TERMINAL_STATUSES, type SessionLogEntry, type SessionStatus } from "../../protocol/index.js";
import { maybe, toApiKey, toColumn, toExternal, toGroup, toInvitation, toOutbox, toSession, toTechnician, toToken, type Row } from "./rows.js";
import type { InvitationPatch, SessionPatch, Store, TechnicianPatch } from "./types.js";

/**
 * What the shared query layer needs from an engine. SQL uses `?` placeholders (the PostgreSQL
 * driver numbers them); a unique violation must be thrown as `uniqueViolation()`.
 */
export interface SqlDriver {
  /** The rows a query returns. */
  all(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs a statement; resolves with how many rows it changed. */
  run(sql: string, params?: readonly unknown[]): Promise<number>;
}

/**
 * What either engine throws when an insert or update would duplicate a unique key (email, PIN,
 * hash ...): the thing is there already (ALREADY_EXISTS), as when a check before the insert finds it.
 */
export function uniqueViolation(): RescueError {
  return new RescueError("conflict", "that value is already taken (a unique key of the store)", { reason: ALREADY_EXISTS });
}

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

const TECHNICIAN_COLUMNS: Record<keyof TechnicianPatch, string> = {
  group: "group_name",
  passwordHash: "password_hash",
  disabledAt: "disabled_at",
  removedAt: "removed_at",
};

const SELECT_SESSION = `SELECT s.*, t.email AS technician_email FROM sessions s JOIN technicians t ON t.id = s.technician_id`;
// Rows created in the same millisecond keep one order on both engines: the id breaks the tie.
const NEWEST_SESSIONS = "ORDER BY s.created_at DESC, s.id DESC";

/**
 * Sessions with a live PIN at `?` (now): those holding a PIN (pin_totals, kept by triggers in the
 * same transactions: migration 6) less those whose PIN expired but is not cleared yet, which the
 * sweep keeps few. A NULL expiry never expires. One index range of the expired, not of every live PIN.
 */
const LIVE_SESSION_PINS = `(SELECT n FROM pin_totals WHERE name = 'sessions') -
    (SELECT COUNT(*) FROM sessions WHERE pin IS NOT NULL AND pin_expires_at <= ?)`;

const LIVE_PIN_COUNTS = `SELECT
    (SELECT COUNT(*) FROM sessions WHERE pin IS NOT NULL AND pin_expires_at > ? AND technician_id = ?) +
    (SELECT COUNT(*) FROM sessions WHERE pin IS NOT NULL AND pin_expires_at IS NULL AND technician_id = ?) AS technician,
    ${LIVE_SESSION_PINS} +
    (SELECT COUNT(*) FROM invitations WHERE pin IS NOT NULL AND pin_expires_at > ?) AS all_pins`;

/**
 * The repository queries, in SQL both SQLite and PostgreSQL read (text columns compare
 * byte-wise on both: see migrations.ts), over an engine's driver. `exclusive` and `close` are
 * the engine's own.
 */
export function sqlStore(db: SqlDriver, engine: Pick<Store, "engine" | "exclusive" | "close">): Store {
  const one = async (sql: string, params: readonly unknown[]) => (await db.all(sql, params))[0];
  const inList = (values: readonly string[]) => values.map(() => "?").join(", ");
  const count = async (sql: string, params: readonly unknown[]) => Number((await one(sql, params))!.n);

  return {
    engine: engine.engine,
    exclusive: engine.exclusive,
    close: engine.close,
    groups: {
      list: async () => (await db.all("SELECT * FROM groups ORDER BY name")).map(toGroup),
      get: async (name) => maybe(await one("SELECT * FROM groups WHERE name = ?", [name]), toGroup),
      insert: async (g) => {
        await db.run("INSERT INTO groups (name, permissions, pin_expiry_minutes, max_technicians, created_at) VALUES (?, ?, ?, ?, ?)", [
          g.name, JSON.stringify(g.permissions), g.pinExpiryMinutes, g.maxTechnicians, g.createdAt,
        ]);
      },
      update: async (name, patch) => {
        const current = maybe(await one("SELECT * FROM groups WHERE name = ?", [name]), toGroup);
        if (!current) return;
        const next = { ...current, ...patch };
        await db.run("UPDATE groups SET permissions = ?, pin_expiry_minutes = ?, max_technicians = ? WHERE name = ?", [
          JSON.stringify(next.permissions), next.pinExpiryMinutes, next.maxTechnicians, name,
        ]);
      },
      delete: async (name) => {
        // A technician's group_name refers to it: checked first, so both engines answer the same conflict.
        if (await one("SELECT 1 AS used FROM technicians WHERE group_name = ?", [name])) {
          throw new RescueError("conflict", `group "${name}" still has technicians`);
        }
        return (await db.run("DELETE FROM groups WHERE name = ?", [name])) > 0;
      },
    },
    technicians: {
      list: async () => (await db.all("SELECT * FROM technicians ORDER BY email")).map(toTechnician),
      byId: async (id) => maybe(await one("SELECT * FROM technicians WHERE id = ?", [id]), toTechnician),
      byEmail: async (email) => maybe(await one("SELECT * FROM technicians WHERE email = ?", [email]), toTechnician),
      insert: async (t) => {
        await db.run("INSERT INTO technicians (id, email, name, group_name, admin, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)", [
          t.id, t.email, t.name, t.group, t.admin ? 1 : 0, t.passwordHash, t.createdAt,
        ]);
      },
      update: async (id, patch) => {
        const keys = Object.keys(patch) as (keyof TechnicianPatch)[];
        if (keys.length === 0) return (await one("SELECT 1 AS found FROM technicians WHERE id = ?", [id])) !== undefined;
        const sets = keys.map((k) => `${TECHNICIAN_COLUMNS[k]} = ?`).join(", ");
        return (await db.run(`UPDATE technicians SET ${sets} WHERE id = ?`, [...keys.map((k) => patch[k] ?? null), id])) > 0;
      },
      countAdmins: () => count("SELECT COUNT(*) AS n FROM technicians WHERE admin = 1 AND disabled_at IS NULL AND removed_at IS NULL", []),
    },
    tokens: {
      insert: async (t) => {
        await db.run("INSERT INTO tokens (hash, technician_id, expires_at, created_at) VALUES (?, ?, ?, ?)", [t.hash, t.technicianId, t.expiresAt, t.createdAt]);
      },
      get: async (hash) => maybe(await one("SELECT * FROM tokens WHERE hash = ?", [hash]), toToken),
      withOwner: async (hash) => {
        const r = await one(
          `SELECT k.hash AS k_hash, k.technician_id AS k_technician_id, k.expires_at AS k_expires_at, k.created_at AS k_created_at,
                  g.name AS g_name, g.permissions AS g_permissions, g.pin_expiry_minutes AS g_pin_expiry_minutes,
                  g.max_technicians AS g_max_technicians, g.created_at AS g_created_at, t.*
             FROM tokens k JOIN technicians t ON t.id = k.technician_id JOIN groups g ON g.name = t.group_name WHERE k.hash = ?`,
          [hash],
        );
        if (!r) return undefined;
        // Named one by one: every request authenticates, and walking the row's entries cost more than the query.
        return {
          token: toToken({ hash: r.k_hash, technician_id: r.k_technician_id, expires_at: r.k_expires_at, created_at: r.k_created_at }),
          technician: toTechnician(r),
          group: toGroup({ name: r.g_name, permissions: r.g_permissions, pin_expiry_minutes: r.g_pin_expiry_minutes, max_technicians: r.g_max_technicians, created_at: r.g_created_at }),
        };
      },
      delete: async (hash) => {
        await db.run("DELETE FROM tokens WHERE hash = ?", [hash]);
      },
      deleteByTechnician: async (technicianId) => {
        const hashes = (await db.all("SELECT hash FROM tokens WHERE technician_id = ?", [technicianId])).map((r) => String(r.hash));
        if (hashes.length > 0) await db.run(`DELETE FROM tokens WHERE hash IN (${inList(hashes)})`, hashes);
        return hashes;
      },
      deleteExpired: async (now) => {
        await db.run("DELETE FROM tokens WHERE expires_at < ?", [now]);
      },
    },
    sessions: {
      insert: async (s) => {
        await db.run(
          `INSERT INTO sessions (id, technician_id, name, type, mode, status, method, pin, pin_expires_at, recordable,
             customer_joined, customer_camera, customer_microphone, eula_accepted_at, customer_resume_hash, customer_away_since,
             delivery, created_at, status_since)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            s.id, s.technicianId, s.name, s.type, s.mode, s.status, s.method, s.pin, s.pinExpiresAt, s.recordable ? 1 : 0,
            s.customerJoined ? 1 : 0, s.customerCamera ? 1 : 0, s.customerMicrophone ? 1 : 0, s.eulaAcceptedAt, s.customerResumeHash,
            s.customerAwaySince, s.delivery, s.createdAt, s.statusSince,
          ],
        );
      },
      get: async (id) => maybe(await one(`${SELECT_SESSION} WHERE s.id = ?`, [id]), toSession),
      byPin: async (pin) => maybe(await one(`${SELECT_SESSION} WHERE s.pin = ?`, [pin]), toSession),
      pinTaken: async (pin) => (await one("SELECT 1 AS taken FROM sessions WHERE pin = ?", [pin])) !== undefined,
      update: async (id, patch) => {
        const keys = Object.keys(patch) as (keyof SessionPatch)[];
        if (keys.length === 0) return;
        const sets = keys.map((k) => `${SESSION_COLUMNS[k]} = ?`).join(", ");
        await db.run(`UPDATE sessions SET ${sets} WHERE id = ?`, [...keys.map((k) => toColumn(patch[k])), id]);
      },
      listByTechnician: async (technicianId, statuses) =>
        statuses.length === 0
          ? []
          : (await db.all(`${SELECT_SESSION} WHERE s.technician_id = ? AND s.status IN (${inList(statuses)}) ${NEWEST_SESSIONS}`, [technicianId, ...statuses])).map(toSession),
      listByTechnicianSince: async (technicianId, statuses: readonly SessionStatus[], since) =>
        statuses.length === 0
          ? []
          : (
              await db.all(`${SELECT_SESSION} WHERE s.technician_id = ? AND s.status IN (${inList(statuses)}) AND s.status_since >= ? ${NEWEST_SESSIONS}`, [
                technicianId, ...statuses, since,
              ])
            ).map(toSession),
      listExpiredPins: async (now) =>
        // Only a session holding a PIN has one to expire: the expired part of the live-PIN index, not every session.
        (
          await db.all(`${SELECT_SESSION} WHERE s.pin IS NOT NULL AND s.status = 'connecting' AND s.customer_joined = 0 AND s.pin_expires_at < ? ORDER BY s.created_at, s.id`, [now])
        ).map(toSession),
      listJoinedLive: async () =>
        (await db.all(`${SELECT_SESSION} WHERE s.customer_joined = 1 AND s.status NOT IN (${inList(TERMINAL_STATUSES)}) ORDER BY s.created_at, s.id`, [...TERMINAL_STATUSES])).map(
          toSession,
        ),
      listAwayLive: async () =>
        (
          await db.all(`${SELECT_SESSION} WHERE s.customer_away_since IS NOT NULL AND s.status NOT IN (${inList(TERMINAL_STATUSES)}) ORDER BY s.customer_away_since, s.id`, [
            ...TERMINAL_STATUSES,
          ])
        ).map(toSession),
      countLivePins: (now, technicianId) => {
        if (!technicianId) return count(`SELECT ${LIVE_SESSION_PINS} AS n`, [now]);
        // A PIN without an expiry, and one not expired yet, counted apart: each is then a range of
        // the partial live-PIN indexes (an OR of both would walk every PIN through the table).
        return count(
          `SELECT (SELECT COUNT(*) FROM sessions WHERE pin IS NOT NULL AND pin_expires_at > ? AND technician_id = ?) +
                  (SELECT COUNT(*) FROM sessions WHERE pin IS NOT NULL AND pin_expires_at IS NULL AND technician_id = ?) AS n`,
          [now, technicianId, technicianId],
        );
      },
      livePinCounts: async (now, technicianId) => {
        // The same figures as countLivePins (with and without the technician), in one statement.
        const r = (await one(LIVE_PIN_COUNTS, [now, technicianId, technicianId, now, now]))!;
        return { technician: Number(r.technician), all: Number(r.all_pins) };
      },
      countByStatus: async () => {
        const rows = await db.all("SELECT status, COUNT(*) AS n FROM sessions GROUP BY status");
        return Object.fromEntries(rows.map((r) => [String(r.status), Number(r.n)]));
      },
    },
    invitations: {
      insert: async (i) => {
        await db.run(
          `INSERT INTO invitations (id, session_id, inviter_id, kind, via, approved, to_address, invitee_id, permissions, comment, status, pin,
             pin_expires_at, token_hash, created_at, joined_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            i.id, i.sessionId, i.inviterId, i.kind, i.via, i.approved ? 1 : 0, i.to, i.inviteeId, JSON.stringify(i.permissions), i.comment, i.status,
            i.pin, i.pinExpiresAt, i.tokenHash, i.createdAt, i.joinedAt,
          ],
        );
      },
      get: async (id) => maybe(await one("SELECT * FROM invitations WHERE id = ?", [id]), toInvitation),
      byPin: async (pin) => maybe(await one("SELECT * FROM invitations WHERE pin = ?", [pin]), toInvitation),
      byTokenHash: async (hash) => maybe(await one("SELECT * FROM invitations WHERE token_hash = ?", [hash]), toInvitation),
      update: async (id, patch) => {
        const keys = Object.keys(patch) as (keyof InvitationPatch)[];
        if (keys.length === 0) return;
        const sets = keys.map((k) => `${INVITATION_COLUMNS[k]} = ?`).join(", ");
        await db.run(`UPDATE invitations SET ${sets} WHERE id = ?`, [...keys.map((k) => toColumn(patch[k])), id]);
      },
      listBySession: async (sessionId) => (await db.all("SELECT * FROM invitations WHERE session_id = ? ORDER BY created_at, id", [sessionId])).map(toInvitation),
      listByInvitee: async (technicianId, statuses) =>
        statuses.length === 0
          ? []
          : (await db.all(`SELECT * FROM invitations WHERE invitee_id = ? AND status IN (${inList(statuses)}) ORDER BY created_at DESC, id DESC`, [technicianId, ...statuses])).map(
              toInvitation,
            ),
      countLivePins: (now) => count("SELECT COUNT(*) AS n FROM invitations WHERE pin IS NOT NULL AND pin_expires_at > ?", [now]),
    },
    externalTechnicians: {
      list: async () => (await db.all("SELECT * FROM external_technicians ORDER BY email")).map(toExternal),
      get: async (email) => maybe(await one("SELECT * FROM external_technicians WHERE email = ?", [email]), toExternal),
      insert: async (e) => {
        await db.run("INSERT INTO external_technicians (email, name, added_at) VALUES (?, ?, ?)", [e.email, e.name, e.addedAt]);
      },
      delete: async (email) => (await db.run("DELETE FROM external_technicians WHERE email = ?", [email])) > 0,
    },
    sessionLog: {
      append: async (sessionId, entry: SessionLogEntry) => {
        await db.run("INSERT INTO session_log (session_id, at, event, entry) VALUES (?, ?, ?, ?)", [sessionId, entry.at, entry.event, JSON.stringify(entry)]);
      },
      appendAll: async (sessionId, entries) => {
        if (entries.length === 0) return;
        // Rows of one multi-row INSERT take their sequence numbers in the order listed, on both engines.
        await db.run(
          `INSERT INTO session_log (session_id, at, event, entry) VALUES ${entries.map(() => "(?, ?, ?, ?)").join(", ")}`,
          entries.flatMap((e) => [sessionId, e.at, e.event, JSON.stringify(e)]),
        );
      },
      list: async (sessionId) =>
        (await db.all("SELECT entry FROM session_log WHERE session_id = ? ORDER BY seq", [sessionId])).map((r) => JSON.parse(String(r.entry)) as SessionLogEntry),
    },
    apiKeys: {
      insert: async (k) => {
        await db.run("INSERT INTO api_keys (id, technician_id, name, hash, prefix, created_at, last_used_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
          k.id, k.technicianId, k.name, k.hash, k.prefix, k.createdAt, k.lastUsedAt, k.revokedAt,
        ]);
      },
      byHash: async (hash) => maybe(await one("SELECT * FROM api_keys WHERE hash = ?", [hash]), toApiKey),
      listByTechnician: async (technicianId) => (await db.all("SELECT * FROM api_keys WHERE technician_id = ? ORDER BY created_at DESC, id", [technicianId])).map(toApiKey),
      revoke: async (id, technicianId, at) => (await db.run("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND technician_id = ? AND revoked_at IS NULL", [at, id, technicianId])) > 0,
      touch: async (id, at) => {
        await db.run("UPDATE api_keys SET last_used_at = ? WHERE id = ?", [at, id]);
      },
    },
    outbox: {
      append: async (o) => {
        await db.run("INSERT INTO outbox (channel, recipient, subject, body, at) VALUES (?, ?, ?, ?, ?)", [o.channel, o.to, o.subject, o.body, o.at]);
      },
      list: async () => (await db.all("SELECT * FROM outbox ORDER BY seq")).map(toOutbox),
    },
  };
}
