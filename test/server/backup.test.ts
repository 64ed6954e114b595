import Database from "better-sqlite3";
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Session, SessionLogEntry } from "../../src/protocol/index.js";
import { startServer, type RunningServer } from "../../src/server/index.js";
import { SCHEMA_VERSION } from "../../src/server/store/backup.js";
import { buildDist } from "../helpers/build.js";
import { customerReady, startTestServer, type TestServer } from "../helpers/server.js";

const ROOT = resolve(import.meta.dirname, "../..");
const BIN = join(ROOT, "bin/rescue-server.js");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `rescue-server ARGS` as its own process, as cron or an operator runs it. */
function cli(args: string[]): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

let tmp: string;
let server: TestServer | undefined;
let restored: RunningServer | undefined;
beforeAll(async () => {
  await buildDist();
  tmp = mkdtempSync(join(tmpdir(), "rescue-backup-"));
}, 180_000);
afterEach(async () => {
  await restored?.close();
  await server?.close();
  restored = server = undefined;
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const LOAD_LIMITS = {
  sessions: { createRate: { burst: 100_000, windowMs: 60_000 }, livePerTechnician: 100_000, liveInAll: 100_000 },
  chat: { burst: 100_000, windowMs: 60_000 },
};

type Row = Record<string, unknown>;

/** Reads every table a backup check needs, from a file or a live store (a reader beside the server). */
function readRows(file: string): { sessions: Row[]; log: Row[]; technicians: Row[] } {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return {
      sessions: db.prepare("SELECT * FROM sessions ORDER BY id").all() as Row[],
      log: db.prepare("SELECT * FROM session_log ORDER BY seq").all() as Row[],
      technicians: db.prepare("SELECT * FROM technicians ORDER BY id").all() as Row[],
    };
  } finally {
    db.close();
  }
}

describe("rescue-server backup under write load", () => {
  it("takes consistent copies while sessions and chat are written, and a restored server serves them", async () => {
    server = await startTestServer({ limits: LOAD_LIMITS });
    const tech = await server.technician(["lens", "private", "pin", "chat"]);
    const live = Session.parse((await server.api("POST", "/api/v1/sessions", { token: tech.token, body: { method: "pin", name: "Chatty" } })).body);
    const customer = await customerReady(server, live.pin!);
    expect((await server.api("POST", `/api/v1/sessions/${live.id}/start`, { token: tech.token })).status).toBe(200);

    // The load: sessions created and chat written back to back until told to stop.
    let writes = 0;
    let stop = false;
    const load = (async () => {
      for (let i = 0; !stop; i++) {
        const created = await server!.api("POST", "/api/v1/sessions", { token: tech.token, body: { method: "pin", name: `Load ${i}` } });
        expect(created.status).toBe(201);
        writes++;
        const chat = await server!.api("POST", `/api/v1/sessions/${live.id}/chat`, { token: tech.token, body: { text: `message ${i} ${"x".repeat(200)}` } });
        expect(chat.status).toBe(200);
        writes++;
      }
    })();

    const backups: { path: string; writesDuring: number; result: Row }[] = [];
    try {
      while (writes < 40) await new Promise((r) => setTimeout(r, 20));
      for (let n = 0; n < 3; n++) {
        const path = join(tmp, `load-${n}.db`);
        const before = writes;
        const run = await cli(["backup", "--data", server.dataDir, "--out", path, "--json"]);
        expect(run.code, run.stderr).toBe(0);
        backups.push({ path, writesDuring: writes - before, result: JSON.parse(run.stdout) as Row });
      }
    } finally {
      stop = true;
      await load;
    }
    await customer.close();

    const liveRows = readRows(join(server.dataDir, "rescue.db"));
    const liveLog = new Map(liveRows.log.map((r) => [Number(r.seq), r]));
    const liveSessions = new Map(liveRows.sessions.map((r) => [String(r.id), r]));
    for (const { path, writesDuring, result } of backups) {
      // The server committed writes while the backup process ran: the copy was taken under load.
      expect(writesDuring).toBeGreaterThan(0);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(result).toMatchObject({ path, bytes: statSync(path).size, schema: SCHEMA_VERSION });

      const db = new Database(path, { readonly: true });
      try {
        expect(db.pragma("integrity_check")).toEqual([{ integrity_check: "ok" }]);
        expect(db.pragma("foreign_key_check")).toEqual([]);
        // One self-contained file: no write-ahead log needed beside it.
        expect(db.pragma("journal_mode", { simple: true })).toBe("delete");
      } finally {
        db.close();
      }
      expect(existsSync(`${path}-wal`)).toBe(false);

      const copy = readRows(path);
      expect(result).toMatchObject({ sessions: copy.sessions.length, logEntries: copy.log.length, technicians: copy.technicians.length });
      expect(copy.log.length).toBeGreaterThan(40);
      // One instant of the store: the log is a gap-free prefix of the live one, every entry whole and the same.
      copy.log.forEach((row, i) => {
        expect(Number(row.seq)).toBe(i + 1);
        expect(row).toEqual(liveLog.get(Number(row.seq)));
        expect(SessionLogEntry.safeParse(JSON.parse(String(row.entry))).success).toBe(true);
      });
      // Every session in it exists, and those that have not changed since are identical.
      for (const s of copy.sessions) {
        const now = liveSessions.get(String(s.id));
        expect(now).toBeDefined();
        expect(s.technician_id).toBe(now!.technician_id);
        expect(s.created_at).toBe(now!.created_at);
        for (const column of ["name", "type", "mode", "status", "method", "created_at", "status_since", "collaborators"]) expect(s[column]).not.toBeNull();
      }
      // Every session's first log entry is in the copy with it, and every chat line belongs to a session in it.
      const sessionIds = new Set(copy.sessions.map((s) => String(s.id)));
      for (const row of copy.log) expect(sessionIds.has(String(row.session_id))).toBe(true);
    }
    // Nothing was left behind beside the backups.
    expect(readdirSync(tmp).filter((f) => f.endsWith(".tmp"))).toEqual([]);

    // The last backup, restored into a fresh folder, is served by a new server.
    const last = backups.at(-1)!;
    const copy = readRows(last.path);
    const dataDir = join(tmp, "restored");
    const run = await cli(["restore", "--data", dataDir, "--from", last.path, "--json"]);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ path: join(dataDir, "rescue.db"), previous: null, schema: SCHEMA_VERSION, sessions: copy.sessions.length });
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir, "rescue.db")).mode & 0o777).toBe(0o600);
    await server.close();
    server = undefined;

    restored = await startServer({ dataDir, host: "127.0.0.1", port: 0, logLevel: "silent" });
    const login = await fetch(`${restored.url}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: tech.email, password: tech.password }),
    });
    expect(login.status).toBe(200);
    const token = ((await login.json()) as { token: string }).token;
    const get = async (path: string) => {
      const res = await fetch(`${restored!.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      return res.json() as Promise<unknown>;
    };
    const sessions = (await get("/api/v1/sessions")) as Session[];
    const ownIds = copy.sessions.filter((s) => s.technician_id === copy.technicians.find((t) => t.email === tech.email)!.id).map((s) => s.id);
    expect(sessions.map((s) => s.id).sort()).toEqual([...ownIds].sort());
    // The chat session's log, as served, is the copy's.
    const log = (await get(`/api/v1/sessions/${live.id}/log`)) as SessionLogEntry[];
    const copied = copy.log.filter((r) => r.session_id === live.id).map((r) => JSON.parse(String(r.entry)) as SessionLogEntry);
    expect(log.slice(0, copied.length)).toEqual(copied);
    expect(log.filter((e) => e.event === "chat").length).toBe(copied.filter((e) => e.event === "chat").length);
    // The old login token from the backup still opens the API.
    const old = await fetch(`${restored.url}/api/v1/me`, { headers: { authorization: `Bearer ${tech.token}` } });
    expect(old.status).toBe(200);
  }, 180_000);
});

