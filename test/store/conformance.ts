import { afterEach, describe, expect, it } from "vitest";
import { ALREADY_EXISTS, RescueError } from "../../src/protocol/index.js";
import type { ApiKeyRow, InvitationRow, SessionRow, Store, TechnicianRow } from "../../src/server/store/types.js";

/** A fresh, empty store (schema applied) for one test. */
export type OpenStore = () => Promise<Store>;

type NewSession = Omit<SessionRow, "technicianEmail" | "collaborators">;

const T0 = "2026-01-02T03:04:05.000Z";
/** ISO times `ms` after T0. */
const at = (ms: number) => new Date(Date.parse(T0) + ms).toISOString();

function technician(id: string, email: string, extra: Partial<TechnicianRow> = {}): TechnicianRow {
  return { id, email, name: `Name ${id}`, group: "g", admin: false, passwordHash: `hash-${id}`, createdAt: T0, ...extra };
}

function session(id: string, technicianId: string, extra: Partial<NewSession> = {}): NewSession {
  return {
    id,
    technicianId,
    name: "Customer",
    type: "lens",
    mode: "view",
    status: "connecting",
    method: "pin",
    pin: null,
    pinExpiresAt: null,
    recordable: false,
    customerJoined: false,
    customerCamera: false,
    customerMicrophone: false,
    eulaAcceptedAt: null,
    customerResumeHash: null,
    customerAwaySince: null,
    delivery: null,
    createdAt: T0,
    statusSince: T0,
    ...extra,
  };
}

function invitation(id: string, sessionId: string, extra: Partial<InvitationRow> = {}): InvitationRow {
  return {
    id,
    sessionId,
    inviterId: "t1",
    kind: "internal",
    via: "pin",
    approved: false,
    to: null,
    inviteeId: null,
    permissions: ["view"],
    comment: null,
    status: "pending",
    pin: null,
    pinExpiresAt: at(60_000),
    tokenHash: null,
    createdAt: T0,
    joinedAt: null,
    ...extra,
  };
}

function apiKey(id: string, technicianId: string, extra: Partial<ApiKeyRow> = {}): ApiKeyRow {
  return { id, technicianId, name: `key ${id}`, hash: `h-${id}`, prefix: id.slice(0, 4), createdAt: T0, lastUsedAt: null, revokedAt: null, ...extra };
}

/** Rejects with the store's unique-violation error: RescueError conflict on both engines, marked as a thing that exists (exit 1 in the CLI, not 5). */
async function expectConflict(p: Promise<unknown>): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RescueError);
  expect((err as RescueError).code).toBe("conflict");
  expect((err as RescueError).details).toMatchObject({ reason: ALREADY_EXISTS });
}

/**
 * Every Store method against one engine. The cases are where SQLite and PostgreSQL differ by
 * nature: text ordering (locale collation vs bytes), ties, booleans, NULLs in unique columns,
 * JSON text, ISO time comparisons, bigint counts, unique violations and their error.
 */
