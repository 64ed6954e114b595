import Database from "better-sqlite3";
import { chmodSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { migrationSql, MIGRATIONS } from "./migrations.js";
import { BACKSTOP_CHECKPOINT_PAGES, startCheckpointer } from "./sqlite-checkpointer.js";
import { groupCommit } from "./sqlite-group-commit.js";
import type { Row } from "./rows.js";
import { sqlStore, uniqueViolation } from "./sql-store.js";
import type { Store } from "./types.js";

export const DATABASE_FILE = "rescue.db";

/** Whether the data folder already holds a store. */
export function storeExists(dataDir: string): boolean {
  return existsSync(join(dataDir, DATABASE_FILE));
}

export interface SqliteOptions {
  /**
   * Checkpoints in a worker thread (see sqlite-checkpointer.ts) instead of on the event loop at
   * every thousandth WAL page: for a server, not for a command that opens the store for a moment.
   */
  checkpointInWorker?: boolean;
  /** Hears a checkpoint that failed in the worker (the next one tries again). */
  onCheckpointError?: (message: string) => void;
}

/**
 * Opens (creating when needed) the SQLite store in `dataDir` and applies pending migrations.
 * `exclusive` is one in-process queue whose jobs commit together once per turn of the event loop
 * (see sqlite-group-commit.ts): a single process owns the file (see data-lock.ts).
 */
export function openSqliteStore(dataDir: string, opts: SqliteOptions = {}): Store {
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
  let checkpointer: { close(): Promise<void> } | undefined;
  if (opts.checkpointInWorker) {
    db.pragma(`wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`);
    checkpointer = startCheckpointer(file, opts.onCheckpointError);
  }

  const stmt = memo(db);
  const queue = groupCommit(db);
  return sqlStore(
    {
      all: async (sql, params = []) => stmt(sql).all(...params) as Row[],
      run: async (sql, params = []) => {
        try {
          return stmt(sql).run(...params).changes;
        } catch (err) {
          throw isUnique(err) ? uniqueViolation() : err;
        }
      },
    },
    {
      engine: "sqlite",
      exclusive: (_keys, job) => queue.exclusive(job),
      close: async () => {
        await queue.flush();
        await checkpointer?.close();
        db.close();
      },
    },
  );
}

function isUnique(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}

/** Applies pending migrations; returns the ids applied. */
function migrate(db: Database.Database): number[] {
  db.exec("CREATE TABLE IF NOT EXISTS migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
  const applied = new Set(db.prepare("SELECT id FROM migrations").all().map((r) => Number((r as Row).id)));
  const done: number[] = [];
  for (const m of MIGRATIONS) {
    if (applied.has(m.id)) continue;
    db.transaction(() => {
      db.exec(migrationSql(m, "sqlite"));
      db.prepare("INSERT INTO migrations (id, name, applied_at) VALUES (?, ?, ?)").run(m.id, m.name, new Date().toISOString());
    })();
    done.push(m.id);
  }
  return done;
}

/** The migrations the SQLite store in `dataDir` has applied, in order. */
export function sqliteMigrations(dataDir: string): { id: number; name: string; appliedAt: string }[] {
  const db = new Database(join(dataDir, DATABASE_FILE), { readonly: true });
  try {
    return db.prepare("SELECT id, name, applied_at FROM migrations ORDER BY id").all().map((r) => {
      const row = r as Row;
      return { id: Number(row.id), name: String(row.name), appliedAt: String(row.applied_at) };
    });
  } finally {
    db.close();
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
