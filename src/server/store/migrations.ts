/** Which engine a store runs on. */
export type Engine = "sqlite" | "postgres";

/**
 * One schema change: `sql` for both engines, or `postgres` beside it where a type differs.
 * In PostgreSQL every text column is COLLATE "C": ids, emails and ISO times then sort and
 * compare byte-wise as in SQLite, whatever the database's locale; autoincrement keys are identities.
 */
export interface Migration {
  id: number;
  name: string;
  sql: string;
  postgres?: string;
}

/** The statements of `m` for `engine`. */
export function migrationSql(m: Migration, engine: Engine): string {
  return engine === "postgres" ? (m.postgres ?? m.sql) : m.sql;
}

/** A text column that compares byte-wise (PostgreSQL). */
const T = 'TEXT COLLATE "C"';

/**
 * Schema changes, applied in order once each and recorded in `migrations`. Append only: a
 * shipped migration is never edited. Booleans are INTEGER 0/1 and times ISO-8601 text on both.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: "organisation, auth, sessions, log, outbox",
    sql: `
      CREATE TABLE groups (
        name TEXT PRIMARY KEY,
        permissions TEXT NOT NULL,
        pin_expiry_minutes INTEGER NOT NULL,
        max_technicians INTEGER NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE technicians (
        id TEXT PRIMARY KEY,
        email TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        group_name TEXT NOT NULL REFERENCES groups(name),
        admin INTEGER NOT NULL,
        password_hash TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE tokens (
        hash TEXT PRIMARY KEY,
        technician_id TEXT NOT NULL REFERENCES technicians(id),
        expires_at TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        technician_id TEXT NOT NULL REFERENCES technicians(id),
        name TEXT NOT NULL,
        type TEXT NOT NULL,
        mode TEXT NOT NULL,
        status TEXT NOT NULL,
        method TEXT NOT NULL,
        pin TEXT UNIQUE,
        pin_expires_at TEXT,
        recordable INTEGER NOT NULL,
        customer_joined INTEGER NOT NULL,
        customer_camera INTEGER NOT NULL,
        customer_microphone INTEGER NOT NULL,
        eula_accepted_at TEXT,
        delivery TEXT,
        created_at TEXT NOT NULL,
        status_since TEXT NOT NULL
      );
      CREATE INDEX sessions_technician ON sessions(technician_id, status);
      CREATE TABLE session_log (
        seq INTEGER PRIMARY KEY,
        session_id TEXT NOT NULL REFERENCES sessions(id),
        at TEXT NOT NULL,
        event TEXT NOT NULL,
        entry TEXT NOT NULL
      );
      CREATE INDEX session_log_session ON session_log(session_id, seq);
      CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY,
        channel TEXT NOT NULL,
        recipient TEXT NOT NULL,
        subject TEXT,
        body TEXT NOT NULL,
        at TEXT NOT NULL
      );
    `,
    postgres: `
      CREATE TABLE groups (
        name ${T} PRIMARY KEY,
        permissions ${T} NOT NULL,
        pin_expiry_minutes INTEGER NOT NULL,
        max_technicians INTEGER NOT NULL,
        created_at ${T} NOT NULL
      );
      CREATE TABLE technicians (
        id ${T} PRIMARY KEY,
        email ${T} NOT NULL UNIQUE,
        name ${T} NOT NULL,
        group_name ${T} NOT NULL REFERENCES groups(name),
        admin INTEGER NOT NULL,
        password_hash ${T} NOT NULL,
        created_at ${T} NOT NULL
      );
      CREATE TABLE tokens (
        hash ${T} PRIMARY KEY,
        technician_id ${T} NOT NULL REFERENCES technicians(id),
        expires_at ${T} NOT NULL,
        created_at ${T} NOT NULL
      );
      CREATE TABLE sessions (
        id ${T} PRIMARY KEY,
        technician_id ${T} NOT NULL REFERENCES technicians(id),
        name ${T} NOT NULL,
        type ${T} NOT NULL,
        mode ${T} NOT NULL,
        status ${T} NOT NULL,
        method ${T} NOT NULL,
        pin ${T} UNIQUE,
        pin_expires_at ${T},
        recordable INTEGER NOT NULL,
        customer_joined INTEGER NOT NULL,
        customer_camera INTEGER NOT NULL,
        customer_microphone INTEGER NOT NULL,
        eula_accepted_at ${T},
        delivery ${T},
        created_at ${T} NOT NULL,
        status_since ${T} NOT NULL
      );
      CREATE INDEX sessions_technician ON sessions(technician_id, status);
      CREATE TABLE session_log (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        session_id ${T} NOT NULL REFERENCES sessions(id),
        at ${T} NOT NULL,
        event ${T} NOT NULL,
        entry ${T} NOT NULL
      );
      CREATE INDEX session_log_session ON session_log(session_id, seq);
      CREATE TABLE outbox (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        channel ${T} NOT NULL,
        recipient ${T} NOT NULL,
        subject ${T},
        body ${T} NOT NULL,
        at ${T} NOT NULL
      );
    `,
  },
  {
    id: 2,
    name: "api keys for the contact-center integration",
    sql: `
      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        technician_id TEXT NOT NULL REFERENCES technicians(id),
        name TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE,
        prefix TEXT NOT NULL,
        created_at TEXT NOT NULL,
        last_used_at TEXT,
        revoked_at TEXT
      );
      CREATE INDEX api_keys_technician ON api_keys(technician_id);
    `,
    postgres: `
      CREATE TABLE api_keys (
        id ${T} PRIMARY KEY,
        technician_id ${T} NOT NULL REFERENCES technicians(id),
        name ${T} NOT NULL,
        hash ${T} NOT NULL UNIQUE,
        prefix ${T} NOT NULL,
        created_at ${T} NOT NULL,
        last_used_at ${T},
        revoked_at ${T}
      );
      CREATE INDEX api_keys_technician ON api_keys(technician_id);
    `,
  },
  {
    id: 3,
    name: "technician collaboration: invitations and each session's collaborators",
    sql: `
      ALTER TABLE sessions ADD COLUMN collaborators TEXT NOT NULL DEFAULT '[]';
      CREATE TABLE invitations (
        id TEXT PRIMARY KEY,
        session_id TEXT NOT NULL REFERENCES sessions(id),
        inviter_id TEXT NOT NULL REFERENCES technicians(id),
        kind TEXT NOT NULL,
        via TEXT NOT NULL,
        to_address TEXT,
        invitee_id TEXT REFERENCES technicians(id),
        permissions TEXT NOT NULL,
        comment TEXT,
        status TEXT NOT NULL,
        pin TEXT UNIQUE,
        pin_expires_at TEXT NOT NULL,
        token_hash TEXT UNIQUE,
        created_at TEXT NOT NULL,
        joined_at TEXT
      );
      CREATE INDEX invitations_session ON invitations(session_id);
      CREATE INDEX invitations_invitee ON invitations(invitee_id, status);
      ALTER TABLE invitations ADD COLUMN approved INTEGER NOT NULL DEFAULT 0;
      CREATE TABLE external_technicians (
        email TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        added_at TEXT NOT NULL
      );
    `,
    postgres: `
      ALTER TABLE sessions ADD COLUMN collaborators ${T} NOT NULL DEFAULT '[]';
      CREATE TABLE invitations (
        id ${T} PRIMARY KEY,
        session_id ${T} NOT NULL REFERENCES sessions(id),
        inviter_id ${T} NOT NULL REFERENCES technicians(id),
        kind ${T} NOT NULL,
        via ${T} NOT NULL,
        to_address ${T},
        invitee_id ${T} REFERENCES technicians(id),
        permissions ${T} NOT NULL,
        comment ${T},
        status ${T} NOT NULL,
        pin ${T} UNIQUE,
        pin_expires_at ${T} NOT NULL,
        token_hash ${T} UNIQUE,
        created_at ${T} NOT NULL,
        joined_at ${T}
      );
      CREATE INDEX invitations_session ON invitations(session_id);
      CREATE INDEX invitations_invitee ON invitations(invitee_id, status);
      ALTER TABLE invitations ADD COLUMN approved INTEGER NOT NULL DEFAULT 0;
      CREATE TABLE external_technicians (
        email ${T} PRIMARY KEY,
        name ${T} NOT NULL,
        added_at ${T} NOT NULL
      );
    `,
  },
  {
    id: 4,
    name: "customer reconnection: a resume credential and when the customer's connection dropped",
    sql: `
      ALTER TABLE sessions ADD COLUMN customer_resume_hash TEXT;
      ALTER TABLE sessions ADD COLUMN customer_away_since TEXT;
    `,
    postgres: `
      ALTER TABLE sessions ADD COLUMN customer_resume_hash ${T};
      ALTER TABLE sessions ADD COLUMN customer_away_since ${T};
    `,
  },
  {
    id: 5,
    name: "live PINs counted from an index of their expiry alone (every new session counts them)",
    sql: `
      CREATE INDEX sessions_live_pins ON sessions(pin_expires_at) WHERE pin IS NOT NULL;
      CREATE INDEX sessions_technician_live_pins ON sessions(technician_id, pin_expires_at) WHERE pin IS NOT NULL;
      CREATE INDEX invitations_live_pins ON invitations(pin_expires_at) WHERE pin IS NOT NULL;
    `,
  },
  {
    id: 6,
    name: "sessions holding a PIN, counted by triggers (a new session's cap reads it instead of walking every live PIN)",
    // The count changes in the transaction that changes a PIN, so it is as exact as the rows, on
    // every node; live PINs are then this total less the few expired ones no sweep cleared yet.
    sql: `
      CREATE TABLE pin_totals (name TEXT PRIMARY KEY, n INTEGER NOT NULL);
      INSERT INTO pin_totals (name, n) SELECT 'sessions', COUNT(*) FROM sessions WHERE pin IS NOT NULL;
      CREATE TRIGGER sessions_pin_added AFTER INSERT ON sessions WHEN NEW.pin IS NOT NULL
        BEGIN UPDATE pin_totals SET n = n + 1 WHERE name = 'sessions'; END;
      CREATE TRIGGER sessions_pin_removed AFTER DELETE ON sessions WHEN OLD.pin IS NOT NULL
        BEGIN UPDATE pin_totals SET n = n - 1 WHERE name = 'sessions'; END;
      CREATE TRIGGER sessions_pin_changed AFTER UPDATE OF pin ON sessions WHEN (OLD.pin IS NULL) <> (NEW.pin IS NULL)
        BEGIN UPDATE pin_totals SET n = n + (CASE WHEN NEW.pin IS NULL THEN -1 ELSE 1 END) WHERE name = 'sessions'; END;
    `,
    postgres: `
      CREATE TABLE pin_totals (name ${T} PRIMARY KEY, n BIGINT NOT NULL);
      INSERT INTO pin_totals (name, n) SELECT 'sessions', COUNT(*) FROM sessions WHERE pin IS NOT NULL;
      CREATE FUNCTION sessions_pin_total() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE d integer := 0;
        BEGIN
          -- NEW is null on DELETE and OLD on INSERT: each is read only where it is set.
          IF TG_OP <> 'DELETE' THEN
            IF NEW.pin IS NOT NULL THEN d := d + 1; END IF;
          END IF;
          IF TG_OP <> 'INSERT' THEN
            IF OLD.pin IS NOT NULL THEN d := d - 1; END IF;
          END IF;
          IF d <> 0 THEN UPDATE pin_totals SET n = n + d WHERE name = 'sessions'; END IF;
          RETURN NULL;
        END $$;
      CREATE TRIGGER sessions_pin_total AFTER INSERT OR DELETE OR UPDATE OF pin ON sessions FOR EACH ROW EXECUTE FUNCTION sessions_pin_total();
    `,
  },
  {
    id: 7,
    name: "customers away found from an index (the sweep looks for those past their grace period)",
    // The sweep runs every few seconds under the sessions lock: without it, it read every joined
    // session. Only rows with a customer away are in it, so a new session does not write to it.
    sql: `
      CREATE INDEX sessions_away ON sessions(customer_away_since) WHERE customer_away_since IS NOT NULL;
    `,
  },
  {
    id: 8,
    name: "off-boarding: a technician disabled or removed by an administrator (the row stays for the session log)",
    sql: `
      ALTER TABLE technicians ADD COLUMN disabled_at TEXT;
      ALTER TABLE technicians ADD COLUMN removed_at TEXT;
    `,
    postgres: `
      ALTER TABLE technicians ADD COLUMN disabled_at ${T};
      ALTER TABLE technicians ADD COLUMN removed_at ${T};
    `,
  },
];