export function storeConformance(engine: Store["engine"], open: OpenStore): void {
  let store: Store;
  const opened: Store[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });
  async function fresh(): Promise<Store> {
    store = await open();
    opened.push(store);
    await store.groups.insert({ name: "g", permissions: ["lens", "pin"], pinExpiryMinutes: 10, maxTechnicians: 5, createdAt: T0 });
    await store.technicians.insert(technician("t1", "one@example.test"));
    await store.technicians.insert(technician("t2", "two@example.test"));
    return store;
  }

  describe(`Store conformance: ${engine}`, () => {
    it("names its engine", async () => {
      await fresh();
      expect(store.engine).toBe(engine);
    });

    it("groups: text sorts byte-wise (upper case and punctuation first), JSON and integers round-trip, update patches", async () => {
      await fresh();
      for (const name of ["a.z", "B-team", "a-team", "Zed", "ab"]) {
        await store.groups.insert({ name, permissions: ["lens", "sms"], pinExpiryMinutes: 7, maxTechnicians: 3, createdAt: T0 });
      }
      expect((await store.groups.list()).map((g) => g.name)).toEqual(["B-team", "Zed", "a-team", "a.z", "ab", "g"]);
      expect(await store.groups.get("B-team")).toEqual({ name: "B-team", permissions: ["lens", "sms"], pinExpiryMinutes: 7, maxTechnicians: 3, createdAt: T0 });
      expect(await store.groups.get("b-team")).toBeUndefined();
      await store.groups.update("B-team", { maxTechnicians: 4 });
      await store.groups.update("B-team", { permissions: [] });
      await store.groups.update("nobody", { maxTechnicians: 9 });
      const g = (await store.groups.get("B-team"))!;
      expect([g.permissions, g.maxTechnicians, g.pinExpiryMinutes]).toEqual([[], 4, 7]);
      expect(await store.groups.get("nobody")).toBeUndefined();
      await expectConflict(store.groups.insert({ name: "g", permissions: [], pinExpiryMinutes: 1, maxTechnicians: 1, createdAt: T0 }));
    });

    it("technicians: booleans, byte-wise order by email, lookups, a duplicate email is a conflict, admins counted as a number", async () => {
      await fresh();
      await store.technicians.insert(technician("t3", "Zoe@example.test", { admin: true }));
      await store.technicians.insert(technician("t4", "a.b@example.test", { admin: true }));
      await store.technicians.insert(technician("t5", "ab@example.test"));
      expect((await store.technicians.list()).map((t) => t.email)).toEqual(["Zoe@example.test", "a.b@example.test", "ab@example.test", "one@example.test", "two@example.test"]);
      const admins = await store.technicians.countAdmins();
      expect(admins).toBe(2);
      expect(typeof admins).toBe("number");
      expect(await store.technicians.byId("t3")).toEqual(technician("t3", "Zoe@example.test", { admin: true }));
      expect((await store.technicians.byId("t5"))!.admin).toBe(false);
      expect((await store.technicians.byEmail("ab@example.test"))!.id).toBe("t5");
      expect(await store.technicians.byEmail("zoe@example.test")).toBeUndefined();
      expect(await store.technicians.byId("missing")).toBeUndefined();
      await expectConflict(store.technicians.insert(technician("t6", "one@example.test")));
      await expectConflict(store.technicians.insert(technician("t1", "other@example.test")));
      expect((await store.technicians.list()).length).toBe(5);
    });

    it("tokens: insert, get, delete, and deleteExpired compares ISO times (strictly before now)", async () => {
      await fresh();
      await store.tokens.insert({ hash: "old", technicianId: "t1", expiresAt: at(1_000), createdAt: T0 });
      await store.tokens.insert({ hash: "edge", technicianId: "t1", expiresAt: at(2_000), createdAt: T0 });
      await store.tokens.insert({ hash: "new", technicianId: "t2", expiresAt: at(3_000), createdAt: T0 });
      await expectConflict(store.tokens.insert({ hash: "new", technicianId: "t1", expiresAt: at(9_000), createdAt: T0 }));
      expect(await store.tokens.get("old")).toEqual({ hash: "old", technicianId: "t1", expiresAt: at(1_000), createdAt: T0 });
      await store.tokens.deleteExpired(at(2_000));
      expect(await store.tokens.get("old")).toBeUndefined();
      expect(await store.tokens.get("edge")).toBeDefined();
      await store.tokens.delete("edge");
      await store.tokens.delete("not-there");
      expect(await store.tokens.get("edge")).toBeUndefined();
      expect((await store.tokens.get("new"))!.technicianId).toBe("t2");
    });

    it("tokens: withOwner joins the technician and their group, and finds nothing for an unknown token", async () => {
      await fresh();
      await store.tokens.insert({ hash: "h2", technicianId: "t2", expiresAt: at(3_000), createdAt: T0 });
      expect(await store.tokens.withOwner("h2")).toEqual({
        token: { hash: "h2", technicianId: "t2", expiresAt: at(3_000), createdAt: T0 },
        technician: await store.technicians.byId("t2"),
        group: await store.groups.get("g"),
      });
      expect(await store.tokens.withOwner("h1")).toBeUndefined();
    });

    it("sessions: every field round-trips (booleans, NULLs, JSON), the technician's email is joined in", async () => {
      await fresh();
      const full = session("s1", "t1", {
        name: "Zoë 🙂 'quoted' \"name\"",
        type: "desktop",
        mode: "view",
        method: "sms",
        pin: "012345",
        pinExpiresAt: at(600_000),
        recordable: true,
        customerJoined: true,
        customerCamera: false,
        customerMicrophone: true,
        eulaAcceptedAt: at(5),
        customerResumeHash: "r".repeat(64),
        customerAwaySince: at(7),
        delivery: JSON.stringify({ channel: "sms", to: "+15005550006", status: "sent" }),
      });
      await store.sessions.insert(full);
      expect(await store.sessions.get("s1")).toEqual({ ...full, technicianEmail: "one@example.test", collaborators: [] });
      const bare = session("s2", "t2");
      await store.sessions.insert(bare);
      expect(await store.sessions.get("s2")).toEqual({ ...bare, technicianEmail: "two@example.test", collaborators: [] });
      expect((await store.sessions.byPin("012345"))!.id).toBe("s1");
      expect(await store.sessions.byPin("12345")).toBeUndefined();
      expect(await store.sessions.get("nope")).toBeUndefined();
    });

    it("sessions: PINs are unique while held, NULL PINs are not, and a duplicate is the same conflict on insert and update", async () => {
      await fresh();
      await store.sessions.insert(session("s1", "t1", { pin: "111111" }));
      await store.sessions.insert(session("s2", "t1"));
      await store.sessions.insert(session("s3", "t2"));
      await expectConflict(store.sessions.insert(session("s4", "t2", { pin: "111111" })));
      await expectConflict(store.sessions.update("s2", { pin: "111111" }));
      await expectConflict(store.sessions.insert(session("s1", "t2")));
      await store.sessions.update("s1", { pin: null, pinExpiresAt: null, status: "closed" });
      await store.sessions.update("s2", { pin: "111111" });
      expect((await store.sessions.byPin("111111"))!.id).toBe("s2");
      expect(await store.sessions.get("s4")).toBeUndefined();
    });

    it("sessions: update patches booleans, NULLs, collaborators JSON and the lead; an empty patch changes nothing", async () => {
      await fresh();
      await store.sessions.insert(session("s1", "t1", { pin: "222222", pinExpiresAt: at(1) }));
      const collaborators: SessionRow["collaborators"] = [
        { id: "i1", technicianId: "t2", technician: "two@example.test", external: false, permissions: ["view", "chat"], joinedAt: at(3) },
        { id: "i2", technicianId: "ext:x", technician: "ext@example.test", external: true, permissions: [], joinedAt: at(4) },
      ];
      await store.sessions.update("s1", { customerJoined: true, customerCamera: true, status: "waiting", statusSince: at(2), collaborators });
      await store.sessions.update("s1", {});
      let row = (await store.sessions.get("s1"))!;
      expect([row.customerJoined, row.customerCamera, row.customerMicrophone, row.status, row.statusSince]).toEqual([true, true, false, "waiting", at(2)]);
      expect(row.collaborators).toEqual(collaborators);
      await store.sessions.update("s1", { pin: null, pinExpiresAt: null, customerCamera: false, technicianId: "t2", eulaAcceptedAt: at(9), customerAwaySince: null });
      row = (await store.sessions.get("s1"))!;
      expect([row.pin, row.pinExpiresAt, row.customerCamera, row.technicianId, row.technicianEmail, row.eulaAcceptedAt]).toEqual([null, null, false, "t2", "two@example.test", at(9)]);
      await store.sessions.update("missing", { status: "closed" });
      expect(await store.sessions.get("missing")).toBeUndefined();
    });

    it("sessions: lists newest first with ties broken the same way, filtered by status and since (ISO comparison)", async () => {
      await fresh();
      await store.sessions.insert(session("s-b", "t1", { createdAt: at(10), statusSince: at(10) }));
      await store.sessions.insert(session("s-A", "t1", { createdAt: at(10), statusSince: at(20), status: "active" }));
      await store.sessions.insert(session("s-a", "t1", { createdAt: at(10), statusSince: at(30), status: "closed" }));
      await store.sessions.insert(session("s-c", "t1", { createdAt: at(5), statusSince: at(5), status: "waiting" }));
      await store.sessions.insert(session("s-z", "t1", { createdAt: at(99), statusSince: at(99), status: "closed" }));
      await store.sessions.insert(session("s-other", "t2", { createdAt: at(50) }));
      const all = ["connecting", "waiting", "active", "closed"] as const;
      expect((await store.sessions.listByTechnician("t1", all)).map((s) => s.id)).toEqual(["s-z", "s-b", "s-a", "s-A", "s-c"]);
      expect((await store.sessions.listByTechnician("t1", ["active", "waiting"])).map((s) => s.id)).toEqual(["s-A", "s-c"]);
      expect(await store.sessions.listByTechnician("t1", [])).toEqual([]);
      expect((await store.sessions.listByTechnician("t1", ["closed"]))[0]!.technicianEmail).toBe("one@example.test");
      expect((await store.sessions.listByTechnicianSince("t1", ["closed"], at(30))).map((s) => s.id)).toEqual(["s-z", "s-a"]);
      expect((await store.sessions.listByTechnicianSince("t1", ["closed"], at(31))).map((s) => s.id)).toEqual(["s-z"]);
      expect(await store.sessions.listByTechnicianSince("t1", [], T0)).toEqual([]);
    });

    it("sessions: expired PINs, joined live sessions and live PIN counts (NULL expiry counts as live; equal to now does not)", async () => {
      await fresh();
      await store.sessions.insert(session("expired", "t1", { pin: "000001", pinExpiresAt: at(1_000) }));
      await store.sessions.insert(session("edge", "t1", { pin: "000002", pinExpiresAt: at(2_000) }));
      await store.sessions.insert(session("joined", "t1", { pin: "000003", pinExpiresAt: at(1_000), customerJoined: true, status: "waiting" }));
      await store.sessions.insert(session("forever", "t2", { pin: "000004", pinExpiresAt: null }));
      await store.sessions.insert(session("ended", "t2", { customerJoined: true, status: "closed", pinExpiresAt: at(1) }));
      await store.sessions.insert(session("active", "t2", { customerJoined: true, status: "active", createdAt: at(1) }));
      expect((await store.sessions.listExpiredPins(at(2_000))).map((s) => s.id)).toEqual(["expired"]);
      expect((await store.sessions.listExpiredPins(at(2_001))).map((s) => s.id).sort()).toEqual(["edge", "expired"]);
      expect((await store.sessions.listJoinedLive()).map((s) => s.id)).toEqual(["joined", "active"]);
      expect(await store.sessions.listAwayLive()).toEqual([]);
      await store.sessions.update("active", { customerAwaySince: at(30) });
      await store.sessions.update("joined", { customerAwaySince: at(20) });
      await store.sessions.update("ended", { customerAwaySince: at(10) });
      // Ended sessions have no one away, whatever mark they kept.
      expect((await store.sessions.listAwayLive()).map((s) => s.id)).toEqual(["joined", "active"]);
      await store.sessions.update("joined", { customerAwaySince: null });
      expect((await store.sessions.listAwayLive()).map((s) => [s.id, s.customerAwaySince, s.technicianEmail])).toEqual([["active", at(30), "two@example.test"]]);
      const all = await store.sessions.countLivePins(at(2_000));
      expect(all).toBe(1); // only forever: it has no expiry; edge expires at now, so it is not live
      expect(typeof all).toBe("number");
      expect(await store.sessions.countLivePins(at(0), "t1")).toBe(3);
      expect(await store.sessions.countLivePins(at(0), "t2")).toBe(1);
      expect(await store.sessions.countLivePins(at(0), "nobody")).toBe(0);
      // The counts a new session must fit under, in one query: the same figures, invitations in `all`.
      await store.invitations.insert(invitation("i-live", "active", { pin: "000005", pinExpiresAt: at(3_000) }));
      await store.invitations.insert(invitation("i-old", "active", { pin: "000006", pinExpiresAt: at(2_000) }));
      expect(await store.sessions.livePinCounts(at(0), "t1")).toEqual({ technician: 3, all: 6 });
      expect(await store.sessions.livePinCounts(at(2_000), "t2")).toEqual({ technician: 1, all: 2 });
      expect(await store.sessions.livePinCounts(at(2_000), "nobody")).toEqual({ technician: 0, all: 2 });
      expect([await store.sessions.pinTaken("000004"), await store.sessions.pinTaken("000005"), await store.sessions.pinTaken("4")]).toEqual([true, false, false]);
    });

    it("sessions: the live PIN count follows every way a PIN comes and goes (insert, clear, reissue, replace, other columns, a refused insert)", async () => {
      await fresh();
      const live = async (now: string) => [await store.sessions.countLivePins(now), (await store.sessions.livePinCounts(now, "t1")).all];
      expect(await live(at(0))).toEqual([0, 0]);
      await store.sessions.insert(session("a", "t1", { pin: "100001", pinExpiresAt: at(1_000) }));
      await store.sessions.insert(session("b", "t1", { pin: "100002", pinExpiresAt: null }));
      await store.sessions.insert(session("c", "t2", { pin: null }));
      expect(await live(at(0))).toEqual([2, 2]);
      // A PIN replaced by another (a new PIN for the session) and a change of other columns count nothing.
      await store.sessions.update("a", { pin: "100003", pinExpiresAt: at(2_000) });
      await store.sessions.update("b", { status: "waiting", customerCamera: true });
      expect(await live(at(0))).toEqual([2, 2]);
      // Expired but not cleared yet: not live, though it still holds its PIN.
      expect(await live(at(2_000))).toEqual([1, 1]);
      // Cleared (a join, an expiry), cleared again (nothing to take), and reissued.
      await store.sessions.update("a", { pin: null, pinExpiresAt: null });
      await store.sessions.update("a", { pin: null });
      expect(await live(at(0))).toEqual([1, 1]);
      await store.sessions.update("c", { pin: "100004", pinExpiresAt: at(5_000) });
      expect(await live(at(0))).toEqual([2, 2]);
      // An insert the store refuses (a PIN already taken) leaves the count as it was.
      await expectConflict(store.sessions.insert(session("d", "t1", { pin: "100004", pinExpiresAt: at(5_000) })));
      await expectConflict(store.sessions.update("b", { pin: "100004" }));
      expect(await live(at(0))).toEqual([2, 2]);
      expect(await live(at(5_000))).toEqual([1, 1]);
      // Many at once, as a burst of new sessions commits together.
      await store.exclusive(["sessions"], async () => {
        for (let i = 0; i < 20; i++) await store.sessions.insert(session(`m${i}`, "t2", { pin: String(200_000 + i), pinExpiresAt: at(3_000 + i) }));
      });
      expect(await live(at(0))).toEqual([22, 22]);
      expect(await live(at(3_010))).toEqual([11, 11]);
    });

    it("invitations: round-trip, lookups, unique PIN and token hash, patch, lists and live PIN count", async () => {
      await fresh();
      await store.sessions.insert(session("s1", "t1"));
      const ext = invitation("i-ext", "s1", { kind: "external", via: "email", approved: true, to: "Ext@Example.test", permissions: ["view", "talk"], comment: "please 🙏", pin: "333333", tokenHash: "th" });
      await store.invitations.insert(ext);
      await store.invitations.insert(invitation("i-b", "s1", { inviteeId: "t2", createdAt: at(5), pin: "444444", pinExpiresAt: at(10) }));
      await store.invitations.insert(invitation("i-a", "s1", { inviteeId: "t2", createdAt: at(5), status: "joined" }));
      expect(await store.invitations.get("i-ext")).toEqual(ext);
      expect((await store.invitations.get("i-a"))!.approved).toBe(false);
      expect((await store.invitations.byPin("333333"))!.id).toBe("i-ext");
      expect((await store.invitations.byTokenHash("th"))!.id).toBe("i-ext");
      expect(await store.invitations.byTokenHash("TH")).toBeUndefined();
      await expectConflict(store.invitations.insert(invitation("i-c", "s1", { pin: "333333" })));
      await expectConflict(store.invitations.update("i-a", { tokenHash: "th" }));
      expect((await store.invitations.listBySession("s1")).map((i) => i.id)).toEqual(["i-ext", "i-a", "i-b"]);
      expect((await store.invitations.listByInvitee("t2", ["pending", "joined"])).map((i) => i.id)).toEqual(["i-b", "i-a"]);
      expect((await store.invitations.listByInvitee("t2", ["joined"])).map((i) => i.id)).toEqual(["i-a"]);
      expect(await store.invitations.listByInvitee("t2", [])).toEqual([]);
      expect(await store.invitations.countLivePins(at(10))).toBe(1);
      expect(await store.invitations.countLivePins(at(9))).toBe(2);
      await store.invitations.update("i-b", { status: "joined", pin: null, joinedAt: at(8), permissions: ["chat"] });
      await store.invitations.update("i-b", {});
      const b = (await store.invitations.get("i-b"))!;
      expect([b.status, b.pin, b.joinedAt, b.permissions]).toEqual(["joined", null, at(8), ["chat"]]);
      expect(await store.invitations.countLivePins(at(9))).toBe(1);
    });

    it("external technicians: byte-wise order, lookups, duplicates refused", async () => {
      await fresh();
      await store.externalTechnicians.insert({ email: "b@example.test", name: "B", addedAt: T0 });
      await store.externalTechnicians.insert({ email: "A@example.test", name: "A", addedAt: at(1) });
      await expectConflict(store.externalTechnicians.insert({ email: "b@example.test", name: "again", addedAt: T0 }));
      expect((await store.externalTechnicians.list()).map((e) => e.email)).toEqual(["A@example.test", "b@example.test"]);
      expect(await store.externalTechnicians.get("A@example.test")).toEqual({ email: "A@example.test", name: "A", addedAt: at(1) });
      expect(await store.externalTechnicians.get("a@example.test")).toBeUndefined();
    });

    it("off-boarding: a technician update patches only what it names, disabled and removed admins are not counted, a removed row keeps its sessions readable", async () => {
      await fresh();
      await store.technicians.insert(technician("t3", "boss@example.test", { admin: true }));
      await store.technicians.insert(technician("t4", "deputy@example.test", { admin: true }));
      await store.groups.insert({ name: "h", permissions: [], pinExpiryMinutes: 1, maxTechnicians: 1, createdAt: T0 });
      await store.sessions.insert(session("s1", "t1"));
      expect(await store.technicians.countAdmins()).toBe(2);
      expect(await store.technicians.update("t4", { disabledAt: at(1) })).toBe(true);
      expect(await store.technicians.countAdmins()).toBe(1);
      expect(await store.technicians.byId("t4")).toEqual(technician("t4", "deputy@example.test", { admin: true, disabledAt: at(1) }));
      expect(await store.technicians.update("t4", { disabledAt: null })).toBe(true);
      expect(await store.technicians.byId("t4")).toEqual(technician("t4", "deputy@example.test", { admin: true }));
      expect(await store.technicians.countAdmins()).toBe(2);
      expect(await store.technicians.update("t3", { removedAt: at(2) })).toBe(true);
      expect(await store.technicians.countAdmins()).toBe(1);
      // The removed technician's rows stay: the session still names them.
      await store.technicians.update("t1", { removedAt: at(3), group: "h", passwordHash: "new" });
      expect(await store.technicians.byEmail("one@example.test")).toEqual(technician("t1", "one@example.test", { removedAt: at(3), group: "h", passwordHash: "new" }));
      expect((await store.sessions.get("s1"))!.technicianEmail).toBe("one@example.test");
      expect(await store.technicians.update("missing", { disabledAt: at(4) })).toBe(false);
      expect(await store.technicians.update("t2", {})).toBe(true);
      expect(await store.technicians.update("missing", {})).toBe(false);
    });

    it("off-boarding: every token of one technician revoked at once (their hashes returned), others kept", async () => {
      await fresh();
      for (const hash of ["a1", "a2", "a3"]) await store.tokens.insert({ hash, technicianId: "t1", expiresAt: at(60_000), createdAt: T0 });
      await store.tokens.insert({ hash: "b1", technicianId: "t2", expiresAt: at(60_000), createdAt: T0 });
      expect((await store.tokens.deleteByTechnician("t1")).sort()).toEqual(["a1", "a2", "a3"]);
      for (const hash of ["a1", "a2", "a3"]) expect(await store.tokens.withOwner(hash)).toBeUndefined();
      expect((await store.tokens.withOwner("b1"))!.technician.id).toBe("t2");
      expect(await store.tokens.deleteByTechnician("t1")).toEqual([]);
    });

    it("off-boarding: a group is deleted only when no technician (removed ones too) is in it; an approval is withdrawn", async () => {
      await fresh();
      await store.groups.insert({ name: "empty", permissions: [], pinExpiryMinutes: 1, maxTechnicians: 1, createdAt: T0 });
      expect(await store.groups.delete("empty")).toBe(true);
      expect(await store.groups.get("empty")).toBeUndefined();
      expect(await store.groups.delete("empty")).toBe(false);
      await store.technicians.update("t1", { removedAt: at(1) });
      await expect(store.groups.delete("g")).rejects.toMatchObject({ code: "conflict", message: expect.stringContaining("still has technicians") });
      expect(await store.groups.get("g")).toBeDefined();
      await store.externalTechnicians.insert({ email: "ext@example.test", name: "E", addedAt: T0 });
      expect(await store.externalTechnicians.delete("ext@example.test")).toBe(true);
      expect(await store.externalTechnicians.get("ext@example.test")).toBeUndefined();
      expect(await store.externalTechnicians.delete("ext@example.test")).toBe(false);
    });

    it("session log: entries come back in the order appended, JSON intact, per session", async () => {
      await fresh();
      await store.sessions.insert(session("s1", "t1"));
      await store.sessions.insert(session("s2", "t1"));
      const entries = Array.from({ length: 12 }, (_, i) => ({ at: at(12 - i), event: "chat" as const, from: "customer", text: `n°${i} ✓ "q" \\ ${"\u0000".length}`, nested: { i, list: [i, null, true] } }));
      for (const [i, e] of entries.entries()) await store.sessionLog.append(i % 2 ? "s2" : "s1", e);
      expect(await store.sessionLog.list("s1")).toEqual(entries.filter((_, i) => i % 2 === 0));
      expect(await store.sessionLog.list("s2")).toEqual(entries.filter((_, i) => i % 2 === 1));
      expect(await store.sessionLog.list("none")).toEqual([]);
      // Several at once keep their order, after what was there and before what follows.
      await store.sessionLog.appendAll("s1", entries.slice(0, 5));
      await store.sessionLog.appendAll("s1", []);
      await store.sessionLog.append("s1", entries[11]!);
      expect(await store.sessionLog.list("s1")).toEqual([...entries.filter((_, i) => i % 2 === 0), ...entries.slice(0, 5), entries[11]]);
    });

    it("api keys: round-trip, newest first, revoke once (boolean), touch, duplicate hash refused", async () => {
      await fresh();
      await store.apiKeys.insert(apiKey("k1", "t1", { createdAt: at(1) }));
      await store.apiKeys.insert(apiKey("k2", "t1", { createdAt: at(2) }));
      await store.apiKeys.insert(apiKey("k0", "t1", { createdAt: at(2) }));
      await store.apiKeys.insert(apiKey("k3", "t2"));
      await expectConflict(store.apiKeys.insert(apiKey("k4", "t2", { hash: "h-k1" })));
      expect(await store.apiKeys.byHash("h-k1")).toEqual(apiKey("k1", "t1", { createdAt: at(1) }));
      expect((await store.apiKeys.listByTechnician("t1")).map((k) => k.id)).toEqual(["k0", "k2", "k1"]);
      expect(await store.apiKeys.revoke("k1", "t2", at(5))).toBe(false);
      expect(await store.apiKeys.revoke("k1", "t1", at(5))).toBe(true);
      expect(await store.apiKeys.revoke("k1", "t1", at(6))).toBe(false);
      await store.apiKeys.touch("k2", at(7));
      expect((await store.apiKeys.byHash("h-k1"))!.revokedAt).toBe(at(5));
      expect((await store.apiKeys.byHash("h-k2"))!.lastUsedAt).toBe(at(7));
      expect(await store.apiKeys.byHash("nope")).toBeUndefined();
    });

    it("outbox: appended rows come back in order, NULL subject kept", async () => {
      await fresh();
      await store.outbox.append({ channel: "sms", to: "+15005550006", subject: null, body: "PIN 123456", at: at(2) });
      await store.outbox.append({ channel: "email", to: "a@example.test", subject: "Support", body: "line 1\nline 2", at: at(1) });
      expect(await store.outbox.list()).toEqual([
        { channel: "sms", to: "+15005550006", subject: null, body: "PIN 123456", at: at(2) },
        { channel: "email", to: "a@example.test", subject: "Support", body: "line 1\nline 2", at: at(1) },
      ]);
    });

    it("exclusive: jobs on one key never interleave; the result and the refusal come through; writes made before a refusal stay", async () => {
      await fresh();
      const trace: string[] = [];
      const job = (name: string) => async () => {
        trace.push(`${name}:in`);
        const g = (await store.groups.get("g"))!;
        await new Promise((r) => setTimeout(r, 15));
        await store.groups.update("g", { maxTechnicians: g.maxTechnicians + 1 });
        trace.push(`${name}:out`);
        return name;
      };
      const results = await Promise.all(["a", "b", "c", "d"].map((n) => store.exclusive(["k"], job(n))));
      expect(results).toEqual(["a", "b", "c", "d"]);
      for (let i = 0; i < trace.length; i += 2) expect(trace[i + 1]).toBe(trace[i]!.replace(":in", ":out"));
      expect((await store.groups.get("g"))!.maxTechnicians).toBe(9);

      const refusal = store.exclusive(["k"], async () => {
        await store.outbox.append({ channel: "sms", to: "+1", subject: null, body: "kept", at: T0 });
        throw new RescueError("forbidden", "no");
      });
      await expect(refusal).rejects.toMatchObject({ code: "forbidden" });
      expect((await store.outbox.list()).map((o) => o.body)).toEqual(["kept"]);
      // The store goes on working after a refused job.
      expect(await store.exclusive(["k"], async () => (await store.groups.get("g"))!.name)).toBe("g");
    });

    it("exclusive: a unique violation inside a job is the same conflict, and the store goes on", async () => {
      await fresh();
      const job = store.exclusive(["k"], async () => {
        await store.technicians.insert(technician("t9", "one@example.test"));
      });
      await expectConflict(job);
      expect(await store.technicians.byId("t9")).toBeUndefined();
      await store.exclusive(["k"], () => store.technicians.insert(technician("t9", "nine@example.test")));
      expect((await store.technicians.byId("t9"))!.email).toBe("nine@example.test");
    });
  });
}
