import Database from "better-sqlite3";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it, vi } from "vitest";
import { startCheckpointer } from "../../src/server/store/sqlite-checkpointer.js";
import { BUILD_TIMEOUT_MS, buildDist } from "../helpers/build.js";

const root = mkdtempSync(join(tmpdir(), "rescue-checkpointer-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A WAL database whose own connection never checkpoints, holding about 2 MB of commits in its WAL. */
function walDatabase(name: string): { db: Database.Database; file: string } {
  const file = join(root, `${name}.db`);
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("wal_autocheckpoint = 0");
  db.exec("CREATE TABLE t (x TEXT)");
  const insert = db.prepare("INSERT INTO t VALUES (?)");
  for (let i = 0; i < 20; i++) db.transaction(() => { for (let j = 0; j < 100; j++) insert.run("x".repeat(1000)); })();
  return { db, file };
}

describe("SQLite checkpoints in a worker thread", () => {
  it("copies the WAL into the database file while the writer never checkpoints; close ends the thread", async () => {
    const { db, file } = walDatabase("worker");
    const before = statSync(file).size;
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(2_000_000);
    const errors: string[] = [];
    const checkpointer = startCheckpointer(file, (m) => errors.push(m), 50);
    await vi.waitFor(() => expect(statSync(file).size).toBeGreaterThan(before + 2_000_000), { timeout: 30_000, interval: 50 });
    // Writes go on meanwhile and after: the checkpointer never blocks the writer.
    db.prepare("INSERT INTO t VALUES (?)").run("after");
    await checkpointer.close();
    expect(errors).toEqual([]);
    expect(db.prepare("SELECT COUNT(*) AS n FROM t").get()).toEqual({ n: 2001 });
    db.close();
  });

  it("without it nothing reaches the database file (the check above can fail)", async () => {
    const { db, file } = walDatabase("none");
    const before = statSync(file).size;
    await sleep(300);
    expect(statSync(file).size).toBe(before);
    db.close();
  });

  it("an awaited close settles in a process with nothing else to do (a script embedding the server)", { timeout: BUILD_TIMEOUT_MS }, async () => {
    await buildDist();
    const { db, file } = walDatabase("embedded");
    db.close();
    const module = pathToFileURL(join(import.meta.dirname, "../../dist/src/server/store/sqlite-checkpointer.js")).href;
    const script = `
      const { startCheckpointer } = await import(${JSON.stringify(module)});
      await startCheckpointer(${JSON.stringify(file)}, undefined, 60_000).close();
      console.log("closed");
    `;
    // Before the fix the thread was unreferenced while closing: the process ended with code 13
    // (an unsettled top-level await) and the last checkpoint never ran.
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    expect(out.trim()).toBe("closed");
  });

  it("reports a checkpoint that fails instead of dying quietly", async () => {
    const errors: string[] = [];
    const checkpointer = startCheckpointer(join(root, "missing.db"), (m) => errors.push(m), 50);
    await vi.waitFor(() => expect(errors.join()).toMatch(/does not exist|unable to open|no such file/i), { timeout: 30_000 });
    await checkpointer.close();
  });
});
