import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPostgresStore } from "../../src/server/store/postgres.js";
import type { Store } from "../../src/server/store/types.js";
import { startPostgres, type TestPostgres } from "../helpers/postgres.js";
import { storeConformance } from "./conformance.js";

let cluster: TestPostgres;
beforeAll(async () => {
  cluster = await startPostgres();
}, 180_000);
afterAll(() => cluster?.stop());

storeConformance("postgres", async () => openPostgresStore(await cluster.database()));

describe("PostgreSQL store across processes", () => {
  /** Read, wait, write +1 on the group's maxTechnicians: loses updates unless serialised. */
  async function bump(store: Store): Promise<void> {
    const g = (await store.groups.get("g"))!;
    await new Promise((r) => setTimeout(r, 10));
    await store.groups.update("g", { maxTechnicians: g.maxTechnicians + 1 });
  }

  async function twoNodes(): Promise<[Store, Store]> {
    const url = await cluster.database();
    const a = await openPostgresStore(url);
    const b = await openPostgresStore(url, { poolSize: 3 });
    await a.groups.insert({ name: "g", permissions: [], pinExpiryMinutes: 1, maxTechnicians: 0, createdAt: "2026-01-01T00:00:00.000Z" });
    return [a, b];
  }

  it("exclusive holds between two pools (two nodes) on one database: no update is lost", async () => {
    const [a, b] = await twoNodes();
    try {
      const jobs = Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).exclusive(["sessions"], () => bump(i % 2 ? a : b)));
      await Promise.all(jobs);
      expect((await a.groups.get("g"))!.maxTechnicians).toBe(12);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 60_000);

  it("the same increments without exclusive lose updates (the check above can fail)", async () => {
    const [a, b] = await twoNodes();
    try {
      await Promise.all(Array.from({ length: 12 }, (_, i) => bump(i % 2 ? a : b)));
      expect((await a.groups.get("g"))!.maxTechnicians).toBeLessThan(12);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 60_000);

  it("different keys do not wait for each other", async () => {
    const [a, b] = await twoNodes();
    try {
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      const first = a.exclusive(["technician:1"], () => held);
      const other = await b.exclusive(["technician:2"], async () => "ran");
      expect(other).toBe("ran");
      release();
      await first;
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 60_000);

  it("nodes starting together migrate once; an unreachable database is refused without its password", async () => {
    const url = await cluster.database();
    const stores = await Promise.all([openPostgresStore(url), openPostgresStore(url), openPostgresStore(url)]);
    expect(await stores[0]!.groups.list()).toEqual([]);
    await Promise.all(stores.map((s) => s.close()));
    const wrong = url.replace(/:\d+\//, ":1/");
    const password = decodeURIComponent(new URL(url).password);
    const err = (await openPostgresStore(wrong).catch((e: unknown) => e)) as Error & { code?: string };
    expect(err.code).toBe("unavailable");
    expect(err.message).toContain("127.0.0.1:1");
    expect(err.message).not.toContain(password);
  }, 60_000);
});
