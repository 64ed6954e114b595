import Database from "better-sqlite3";
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, realpathSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { RescueError } from "../../protocol/index.js";
import { claimDataFolder } from "./data-lock.js";
import { MIGRATIONS } from "./migrations.js";
import { DATABASE_FILE, openSqliteStore } from "./sqlite.js";

/** The newest schema this version knows: the last migration's id. */
export const SCHEMA_VERSION = Math.max(...MIGRATIONS.map((m) => m.id));

/** Tables every Rescue store has had since its first migration. */
const CORE_TABLES = ["migrations", "groups", "technicians", "tokens", "sessions", "session_log", "outbox"] as const;

/** What a backup or a checked backup file holds: schema version and row counts of the main tables. */
export interface StoreSummary {
  /** The id of the newest migration applied. */
  schema: number;
  technicians: number;
  sessions: number;
  logEntries: number;
}

export interface BackupResult extends StoreSummary {
  /** Absolute path of the file written (mode 0600). */
  path: string;
  bytes: number;
  /** When the copy was taken, ISO time. */
  at: string;
  /** Set when the folder holding the file is open to other users (the file holds password hashes). */
  warning?: string;
}

export interface RestoreResult extends StoreSummary {
  /** The store file now in use. */
  path: string;
  from: string;
  /** Where the store that was there before went (kept, never deleted); null when there was none. */
  previous: string | null;
  /** The backup's schema before restore brought it up to this version's. */
  backupSchema: number;
}

