import type Database from "better-sqlite3";
import { RescueError } from "../../protocol/index.js";
import { Serial } from "../serial.js";

interface Batch {
  /** Settles when the batch's transaction is committed (or is lost). */
  done: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

function newBatch(): Batch {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const done = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  // Every job of the batch waits on `done`; this keeps a loss from counting as unhandled meanwhile.
  done.catch(() => undefined);
  return { done, resolve, reject };
}

function lost(): RescueError {
  return new RescueError("internal", "the store could not save the change (SQLite rolled the transaction back)");
}

/**
 * Store.exclusive for SQLite: jobs run one after another (an in-process queue), and the jobs of
 * one turn of the event loop share one transaction, committed when the turn's I/O callbacks are
 * done (setImmediate) and no job is running. A commit writes each page it changed to the WAL once,
 * so sessions created in the same turn (the same table, index and log pages) cost one set of
 * writes instead of one each. A job's caller hears its result or error only once the transaction
 * holding its writes is committed, so nothing is answered that a crash could still take back.
 * A job's writes are kept also when it throws (the Store contract); a job that awaits something
 * slow keeps the transaction open until it ends, as before. When SQLite ends the transaction
 * itself (a rollback after a full disk), every job in it is answered with an internal error.
 * Statements outside jobs use the same connection and so join the open transaction.
 * Returns the queue's entry point and `flush`, which commits what is open (before closing).
 */
export function groupCommit(db: Database.Database): { exclusive<T>(job: () => Promise<T>): Promise<T>; flush(): Promise<void> } {
  const serial = new Serial();
  const begin = db.prepare("BEGIN IMMEDIATE");
  const commit = db.prepare("COMMIT");
  const rollback = db.prepare("ROLLBACK");
  let open: Batch | undefined;
  let running = false;
  let scheduled = false;

  const settle = (): void => {
    scheduled = false;
    if (running || !open) return;
    const batch = open;
    open = undefined;
    try {
      if (!db.inTransaction) throw lost();
      commit.run();
      batch.resolve();
    } catch (err) {
      if (db.inTransaction) rollback.run();
      batch.reject(err);
    }
  };
  const settleLater = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(settle);
  };

  const exclusive = <T>(job: () => Promise<T>): Promise<T> => {
    let batch: Batch | undefined;
    const ran = serial.run(async () => {
      if (!open) {
        begin.run();
        open = newBatch();
      }
      batch = open;
      running = true;
      try {
        return await job();
      } finally {
        running = false;
        if (open === batch && !db.inTransaction) {
          open = undefined;
          batch.reject(lost());
        }
        settleLater();
      }
    });
    const committed = () => batch?.done ?? Promise.resolve();
    return ran.then(
      (value) => committed().then(() => value),
      // A refusal stands as the job's answer once its writes (kept) are committed.
      (err: unknown) => committed().then(() => Promise.reject(err), () => Promise.reject(err)),
    );
  };

  return {
    exclusive,
    flush: async () => {
      await serial.run(async () => undefined);
      settle();
    },
  };
}
