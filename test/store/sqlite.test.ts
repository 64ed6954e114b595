import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { DATABASE_FILE, openSqliteStore } from "../../src/server/store/sqlite.js";
import { storeConformance } from "./conformance.js";

const root = mkdtempSync(join(tmpdir(), "rescue-store-sqlite-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

storeConformance("sqlite", async () => openSqliteStore(join(root, `data-${++n}`)));

// The server's way of opening it: checkpoints in a worker thread.
describe("checkpointing in a worker", () => {
  storeConformance("sqlite", async () => openSqliteStore(join(root, `data-${++n}`), { checkpointInWorker: true }));
});

describe("upgrading a store", () => {
  it("a store made before the PIN total (migration 6) starts it from the PINs it already holds", async () => {
    const dir = join(root, `data-${++n}`);
    const T = "2026-01-02T03:04:05.000Z";
    const store = openSqliteStore(dir);
    await store.groups.insert({ name: "g", permissions: [], pinExpiryMinutes: 10, maxTechnicians: 10, createdAt: T });
    await store.technicians.insert({ id: "t1", email: "one@example.test", name: "One", group: "g", admin: false, passwordHash: "h", createdAt: T });
    const base = { technicianId: "t1", name: "C", type: "lens", mode: "view", status: "connecting", method: "pin", recordable: false, customerJoined: false } as const;
    const rest = { customerCamera: false, customerMicrophone: false, eulaAcceptedAt: null, customerResumeHash: null, customerAwaySince: null, delivery: null, createdAt: T, statusSince: T };
    for (const [id, pin] of [["s1", "111111"], ["s2", "222222"], ["s3", null]] as const) {
      await store.sessions.insert({ ...base, ...rest, id, pin, pinExpiresAt: pin ? "2026-01-02T04:00:00.000Z" : null });
    }
    await store.close();
    // Back to the schema before migration 6, with the sessions still there.
    const db = new Database(join(dir, DATABASE_FILE));
    db.exec("DROP TRIGGER sessions_pin_added; DROP TRIGGER sessions_pin_removed; DROP TRIGGER sessions_pin_changed; DROP TABLE pin_totals; DELETE FROM migrations WHERE id = 6");
    db.close();
    const upgraded = openSqliteStore(dir);
    try {
      expect(await upgraded.sessions.countLivePins(T)).toBe(2);
      await upgraded.sessions.update("s1", { pin: null });
      expect(await upgraded.sessions.livePinCounts(T, "t1")).toEqual({ technician: 1, all: 1 });
    } finally {
      await upgraded.close();
    }
  });
});
