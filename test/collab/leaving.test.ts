import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Permission, Session } from "../../src/protocol/index.js";
import { cliLogin, dropHome, makeHome, rescue } from "../helpers/cli.js";
import { tapEvents } from "../helpers/localapi.js";
import { customerReady, startTestServer, type Account, type TestServer, type WsProbe } from "../helpers/server.js";

const LEAD: Permission[] = ["lens", "private", "pin", "chat", "invite-internal", "transfer"];

/** Polls the technician's `session list` until `pred` holds for it (or 5 s pass); returns the last list. */
async function listUntil(home: string, pred: (list: Session[]) => boolean): Promise<Session[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const r = await rescue(home, ["session", "list", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const list = r.json<Session[]>();
    if (pred(list) || Date.now() > deadline) return list;
    await new Promise((res) => setTimeout(res, 100));
  }
}

/**
 * Two technicians' daemons against one server: a session that leaves a technician (removed as
 * collaborator, transferred away by another client) leaves their daemon's list at once, without a reconnect.
 */
describe("a session leaves the daemon of the technician it no longer concerns", () => {
  let server: TestServer;
  let lead: Account;
  let other: Account;
  let homes: { lead: string; other: string };
  const customers: WsProbe[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    lead = await server.technician(LEAD);
    other = await server.technician(["lens", "private", "pin", "chat"]);
    homes = { lead: makeHome(), other: makeHome() };
    await cliLogin(homes.lead, server.url, lead.email, lead.password);
    await cliLogin(homes.other, server.url, other.email, other.password);
    // Both daemons connected: a transfer needs its target online.
    for (const h of Object.values(homes)) await listUntil(h, () => true);
  });
  afterAll(async () => {
    for (const c of customers) await c.close();
    for (const h of Object.values(homes ?? {})) await dropHome(h);
    await server.close();
  });

  /** A session of the lead, made active with a customer on the line. */
  const activeSession = async (): Promise<string> => {
    const created = await rescue(homes.lead, ["session", "new", "--lens", "--pin", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const { id, pin } = created.json();
    customers.push(await customerReady(server, pin));
    expect((await rescue(homes.lead, ["session", "wait", id, "--status", "waiting", "--timeout", "10"])).code).toBe(0);
    const started = await rescue(homes.lead, ["session", "start", id, "--no-record", "--json"]);
    expect(started.code, started.stderr).toBe(0);
    return id as string;
  };

  it("a collaborator removed by the lead: gone from their list and their wait --any", async () => {
    const id = await activeSession();
    try {
      const inv = await rescue(homes.lead, ["invite", "--session", id, "--internal", other.email, "--permission", "view", "--json"]);
      expect(inv.code, inv.stderr).toBe(0);
      const joined = await rescue(homes.other, ["join", "--pin", inv.json().pin, "--json"]);
      expect(joined.code, joined.stderr).toBe(0);
      expect((await listUntil(homes.other, (l) => l.some((s) => s.id === id))).map((s) => s.id)).toContain(id);

      const removed = await rescue(homes.lead, ["collaborator", "remove", "--json", "--", id, other.email]);
      expect(removed.code, removed.stderr).toBe(0);
      expect((await listUntil(homes.other, (l) => !l.some((s) => s.id === id))).map((s) => s.id)).not.toContain(id);
      const waited = await rescue(homes.other, ["session", "wait", "--any", "--status", "active", "--timeout", "1", "--json"]);
      expect(waited.code, waited.stdout).toBe(8);
    } finally {
      // One active Lens session per technician: this one makes room for the next test's.
      await rescue(homes.lead, ["session", "end", id]);
    }
  }, 60_000);

  it("transferred away by another client of the lead: the old lead's daemon drops it, the new lead's lists it", async () => {
    const id = await activeSession();
    const tap = tapEvents(homes.lead, null);
    await tap.opened;
    // Before the transfer, a wait for any on-hold session finds this one once it is held.
    const waiting = rescue(homes.lead, ["session", "wait", "--any", "--status", "on-hold", "--timeout", "4", "--json"]);
    await new Promise((r) => setTimeout(r, 300));
    // Held first, so the last push the old lead gets is of an on-hold session.
    expect((await server.api("POST", `/api/v1/sessions/${id}/hold`, { token: lead.token })).status).toBe(200);
    await tap.until((evs) => evs.some((e) => e.type === "session" && e.session.id === id && e.session.status === "on-hold"));
    const waitedHeld = await waiting;
    expect(waitedHeld.code, waitedHeld.stderr).toBe(0);
    expect(waitedHeld.json().id).toBe(id);

    const t0 = Date.now();
    // Not through the lead's daemon: the API, as a console on another machine would.
    const moved = await server.api("POST", `/api/v1/sessions/${id}/transfer`, { token: lead.token, body: { to: other.email } });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    const list = await listUntil(homes.lead, (l) => !l.some((s) => s.id === id));
    expect(list.map((s) => s.id)).not.toContain(id);
    expect(Date.now() - t0).toBeLessThan(3000);
    // The event stream said so too: the last push (who holds it now), then the list without it.
    const evs = await tap.until((all) => all.some((e) => e.type === "sessions" && !e.sessions.some((s: Session) => s.id === id)));
    tap.close();
    expect(evs.filter((e) => e.type === "session" && e.session.id === id).at(-1).session.technician).toBe(other.email);
    // The session is on hold but no longer the lead's: a wait for any on-hold session finds none.
    expect((await rescue(homes.lead, ["session", "wait", "--any", "--status", "on-hold", "--timeout", "1"])).code).toBe(8);

    const theirs = await listUntil(homes.other, (l) => l.some((s) => s.id === id));
    expect(theirs.find((s) => s.id === id)).toMatchObject({ technician: other.email, status: "on-hold" });
  }, 60_000);
});
