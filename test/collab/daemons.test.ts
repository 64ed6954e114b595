import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundledClip } from "../../src/customer/assets.js";
import { simulateCustomer, type SimulateCustomerResult } from "../../src/customer/run.js";
import { SessionLogEntry, type Permission } from "../../src/protocol/index.js";
import { cliLogin, dropHome, makeHome, rescue } from "../helpers/cli.js";
import { startTestServer, type Account, type TestServer } from "../helpers/server.js";

const LEAD: Permission[] = ["lens", "private", "pin", "link", "chat", "record", "invite-internal", "invite-external", "invite-unlisted", "transfer"];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Three daemons in their own RESCUE_HOMEs against one server: a lead, an internal and an external technician. */
describe("collaboration and transfer with real daemons and media", () => {
  let server: TestServer;
  let lead: Account;
  let internal: Account;
  const homes = { lead: "", internal: "", external: "" };
  let customer: Promise<SimulateCustomerResult> | undefined;
  const leaving = new AbortController();

  beforeAll(async () => {
    server = await startTestServer();
    lead = await server.technician(LEAD);
    internal = await server.technician(["lens", "private", "pin", "chat", "record"]);
    homes.lead = makeHome();
    homes.internal = makeHome();
    homes.external = makeHome();
    await cliLogin(homes.lead, server.url, lead.email, lead.password);
    await cliLogin(homes.internal, server.url, internal.email, internal.password);
  });
  afterAll(async () => {
    leaving.abort();
    await customer?.catch(() => undefined);
    for (const h of Object.values(homes)) if (h) await dropHome(h);
    await server.close();
  });

  const frames = async (home: string, id: string): Promise<number> => {
    const r = await rescue(home, ["session", "stats", id, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    return r.json().video.frames as number;
  };
  /** Waits until the technician of `home` has received more than `min` video frames. */
  const framesAbove = async (home: string, id: string, min: number): Promise<number> => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const n = await frames(home, id);
      if (n > min || Date.now() > deadline) return n;
      await sleep(250);
    }
  };

  it("admins keep the approved external list; invite checks its flags", async () => {
    const adminHome = makeHome();
    try {
      await cliLogin(adminHome, server.url, server.admin.email, server.admin.password);
      const added = await rescue(adminHome, ["admin", "external", "add", "partner@vendor.test", "--name", "Partner", "--json"]);
      expect(added.code, added.stderr).toBe(0);
      expect(added.json()).toMatchObject({ email: "partner@vendor.test", name: "Partner" });
      const list = await rescue(adminHome, ["admin", "external", "list", "--json"]);
      expect(list.json().map((e: { email: string }) => e.email)).toEqual(["partner@vendor.test"]);
      expect((await rescue(homes.lead, ["admin", "external", "list"])).code).toBe(5);
    } finally {
      await dropHome(adminHome);
    }
    for (const args of [
      ["invite", "--session", "s1", "--internal", "a@b.test", "--external", "--pin"],
      ["invite", "--session", "s1", "--external"],
      ["invite", "--session", "s1", "--external", "--pin", "--link"],
      ["invite", "--session", "s1", "--internal", "a@b.test", "--pin"],
      ["join"],
      ["join", "--link", "http://127.0.0.1:1/elsewhere"],
    ]) {
      expect((await rescue(homes.lead, args)).code, args.join(" ")).toBe(2);
    }
  });

  it("invites internally and externally (link, then PIN), streams to every collaborator, enforces permissions, removes, transfers, and logs it all", async () => {
    const created = await rescue(homes.lead, ["session", "new", "--lens", "--pin", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const { id, pin } = created.json();
    customer = simulateCustomer({ server: server.url, pin, acceptEula: true, durationSec: 40, signal: leaving.signal });
    const waited = await rescue(homes.lead, ["session", "wait", id, "--status", "waiting", "--timeout", "10"]);
    expect(waited.code, waited.stderr).toBe(0);
    const started = await rescue(homes.lead, ["session", "start", id, "--json"]);
    expect(started.code, started.stderr).toBe(0);

    // Internal invitation: the invitee's daemon joins with its login and sees the permissions and comment.
    const inv = await rescue(homes.lead, ["invite", "--session", id, "--internal", internal.email, "--permission", "view,talk", "--comment", "check the cabling", "--json"]);
    expect(inv.code, inv.stderr).toBe(0);
    const internalInvite = inv.json();
    expect(internalInvite.invitation).toMatchObject({ kind: "internal", permissions: ["view", "talk"], comment: "check the cabling" });
    const pending = await rescue(homes.internal, ["invitations", "list", "--json"]);
    expect(pending.code, pending.stderr).toBe(0);
    expect(pending.json()).toEqual([expect.objectContaining({ pin: internalInvite.pin, from: lead.email, permissions: ["view", "talk"], comment: "check the cabling" })]);
    const joined = await rescue(homes.internal, ["join", "--pin", internalInvite.pin, "--json"]);
    expect(joined.code, joined.stderr).toBe(0);
    expect(joined.json().invitation).toMatchObject({ from: lead.email, permissions: ["view", "talk"], comment: "check the cabling" });

    // External invitation by link: a daemon with no login joins with the invitation alone.
    const ext = await rescue(homes.lead, ["invite", "--session", id, "--external", "--link", "--permission", "view,chat", "--json"]);
    expect(ext.code, ext.stderr).toBe(0);
    const externalInvite = ext.json();
    const page = await fetch(externalInvite.link);
    expect(await page.text()).toContain(`rescue join --link ${externalInvite.link}`);
    const extJoined = await rescue(homes.external, ["join", "--link", externalInvite.link, "--json"]);
    expect(extJoined.code, extJoined.stderr).toBe(0);
    expect(extJoined.stdout).not.toMatch(/token/);
    expect((await rescue(homes.lead, ["session", "wait", id, "--status", "collaborating", "--timeout", "10"])).code).toBe(0);

    // Media reaches the lead and both collaborators.
    expect(await framesAbove(homes.lead, id, 30)).toBeGreaterThan(30);
    expect(await framesAbove(homes.internal, id, 30)).toBeGreaterThan(30);
    expect(await framesAbove(homes.external, id, 30)).toBeGreaterThan(30);

    // Permissions: the internal collaborator has no chat until the lead grants it; the external one has it.
    const denied = await rescue(homes.internal, ["chat", id, "hello"]);
    expect(denied.code).toBe(5);
    expect(denied.stderr).toMatch(/permission: chat/);
    expect((await rescue(homes.external, ["chat", id, "external here"])).code).toBe(0);
    const set = await rescue(homes.lead, ["collaborator", "set", id, internal.email, "--permission", "view,chat,talk"]);
    expect(set.code, set.stderr).toBe(0);
    expect((await rescue(homes.internal, ["chat", id, "now I can"])).code).toBe(0);

    // Removing the external technician: status back to active, their media stops.
    const removed = await rescue(homes.lead, ["collaborator", "remove", "--json", "--", id, externalInvite.invitation.id]);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.json().status).toBe("active");
    // Their scoped token is revoked: the daemon is cut off from the session.
    const after = await rescue(homes.external, ["chat", id, "still here?"]);
    expect(after.code).toBe(4);

    // Invited again, by PIN, as an approved technician: the same console joins with the new invitation alone.
    await server.api("POST", "/api/v1/admin/external-technicians", { token: server.admin.token, body: { email: "approved@vendor.test" } });
    const byPin = await rescue(homes.lead, ["invite", "--session", id, "--external", "--pin", "--to", "approved@vendor.test", "--permission", "view", "--json"]);
    expect(byPin.code, byPin.stderr).toBe(0);
    expect(byPin.json().invitation).toMatchObject({ approved: true, via: "pin" });
    const rejoined = await rescue(homes.external, ["join", "--pin", byPin.json().pin, "--server", server.url, "--json"]);
    expect(rejoined.code, rejoined.stderr).toBe(0);
    expect(rejoined.json().as).toBe("approved@vendor.test");
    expect(await framesAbove(homes.external, id, 30)).toBeGreaterThan(30);
    expect((await rescue(homes.external, ["chat", id, "view only"])).code).toBe(5);
    const talk = await rescue(homes.external, ["session", "talk", id, "--audio", bundledClip().audio]);
    expect(talk.code).toBe(5);
    expect(talk.stderr).toMatch(/permission: talk/);
    // A viewer watches and hears; keeping the customer's picture or voice on disk needs record.
    const still = await rescue(homes.external, ["session", "snapshot", id, "--json"]);
    expect(still.code, still.stderr).toBe(5);
    expect(still.stderr).toMatch(/permission: record/);
    const voice = join(homes.external, "voice.wav");
    const saved = await rescue(homes.external, ["session", "listen", id, "--out", voice]);
    expect(saved.code, saved.stderr).toBe(5);
    expect(saved.stderr).toMatch(/permission: record/);
    expect(existsSync(voice)).toBe(false);

    // Transfer: never to an external technician; to the internal one, whose daemon takes over the stream and records anew.
    const refused = await rescue(homes.lead, ["session", "transfer", id, "--to", "vendor@example.test"]);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toMatch(/external technicians/);
    const moved = await rescue(homes.lead, ["session", "transfer", id, "--to", internal.email, "--json"]);
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.json()).toMatchObject({ technician: internal.email });
    const list = await rescue(homes.internal, ["session", "list", "--json"]);
    // The external technician (back in by PIN) keeps the session Collaborating and keeps their stream.
    expect(list.json().find((s: { id: string }) => s.id === id)).toMatchObject({ technician: internal.email, status: "collaborating" });
    const before = await frames(homes.internal, id);
    expect(await framesAbove(homes.internal, id, before + 30)).toBeGreaterThan(before + 30);
    const externalBefore = await frames(homes.external, id);
    expect(await framesAbove(homes.external, id, externalBefore + 30)).toBeGreaterThan(externalBefore + 30);

    const log = await rescue(homes.internal, ["session", "log", id, "--json"]);
    expect(log.code, log.stderr).toBe(0);
    const entries = log.json().map((e: unknown) => SessionLogEntry.parse(e));
    const of = (event: string) => entries.filter((e: SessionLogEntry) => e.event === event);
    expect(of("invited")).toHaveLength(3);
    expect(of("joined").map((e: SessionLogEntry) => e.technician)).toEqual([internal.email, extJoined.json().as, "approved@vendor.test"]);
    expect(of("permissions-changed")).toHaveLength(1);
    expect(of("removed")).toHaveLength(1);
    expect(of("transferred")[0]).toMatchObject({ from: lead.email, to: internal.email });
    const recordings = of("recording-started").map((e: SessionLogEntry) => e.by);
    expect(recordings).toEqual([lead.email, internal.email]);
    // The previous lead's recording was finalised when the session left them.
    expect(of("recording-stopped")[0]).toMatchObject({ by: lead.email, bytes: expect.any(Number) });
    expect(of("chat").map((e: SessionLogEntry) => e.text)).toEqual(["external here", "now I can"]);

    expect((await rescue(homes.internal, ["session", "end", id])).code).toBe(0);
    expect((await customer).endedBy).toBe("closed");
  });
});
