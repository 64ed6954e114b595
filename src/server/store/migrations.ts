/**
 * Schema changes, applied in order once each and recorded in `migrations`. Append only: a
 * shipped migration is never edited. Types are the ones SQLite and PostgreSQL both read.
 */
export const MIGRATIONS: readonly { id: number; name: string; sql: string }[] = [
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
  },
  {
    id: 4,
    name: "customer reconnection: a resume credential and when the customer's connection dropped",
    sql: `
      ALTER TABLE sessions ADD COLUMN customer_resume_hash TEXT;
      ALTER TABLE sessions ADD COLUMN customer_away_since TEXT;
    `,
  },
];
