import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Session } from "../../src/protocol/index.js";
import { cliLogin, dropHome, makeHome, rescue } from "../helpers/cli.js";
import { tapEvents } from "../helpers/localapi.js";
import { TcpProxy } from "../helpers/proxy.js";
import { startTestServer, type Account, type TestServer } from "../helpers/server.js";

/**
 * The daemon talks to the server through a proxy on a fixed port, so the server can be
 * restarted (on a new port) while the daemon keeps its URL, and cut off at will.
 */
describe("rescued and a server that goes away", () => {
  let server: TestServer;
  let proxy: TcpProxy;
  let tech: Account;
  let home: string;

  beforeAll(async () => {
    server = await startTestServer();
    proxy = new TcpProxy(Number(new URL(server.url).port));
    await proxy.open();
    tech = await server.technician(["lens", "private", "pin", "link"]);
    home = makeHome();
    await cliLogin(home, proxy.url, tech.email, tech.password);
  });
  afterAll(async () => {
    await dropHome(home);
    await proxy.cut();
    await server.close();
  });

  it("fails fast while reconnecting, then takes the restarted server's list as the truth", async () => {
    const a = Session.parse((await rescue(home, ["session", "new", "--lens", "--pin", "--json"])).json());
    expect((await rescue(home, ["daemon", "status", "--json"])).json().backend.state).toBe("connected");

    const tap = tapEvents(home, null);
    await tap.opened;
    await proxy.cut();
    await server.restart();
    await tap.until((evs) => evs.some((e) => e.type === "backend" && e.state === "reconnecting"));

    const t0 = Date.now();
    const during = await rescue(home, ["session", "list", "--json"]);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(during.code).toBe(1);
    expect(during.stderr).toContain(`reconnecting to ${proxy.url}`);
    expect(during.stdout).toBe("");
    const status = (await rescue(home, ["daemon", "status", "--json"])).json();
    expect(status.backend.state).toBe("reconnecting");

    // A script waiting across the outage is answered by the snapshot after the reconnect.
    const waitClosed = rescue(home, ["session", "wait", a.id, "--status", "closed", "--timeout", "15", "--json"]);
    await new Promise((r) => setTimeout(r, 300));

    // Meanwhile the server's truth changes behind the daemon's back.
    const ended = await server.api("POST", `/api/v1/sessions/${a.id}/end`, { token: tech.token });
    expect(ended.status).toBe(200);
    const b = await server.api("POST", "/api/v1/sessions", { token: tech.token, body: { method: "link" } });
    expect(b.status).toBe(201);

    await proxy.open(Number(new URL(server.url).port));
    const events = await tap.until((evs) => evs.some((e) => e.type === "backend" && e.state === "connected"), 15_000);
    tap.close();
    const snapshot = events.find((e) => e.type === "sessions");
    const waited = await waitClosed;
    expect(waited.code, waited.stderr).toBe(0);
    expect(waited.json()).toMatchObject({ id: a.id, status: "closed" });
    expect(snapshot.sessions.map((s: Session) => s.id)).toContain(b.body.id);

    const after = await rescue(home, ["session", "list", "--json"]);
    expect(after.code, after.stderr).toBe(0);
    const list = after.json<Session[]>();
    expect(list.map((s) => s.id)).toContain(b.body.id);
    const oldA = list.find((s) => s.id === a.id);
    expect(oldA === undefined || oldA.status === "closed").toBe(true);
    const truth = (await server.api("GET", "/api/v1/sessions", { token: tech.token })).body as Session[];
    const live = (l: Session[]) => l.filter((s) => s.status !== "closed").map((s) => s.id).sort();
    expect(live(list)).toEqual(live(truth));
    const ids = events.map((e) => e.id);
    expect(ids).toEqual(ids.map((_, i) => ids[0] + i));
  });
});
