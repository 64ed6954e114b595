import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { groupCommit } from "../../src/server/store/sqlite-group-commit.js";

const root = mkdtempSync(join(tmpdir(), "rescue-group-commit-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** A WAL database as the server opens it, a queue over it, and a second connection that sees only what was committed. */
function opened() {
  const file = join(root, `g${++n}.db`);
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("wal_autocheckpoint = 0");
  db.exec("CREATE TABLE t (x INTEGER PRIMARY KEY, v TEXT)");
  const reader = new Database(file, { readonly: true });
  const seen = (x: number) => reader.prepare("SELECT COUNT(*) AS n FROM t WHERE x = ?").get(x) as { n: number };
  const insert = db.prepare("INSERT INTO t (x, v) VALUES (?, ?)");
  /** Frames in the WAL so far (each changed page of each commit is one). */
  const frames = () => (db.pragma("wal_checkpoint(PASSIVE)") as { log: number }[])[0]!.log;
  return { db, reader, seen, insert, frames, queue: groupCommit(db), close: () => (reader.close(), db.close()) };
}

describe("SQLite group commit", () => {
  it("jobs of one turn share one commit, and each caller hears its result only once another connection can read its write", async () => {
    const grouped = opened();
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        grouped.queue
          .exclusive(async () => {
            grouped.insert.run(i, "x".repeat(200));
            return i;
          })
          .then((value) => ({ value, committed: grouped.seen(i).n })),
      ),
    );
    expect(answers).toEqual(Array.from({ length: 40 }, (_, i) => ({ value: i, committed: 1 })));
    const groupedFrames = grouped.frames();

    // The same jobs one turn apart: one commit each.
    const apart = opened();
    for (let i = 0; i < 40; i++) {
      await apart.queue.exclusive(async () => void apart.insert.run(i, "x".repeat(200)));
      expect(apart.seen(i).n).toBe(1);
    }
    expect(apart.frames()).toBeGreaterThanOrEqual(40);
    expect(groupedFrames * 5).toBeLessThan(apart.frames());
    grouped.close();
    apart.close();
  });

  it("a job that waits keeps the transaction open: none of its writes is committed half-way, and a refusal keeps them", async () => {
    const s = opened();
    let reached = false;
    const job = s.queue.exclusive(async () => {
      s.insert.run(1, "a");
      await sleep(100);
      reached = true;
      s.insert.run(2, "b");
      throw new Error("refused");
    });
    // Many turns pass while the job waits; a job queued meanwhile waits its turn.
    const queued = s.queue.exclusive(async () => void s.insert.run(3, "c"));
    await sleep(50);
    expect(reached).toBe(false);
    expect([s.seen(1).n, s.seen(2).n, s.seen(3).n]).toEqual([0, 0, 0]);
    await expect(job).rejects.toThrow("refused");
    await queued;
    expect([s.seen(1).n, s.seen(2).n, s.seen(3).n]).toEqual([1, 1, 1]);
    s.close();
  });

  it("when SQLite gives up the transaction (a full disk), no job in it is answered as saved", async () => {
    const s = opened();
    // Room for a few more pages only: a big row fails with SQLITE_FULL.
    const pages = Number(s.db.pragma("page_count", { simple: true }));
    s.db.pragma(`max_page_count = ${pages + 3}`);
    const small = s.queue.exclusive(async () => void s.insert.run(1, "small"));
    const big = s.queue.exclusive(async () => void s.insert.run(2, "x".repeat(200_000)));
    const outcomes = await Promise.allSettled([small, big]);
    expect(outcomes[1]!.status).toBe("rejected");
    // Whether SQLite rolled back the statement or the whole transaction, the answer matches the file.
    expect(outcomes[0]!.status === "fulfilled").toBe(s.seen(1).n === 1);
    expect(s.seen(2).n).toBe(0);
    // The queue goes on.
    s.db.pragma(`max_page_count = ${pages + 1000}`);
    await s.queue.exclusive(async () => void s.insert.run(3, "after"));
    expect(s.seen(3).n).toBe(1);
    s.close();
  });

  it("flush commits what is open, so a store can close at once", async () => {
    const s = opened();
    const job = s.queue.exclusive(async () => void s.insert.run(1, "a"));
    await s.queue.flush();
    expect(s.seen(1).n).toBe(1);
    await job;
    s.close();
  });
});