/** A sibling of `path` that no other writer picks: written there, then renamed over `path`. */
function tempBeside(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`);
}

/** fsync a file (and, where it can, its folder) so a rename that follows survives a power cut. */
function syncFile(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function syncFolder(dir: string): void {
  try {
    syncFile(dir);
  } catch {
    // Some filesystems refuse to open or sync a folder; the rename is still atomic there.
  }
}

/**
 * Checks that `db` is a Rescue store this version can serve: integrity_check ok, the core
 * tables present, and no migration newer than SCHEMA_VERSION. Throws bad_request naming what is
 * wrong; returns the summary.
 */
function checkStore(db: Database.Database, what: string): StoreSummary {
  const integrity = db.pragma("integrity_check") as { integrity_check: string }[];
  if (integrity.length !== 1 || integrity[0]!.integrity_check !== "ok") {
    throw new RescueError("bad_request", `${what} is damaged: ${integrity.slice(0, 3).map((r) => r.integrity_check).join("; ")}`);
  }
  const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
  const missing = CORE_TABLES.filter((t) => !tables.has(t));
  if (missing.length > 0) throw new RescueError("bad_request", `${what} is not a Rescue store (no ${missing.join(", ")} table)`);
  const schema = Number((db.prepare("SELECT COALESCE(MAX(id), 0) AS v FROM migrations").get() as { v: number }).v);
  if (schema > SCHEMA_VERSION) {
    throw new RescueError("bad_request", `${what} has schema ${schema}, newer than this version knows (${SCHEMA_VERSION}); restore it with a newer rescue-server`);
  }
  const count = (table: string) => Number((db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n);
  return { schema, technicians: count("technicians"), sessions: count("sessions"), logEntries: count("session_log") };
}

/** Opens an SQLite file for reading, turning "not a database" into bad_request. */
function openForReading(file: string, what: string): Database.Database {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    db.pragma("busy_timeout = 5000");
    // Reading the schema is what fails on a file that is not SQLite.
    db.prepare("SELECT COUNT(*) FROM sqlite_master").get();
    return db;
  } catch (err) {
    db?.close();
    const code = (err as { code?: string }).code;
    if (code === "SQLITE_NOTADB" || code === "SQLITE_CORRUPT") throw new RescueError("bad_request", `${what} is not an SQLite database, so not a Rescue store`);
    if (code === "SQLITE_CANTOPEN") throw new RescueError("not_found", `cannot open ${what}`);
    throw err;
  }
}

/**
 * Copies `source` into a new file at `dest` with SQLite's online backup API, as one
 * self-contained file (no -wal beside it), mode 0600. The copy is a single read transaction on
 * the source, so in WAL mode the server keeps writing while it runs and the copy is the store as
 * it was at one instant.
 */
async function copyDatabase(source: Database.Database, dest: string): Promise<void> {
  // Made 0600 before SQLite writes a byte into it.
  closeSync(openSync(dest, "wx", 0o600));
  // The first step copies what it can; the rest goes in one step, so writers cannot keep restarting it.
  await source.backup(dest, { progress: () => 0x7fffffff });
  const copy = new Database(dest);
  try {
    copy.pragma("journal_mode = DELETE");
  } finally {
    copy.close();
  }
  syncFile(dest);
}

/**
 * `rescue-server backup`: a consistent copy of the store in `dataDir`, taken while a server may
 * be running on it, written atomically (a temporary file beside `outFile`, checked with
 * integrity_check, then renamed over it). Errors: not_found without a store; bad_request when
 * the store fails its checks; the file system's own errors (no such folder, no space).
 */
export async function backupStore(dataDir: string, outFile: string, now: () => Date = () => new Date()): Promise<BackupResult> {
  const file = join(dataDir, DATABASE_FILE);
  if (!existsSync(file)) throw new RescueError("not_found", `no Rescue store in ${dataDir}`);
  if (!existsSync(dirname(outFile))) throw new RescueError("not_found", `no folder ${dirname(outFile)} for the backup`);
  if (statSync(outFile, { throwIfNoEntry: false })?.isDirectory()) {
    throw new RescueError("bad_request", `--out ${outFile} is a folder: name the backup file, e.g. ${join(outFile, "rescue-YYYY-MM-DD.db")}`);
  }
  // Renamed over the live store (or its WAL), the copy would hide every write made after it.
  const live = realpathSync(file);
  const target = join(realpathSync(dirname(outFile)), basename(outFile));
  if ([live, `${live}-wal`, `${live}-shm`, `${live}-journal`].includes(target)) {
    throw new RescueError("bad_request", `--out ${outFile} is the store itself: write the backup outside the data folder`);
  }
  // Not readonly: a reader of a WAL database may need to create its -shm when no server runs.
  const source = new Database(file, { fileMustExist: true });
  source.pragma("busy_timeout = 5000");
  const tmp = tempBeside(outFile);
  try {
    const at = now().toISOString();
    await copyDatabase(source, tmp);
    const check = openForReading(tmp, "the copy");
    let summary: StoreSummary;
    try {
      summary = checkStore(check, "the copy");
    } finally {
      check.close();
    }
    renameSync(tmp, outFile);
    syncFolder(dirname(outFile));
    const folderMode = statSync(dirname(outFile)).mode & 0o777;
    return {
      path: outFile,
      bytes: statSync(outFile).size,
      at,
      ...summary,
      ...((folderMode & 0o077) !== 0
        ? { warning: `${dirname(outFile)} is open to other users (mode ${folderMode.toString(8)}); the backup holds password and token hashes: keep it in a 0700 folder` }
        : {}),
    };
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  } finally {
    source.close();
  }
}

/**
 * `rescue-server restore`: puts the store in `backupFile` in place in `dataDir`. Holds the data
 * folder's server lock throughout, so it refuses (conflict) while a server runs there and no
 * server can start halfway. Refuses (bad_request) a file that is not a Rescue store, is damaged,
 * or has a newer schema than this version knows. The store that was there is renamed aside
 * (`rescue.db.before-restore-TIME`), never deleted. An older backup is migrated to this version.
 */
export async function restoreStore(dataDir: string, backupFile: string, now: () => Date = () => new Date()): Promise<RestoreResult> {
  if (!existsSync(backupFile)) throw new RescueError("not_found", `no backup file ${backupFile}`);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const release = claimDataFolder(dataDir);
  const live = join(dataDir, DATABASE_FILE);
  const tmp = tempBeside(live);
  try {
    const source = openForReading(backupFile, backupFile);
    let backupSchema: number;
    try {
      backupSchema = checkStore(source, backupFile).schema;
      await copyDatabase(source, tmp);
    } finally {
      source.close();
    }

    let previous: string | null = null;
    if (existsSync(live)) {
      // Closing the last connection checkpoints the WAL into the file, so the file alone is the whole store.
      const old = new Database(live, { fileMustExist: true });
      try {
        old.pragma("wal_checkpoint(TRUNCATE)");
      } finally {
        old.close();
      }
      previous = `${live}.before-restore-${now().toISOString().replace(/[:.]/g, "-")}`;
      renameSync(live, previous);
      for (const side of ["-wal", "-shm"]) if (existsSync(live + side)) renameSync(live + side, previous + side);
    }
    renameSync(tmp, live);
    syncFolder(dataDir);

    // Brings an older backup up to this version's schema, as a start would.
    openSqliteStore(dataDir).close();
    const check = openForReading(live, live);
    try {
      return { path: live, from: backupFile, previous, backupSchema, ...checkStore(check, live) };
    } finally {
      check.close();
    }
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  } finally {
    release();
  }
}
