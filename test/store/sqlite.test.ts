import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe } from "vitest";
import { openSqliteStore } from "../../src/server/store/sqlite.js";
import { storeConformance } from "./conformance.js";

const root = mkdtempSync(join(tmpdir(), "rescue-store-sqlite-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

storeConformance("sqlite", async () => openSqliteStore(join(root, `data-${++n}`)));

// The server's way of opening it: checkpoints in a worker thread.
describe("checkpointing in a worker", () => {
  storeConformance("sqlite", async () => openSqliteStore(join(root, `data-${++n}`), { checkpointInWorker: true }));
});
