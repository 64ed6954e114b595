import { RescueError } from "../../protocol/index.js";
import { isPostgresUrl, migratePostgres, openPostgresStore, redactUrl } from "./postgres.js";
import { openSqliteStore, sqliteMigrations, type SqliteOptions } from "./sqlite.js";
import type { Store } from "./types.js";

/** Where a store lives: a PostgreSQL URL when `database` is given, else the SQLite file in `dataDir`. */
export interface StoreTarget {
  dataDir?: string;
  /** postgres://USER:PASSWORD@HOST:PORT/DB (postgresql:// too). */
  database?: string;
}

/** The environment variable `rescue-server` reads the database URL from when --database is not given. */
export const DATABASE_URL_ENV = "RESCUE_DATABASE_URL";

/** Checks a --database value: only PostgreSQL URLs are accepted. Throws bad_request. */
export function checkDatabaseUrl(url: string): string {
  if (!isPostgresUrl(url)) throw new RescueError("bad_request", `--database takes a postgres:// URL, not ${redactUrl(url)}; leave it out for the SQLite file in --data`);
  return url;
}

/** Opens the store (creating the schema, applying pending migrations); `sqlite` applies to a SQLite one. Throws bad_request when neither place is given. */
export async function openStore(target: StoreTarget, sqlite: SqliteOptions = {}): Promise<Store> {
  if (target.database) return openPostgresStore(checkDatabaseUrl(target.database));
  if (!target.dataDir) throw new RescueError("bad_request", "give --data DIR (SQLite) or --database postgres://... (PostgreSQL)");
  return openSqliteStore(target.dataDir, sqlite);
}

/** `rescue-server migrate`: applies pending migrations; which were applied now and the full list. */
export async function migrateStore(target: StoreTarget): Promise<{ engine: Store["engine"]; applied: number[]; migrations: { id: number; name: string; appliedAt: string }[] }> {
  if (target.database) return { engine: "postgres", ...(await migratePostgres(checkDatabaseUrl(target.database))) };
  if (!target.dataDir) throw new RescueError("bad_request", "give --data DIR (SQLite) or --database postgres://... (PostgreSQL)");
  const before = new Set(sqliteMigrations(target.dataDir).map((m) => m.id));
  await openSqliteStore(target.dataDir).close();
  const migrations = sqliteMigrations(target.dataDir);
  return { engine: "sqlite", applied: migrations.filter((m) => !before.has(m.id)).map((m) => m.id), migrations };
}