describe("rescue-server restore refuses", () => {
  async function backupOf(s: TestServer, name: string): Promise<string> {
    const path = join(tmp, name);
    const run = await cli(["backup", "--data", s.dataDir, "--out", path]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe(path);
    expect(run.stderr).toMatch(/^backup written: \d+ bytes, schema \d+, \d+ technicians/m);
    return path;
  }

  it("while a server runs on the data folder, touching nothing", { timeout: 60_000 }, async () => {
    server = await startTestServer();
    const tech = await server.technician(["lens", "private", "pin"]);
    const s = Session.parse((await server.api("POST", "/api/v1/sessions", { token: tech.token, body: { method: "pin" } })).body);
    const path = await backupOf(server, "running.db");
    const before = readdirSync(server.dataDir).sort();
    const run = await cli(["restore", "--data", server.dataDir, "--from", path]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/another rescue-server \(pid \d+\) is serving/);
    expect(readdirSync(server.dataDir).sort()).toEqual(before);
    expect((await server.api("GET", `/api/v1/sessions/${s.id}`, { token: tech.token })).status).toBe(200);
  });

  it("a file that is not a Rescue store, a damaged one, and one with a newer schema", async () => {
    server = await startTestServer();
    const good = await backupOf(server, "good.db");
    await server.close();
    server = undefined;
    const data = join(tmp, "refusals");
    expect((await cli(["restore", "--data", data, "--from", good])).code).toBe(0);
    const kept = () => readdirSync(data).sort();
    const before = kept();

    const text = join(tmp, "notes.txt");
    writeFileSync(text, "these are not the droids\n".repeat(200));
    const other = join(tmp, "other.sqlite");
    const db = new Database(other);
    db.exec("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)");
    db.close();
    const newer = join(tmp, "newer.db");
    copyFileSync(good, newer);
    const n = new Database(newer);
    n.prepare("INSERT INTO migrations (id, name, applied_at) VALUES (?, 'from the future', ?)").run(SCHEMA_VERSION + 1, new Date().toISOString());
    n.close();
    const damaged = join(tmp, "damaged.db");
    const bytes = readFileSync(good);
    // Scribble over the pages after the first (the header stays, the b-trees break).
    for (let i = 4096 + 100; i < bytes.length; i += 7) bytes[i] = 0xa5;
    writeFileSync(damaged, bytes);

    const cases = [
      { from: text, message: /not an SQLite database, so not a Rescue store/ },
      { from: other, message: /not a Rescue store \(no migrations, groups, technicians, tokens, sessions, session_log, outbox table\)/ },
      { from: newer, message: new RegExp(`has schema ${SCHEMA_VERSION + 1}, newer than this version knows \\(${SCHEMA_VERSION}\\)`) },
      { from: damaged, message: /damaged|not an SQLite database|malformed/ },
      { from: join(tmp, "missing.db"), message: /no backup file/ },
    ];
    for (const { from, message } of cases) {
      const run = await cli(["restore", "--data", data, "--from", from]);
      expect(run.code, `${from}: ${run.stderr}`).not.toBe(0);
      expect(run.stderr).toMatch(message);
      // The store in place is untouched and nothing was set aside or left behind.
      expect(kept()).toEqual(before);
    }
  }, 60_000);

  it("backup: a folder without a store, a missing --out folder and missing flags; help with examples", { timeout: 60_000 }, async () => {
    const none = await cli(["backup", "--data", join(tmp, "no-store"), "--out", join(tmp, "x.db")]);
    expect(none.code).toBe(6);
    expect(none.stderr).toContain("rescue-server init");
    server = await startTestServer();
    const noFolder = await cli(["backup", "--data", server.dataDir, "--out", join(tmp, "no-such-folder", "x.db")]);
    expect(noFolder.code).toBe(6);
    expect(noFolder.stderr).toContain("no folder");
    expect((await cli(["backup", "--data", server.dataDir])).code).toBe(2);
    // A folder as --out: said before copying anything, and nothing left beside it.
    const folder = join(tmp, "a-folder");
    mkdirSync(folder);
    const intoFolder = await cli(["backup", "--data", server.dataDir, "--out", folder]);
    expect(intoFolder.code).toBe(2);
    expect(intoFolder.stderr).toContain(`--out ${folder} is a folder: name the backup file`);
    expect(intoFolder.stderr).not.toContain("EISDIR");
    expect(readdirSync(folder)).toEqual([]);
    expect(readdirSync(tmp).filter((n) => n.endsWith(".tmp"))).toEqual([]);
    // The live store as --out (through a relative path too): refused, the store and its WAL untouched.
    const store = join(server.dataDir, "rescue.db");
    const inode = statSync(store).ino;
    for (const out of [store, `${store}-wal`, join(server.dataDir, "..", basename(server.dataDir), "rescue.db")]) {
      const over = await cli(["backup", "--data", server.dataDir, "--out", out]);
      expect(over.code, out).toBe(2);
      expect(over.stderr).toContain("is the store itself");
    }
    expect(statSync(store).ino).toBe(inode);
    expect((await server.api("GET", "/healthz")).status).toBe(200);
    const help = await cli(["backup", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("rescue-server backup --data /var/lib/rescue --out");
  });

  it("keeps the previous store aside instead of deleting it", async () => {
    server = await startTestServer();
    const tech = await server.technician(["lens", "private", "pin"]);
    const first = await backupOf(server, "first.db");
    await server.close();
    server = undefined;
    const live = join(tmp, "kept");
    expect((await cli(["restore", "--data", live, "--from", first])).code).toBe(0);
    // The restored store takes a session the backup does not hold; restoring again sets that store aside.
    restored = await startServer({ dataDir: live, host: "127.0.0.1", port: 0, logLevel: "silent" });
    const post = (path: string, body: unknown, token?: string) =>
      fetch(`${restored!.url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
    const { token } = (await (await post("/api/v1/auth/login", { email: tech.email, password: tech.password })).json()) as { token: string };
    const made = Session.parse(await (await post("/api/v1/sessions", { method: "pin", name: "Only here" }, token)).json());
    await restored.close();
    restored = undefined;

    const run = await cli(["restore", "--data", live, "--from", first, "--json"]);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { previous: string };
    expect(result.previous).toMatch(/rescue\.db\.before-restore-\d{4}-\d\d-\d\dT/);
    expect(statSync(result.previous).mode & 0o777).toBe(0o600);
    expect(readRows(result.previous).sessions.map((r) => r.id)).toContain(made.id);
    expect(readRows(join(live, "rescue.db")).sessions.map((r) => r.id)).not.toContain(made.id);
  }, 60_000);
});
