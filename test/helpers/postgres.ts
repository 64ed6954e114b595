import { execFile, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";

const run = promisify(execFile);

export interface TestPostgres {
  /** The port on 127.0.0.1. */
  port: number;
  /** A fresh, empty database owned by the cluster's superuser; its postgres:// URL, password included. */
  database(name?: string): Promise<string>;
  /** The cluster's log so far (postgres's own stderr). */
  log(): Promise<string>;
  /** Stops the server (fast shutdown: connections are cut) and keeps its data: `resume` starts it again. */
  pause(): Promise<void>;
  /** Starts the paused server again on the same port and data. */
  resume(): Promise<void>;
  /** Stops the cluster and removes its folder. */
  stop(): Promise<void>;
}

/** The newest PostgreSQL's bin folder; throws, never skips, when none is installed (.ci/run installs it). */
export function postgresBin(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, "bin", "initdb"))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0) throw new Error(`PostgreSQL is not installed (no ${root}/*/bin/initdb): apt-get install postgresql, as .ci/run does`);
  return join(root, versions[0]!, "bin");
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

let counter = 0;

/**
 * A throwaway PostgreSQL cluster in a temporary folder, listening on 127.0.0.1 on a free port
 * (no unix socket outside its folder), with a password-protected superuser `rescue`. As root,
 * its programs run as the `postgres` system user, since initdb refuses root. fsync is off: a
 * test cluster may lose everything in a crash. Databases are made with the ICU en-US collation,
 * so that text sorts as in a real deployment's locale, not byte-wise.
 */
export async function startPostgres(): Promise<TestPostgres> {
  const bin = postgresBin();
  const root = process.getuid?.() === 0;
  const as = root ? ["runuser", "-u", "postgres", "--"] : [];
  const exec = (cmd: string, args: string[]) => run(as[0] ?? join(bin, cmd), root ? [...as.slice(1), join(bin, cmd), ...args] : args, { maxBuffer: 16 << 20 });

  const dir = mkdtempSync(join(tmpdir(), "rescue-pg-"));
  const data = join(dir, "data");
  const password = randomBytes(18).toString("base64url");
  const pwfile = join(dir, "pw");
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (root) {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    chownSync(dir, uid, gid);
    chownSync(pwfile, uid, gid);
  }
  await exec("initdb", ["-D", data, "-U", "rescue", `--pwfile=${pwfile}`, "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"]);
  rmSync(pwfile);
  const port = await freePort();
  const settings = [
    `-p ${port}`,
    "-c listen_addresses=127.0.0.1",
    `-c unix_socket_directories='${dir}'`,
    "-c fsync=off",
    "-c synchronous_commit=off",
    "-c full_page_writes=off",
    "-c max_connections=200",
    "-c shared_buffers=32MB",
  ].join(" ");
  const logFile = join(dir, "postgres.log");
  try {
    await exec("pg_ctl", ["-D", data, "-l", logFile, "-o", settings, "-w", "-t", "120", "start"]);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  const url = (db: string) => `postgres://rescue:${encodeURIComponent(password)}@127.0.0.1:${port}/${db}`;
  let stopped = false;
  return {
    port,
    async database(name = `rescue_${process.pid}_${++counter}`) {
      const admin = new pg.Client({ connectionString: url("postgres") });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE "${name}" TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'`);
      } finally {
        await admin.end();
      }
      return url(name);
    },
    async log() {
      const { readFile } = await import("node:fs/promises");
      return readFile(logFile, "utf8").catch(() => "");
    },
    async pause() {
      await exec("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]);
    },
    async resume() {
      await exec("pg_ctl", ["-D", data, "-l", logFile, "-o", settings, "-w", "-t", "120", "start"]);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await exec("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
