import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Session } from "../../src/protocol/index.js";
import { cliLogin, dropHome, makeHome, rescue } from "../helpers/cli.js";
import { customerReady, startTestServer, type Account, type TestServer, type WsProbe } from "../helpers/server.js";

describe("session wait, end and lead-only actions as people and scripts expect them", () => {
  let server: TestServer;
  let lead: Account;
  let other: Account;
  let homes: { lead: string; other: string };
  const customers: WsProbe[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    lead = await server.technician(["lens", "private", "pin", "chat", "invite-internal"]);
    other = await server.technician(["lens", "private", "pin", "chat"]);
    homes = { lead: makeHome(), other: makeHome() };
    await cliLogin(homes.lead, server.url, lead.email, lead.password);
    await cliLogin(homes.other, server.url, other.email, other.password);
  }, 60_000);
  afterAll(async () => {
    for (const c of customers) await c.close();
    for (const h of Object.values(homes ?? {})) await dropHome(h);
    await server.close();
  });

  it("session wait says on a terminal what it waits for, and nothing extra when piped or with --json", async () => {
    const s = Session.parse((await rescue(homes.lead, ["session", "new", "--lens", "--pin", "--name", "Ann", "--json"])).json());
    const wait = ["session", "wait", s.id, "--status", "waiting", "--timeout", "1.5"];

    const tty = await rescue(homes.lead, wait, { tty: true });
    expect(tty.code, tty.stderr).toBe(8);
    expect(tty.stderr).toContain(`waiting for session ${s.id} (Ann), PIN ${s.pin} to be waiting · `);
    expect(tty.stderr).toMatch(/ · [01]s \(Ctrl-C stops\)/);
    // The line is erased before the error, which stands on a line of its own.
    expect(tty.stderr).toMatch(/\r\x1b\[Krescue: session \S+ is not waiting after 1.5 s\n$/);

    const piped = await rescue(homes.lead, wait);
    expect(piped.code).toBe(8);
    expect(piped.stderr).toBe(`rescue: session ${s.id} is not waiting after 1.5 s\n`);

    const json = await rescue(homes.lead, [...wait, "--json"], { tty: true });
    expect(json.code).toBe(8);
    expect(json.stderr).toBe(`rescue: session ${s.id} is not waiting after 1.5 s\n`);
    await rescue(homes.lead, ["session", "end", s.id]);
  }, 60_000);

  it("session end on a session that has already ended exits 0 with a note", async () => {
    const s = Session.parse((await rescue(homes.lead, ["session", "new", "--lens", "--pin", "--json"])).json());
    const first = await rescue(homes.lead, ["session", "end", s.id, "--json"]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toBe("");
    const again = await rescue(homes.lead, ["session", "end", s.id, "--json"]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json()).toMatchObject({ id: s.id, status: "closed" });
    expect(again.stderr).toBe(`note: session ${s.id} had already ended (closed); nothing to do\n`);
    // Other actions on an ended session are still refused.
    expect((await rescue(homes.lead, ["session", "hold", s.id])).code).toBe(5);
  }, 60_000);

  it("a collaborator trying what only the lead may do gets exit 5 saying so, not 6", async () => {
    const created = await rescue(homes.lead, ["session", "new", "--lens", "--pin", "--json"]);
    const { id, pin } = created.json();
    customers.push(await customerReady(server, pin));
    expect((await rescue(homes.lead, ["session", "wait", id, "--status", "waiting", "--timeout", "15"])).code).toBe(0);
    const started = await rescue(homes.lead, ["session", "start", id, "--no-record", "--json"]);
    expect(started.code, started.stderr).toBe(0);
    const inv = await rescue(homes.lead, ["invite", "--session", id, "--internal", other.email, "--permission", "view", "--json"]);
    expect(inv.code, inv.stderr).toBe(0);
    const joined = await rescue(homes.other, ["join", "--pin", inv.json().pin, "--json"]);
    expect(joined.code, joined.stderr).toBe(0);

    for (const [verb, words] of [["end", "end the session"], ["hold", "put the session on hold"]] as const) {
      const r = await rescue(homes.other, ["session", verb, id]);
      expect(r.code, `${verb}: ${r.stderr}`).toBe(5);
      expect(r.stderr).toContain(`only the lead technician can ${words} (${lead.email} leads session ${id})`);
    }
    expect((await rescue(homes.lead, ["session", "end", id])).code).toBe(0);
  }, 90_000);
});
