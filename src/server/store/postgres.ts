import { AsyncLocalStorage } from "node:async_hooks";
import { createHash } from "node:crypto";
import pg from "pg";
import { RescueError } from "../../protocol/index.js";
import { Serial } from "../serial.js";
import { hideUrlSecrets } from "../url-secrets.js";
import { migrationSql, MIGRATIONS } from "./migrations.js";
import type { Row } from "./rows.js";
import { sqlStore, uniqueViolation } from "./sql-store.js";
import type { Store } from "./types.js";

/** Whether `url` names a PostgreSQL database (postgres:// or postgresql://). */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/** `url` with its password replaced by ***, for messages and logs. */
export function redactUrl(url: string): string {
  return hideUrlSecrets(url, { hideUser: false, unparsable: "(a database URL that does not parse)" });
}

export interface PostgresOptions {
  /** Connections in this process's pool (default 10). */
  poolSize?: number;
}

/** One advisory-lock number per key: the first 64 bits of its SHA-256, as PostgreSQL's signed bigint. */
function lockId(key: string): string {
  return createHash("sha256").update(`rescue:${key}`).digest().readBigInt64BE(0).toString();
}

/** The lock that keeps two nodes from migrating at once. */
const MIGRATION_LOCK = lockId("migrations");

/**
 * Connects to the PostgreSQL database at `url` (a pool of `poolSize` connections) and applies
 * pending migrations under an advisory lock, so that nodes starting together migrate once.
 * Throws unavailable, with the URL's password hidden, when the database cannot be reached.
 */
export async function openPostgresStore(url: string, opts: PostgresOptions = {}): Promise<Store> {
  const pool = await connect(url, opts);
  try {
    await migratePool(pool);
  } catch (err) {
    await pool.end();
    throw err;
  }

  // The job's transaction; `open` turns false at its end, so a call the job left running runs on the pool.
  const tx = new AsyncLocalStorage<{ client: pg.PoolClient; open: boolean }>();
  const current = () => {
    const t = tx.getStore();
    return t?.open ? t.client : undefined;
  };
  // Jobs of this process with the same keys queue here first, so that a burst holds one
  // connection waiting for the lock rather than the whole pool.
  const local = new Map<string, { serial: Serial; pending: number }>();
  const numbered = new Map<string, string>();
  const toPg = (sql: string) => {
    let text = numbered.get(sql);
    if (text === undefined) {
      let n = 0;
      text = sql.replace(/\?/g, () => `$${++n}`);
      numbered.set(sql, text);
    }
    return text;
  };
  const query = async (sql: string, params: readonly unknown[] = []) => {
    try {
      return await (current() ?? pool).query(toPg(sql), params as unknown[]);
    } catch (err) {
      throw (err as { code?: unknown }).code === "23505" ? uniqueViolation() : err;
    }
  };

  async function inTransaction<T>(keys: readonly string[], job: () => Promise<T>): Promise<T> {
    const client = await pool.connect();
    let broken: unknown;
    try {
      await client.query("BEGIN");
      // Sorted, so two jobs wanting the same keys cannot wait on each other.
      for (const id of [...new Set(keys.map(lockId))].sort()) await client.query("SELECT pg_advisory_xact_lock($1::bigint)", [id]);
      let outcome: { ok: true; value: T } | { ok: false; error: unknown };
      const context = { client, open: true };
      try {
        outcome = { ok: true, value: await tx.run(context, job) };
      } catch (error) {
        outcome = { ok: false, error };
      }
      context.open = false;
      // COMMIT keeps what the job wrote before it refused (as the SQLite store does); after a
      // failed statement PostgreSQL answers it with a rollback.
      await client.query("COMMIT");
      if (!outcome.ok) throw outcome.error;
      return outcome.value;
    } catch (err) {
      broken = err;
      throw err;
    } finally {
      // A client whose transaction state is unknown is not handed out again.
      const clean = broken === undefined || broken instanceof RescueError;
      client.release(clean ? undefined : true);
    }
  }

  return sqlStore(
    {
      all: async (sql, params) => (await query(sql, params)).rows as Row[],
      run: async (sql, params) => (await query(sql, params)).rowCount ?? 0,
    },
    {
      engine: "postgres",
      exclusive: async (keys, job) => {
        const client = current();
        if (client) {
          // Already inside a job: its transaction takes any further key, and releases it at its end.
          for (const id of [...new Set(keys.map(lockId))].sort()) await client.query("SELECT pg_advisory_xact_lock($1::bigint)", [id]);
          return job();
        }
        const name = [...keys].sort().join("\n");
        let slot = local.get(name);
        if (!slot) local.set(name, (slot = { serial: new Serial(), pending: 0 }));
        slot.pending++;
        try {
          return await slot.serial.run(() => inTransaction(keys, job));
        } finally {
          if (--slot.pending === 0) local.delete(name);
        }
      },
      close: () => pool.end(),
    },
  );
}

async function connect(url: string, opts: PostgresOptions): Promise<pg.Pool> {
  const pool = new pg.Pool({ connectionString: url, max: opts.poolSize ?? 10, application_name: "rescue-server", connectionTimeoutMillis: 10_000 });
  // An idle connection that breaks (the database restarted) is dropped by the pool; the next query opens a new one.
  pool.on("error", () => undefined);
  try {
    const client = await pool.connect();
    client.release();
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new RescueError("unavailable", `cannot reach the database ${redactUrl(url)}: ${(err as Error).message}`);
  }
  return pool;
}

/** Applies pending migrations in one transaction each, under MIGRATION_LOCK; returns the ids applied. */
async function migratePool(pool: pg.Pool): Promise<number[]> {
  const client = await pool.connect();
  const done: number[] = [];
  try {
    await client.query("SELECT pg_advisory_lock($1::bigint)", [MIGRATION_LOCK]);
    try {
      await client.query("CREATE TABLE IF NOT EXISTS migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)");
      const applied = new Set((await client.query("SELECT id FROM migrations")).rows.map((r: Row) => Number(r.id)));
      for (const m of MIGRATIONS) {
        if (applied.has(m.id)) continue;
        await client.query("BEGIN");
        try {
          await client.query(migrationSql(m, "postgres"));
          await client.query("INSERT INTO migrations (id, name, applied_at) VALUES ($1, $2, $3)", [m.id, m.name, new Date().toISOString()]);
          await client.query("COMMIT");
        } catch (err) {
          await client.query("ROLLBACK");
          throw err;
        }
        done.push(m.id);
      }
    } finally {
      await client.query("SELECT pg_advisory_unlock($1::bigint)", [MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
  return done;
}

/**
 * Applies pending migrations to the database at `url` and lists every applied one, in order;
 * `applied` names those applied now.
 */
export async function migratePostgres(url: string): Promise<{ applied: number[]; migrations: { id: number; name: string; appliedAt: string }[] }> {
  const pool = await connect(url, { poolSize: 1 });
  try {
    const applied = await migratePool(pool);
    const rows = (await pool.query("SELECT id, name, applied_at FROM migrations ORDER BY id")).rows as Row[];
    return { applied, migrations: rows.map((r) => ({ id: Number(r.id), name: String(r.name), appliedAt: String(r.applied_at) })) };
  } finally {
    await pool.end();
  }
}
