import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/** How often the checkpointer copies the WAL into the database file. */
export const CHECKPOINT_INTERVAL_MS = 1_000;

/**
 * WAL pages after which the server's own connection checkpoints itself, blocking: only reached
 * when the checkpointer falls far behind (SQLite's default is 1,000, about 4 MB).
 */
export const BACKSTOP_CHECKPOINT_PAGES = 20_000;

// CommonJS run by the worker (eval: the same code serves the tsc output and the TypeScript
// sources tests load). It gets the driver's resolved path, so the server's working folder does not matter.
const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const report = (err) => parentPort.postMessage({ error: String((err && err.message) || err) });
let db;
const checkpoint = () => {
  try {
    if (!db) {
      db = new Database(workerData.file, { fileMustExist: true });
      db.pragma("synchronous = NORMAL");
    }
    db.pragma("wal_checkpoint(PASSIVE)");
  } catch (err) {
    report(err);
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on("message", (m) => {
  if (m !== "close") return;
  clearInterval(timer);
  if (db) {
    checkpoint();
    db.close();
  }
  parentPort.close();
});
`;

/**
 * Checkpoints the SQLite WAL of `file` from a worker thread with its own connection, so that the
 * event loop never waits for a checkpoint's copying and fsyncs: with SQLite's automatic
 * checkpoint every thousandth page's commit blocked the loop for 30–70 ms on a busy machine
 * (the p99 of every request). PASSIVE never blocks the server's connection; the WAL starts over
 * at the next write once everything in it is copied. `onError` hears a failed checkpoint.
 * `close()` runs a last checkpoint and ends the thread.
 */
export function startCheckpointer(file: string, onError: (message: string) => void = () => undefined, intervalMs = CHECKPOINT_INTERVAL_MS): { close(): Promise<void> } {
  const driver = createRequire(import.meta.url).resolve("better-sqlite3");
  const worker = new Worker(WORKER, { eval: true, workerData: { file, driver, intervalMs } });
  // The server may stop without closing the store (a fatal error): the thread does not hold it up.
  worker.unref();
  worker.on("message", (m: { error?: string }) => m.error && onError(m.error));
  worker.on("error", (err) => onError(err instanceof Error ? err.message : String(err)));
  const exited = new Promise<void>((done) => worker.once("exit", () => done()));
  return {
    close: async () => {
      // Held while closing: a process with nothing else left to do would otherwise end before
      // the last checkpoint, and an awaited close() would never settle.
      worker.ref();
      worker.postMessage("close");
      await exited;
    },
  };
}
