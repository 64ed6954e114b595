import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Session } from "../../src/protocol/index.js";
import { cliLogin, dropHome, makeHome, rescue } from "../helpers/cli.js";
import { tapEvents } from "../helpers/localapi.js";
import { customerReady, startTestServer, type TestServer, type WsProbe } from "../helpers/server.js";

describe("rescue session wait --any: the next Waiting session, for scripts that know no id", () => {
  let server: TestServer;
  let home: string;
  const customers: WsProbe[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    const tech = await server.technician(["lens", "private", "pin"]);
    home = makeHome();
    await cliLogin(home, server.url, tech.email, tech.password);
  });
  afterAll(async () => {
    for (const c of customers) await c.close();
    await dropHome(home);
    await server.close();
  });

  it("times out with exit 8 while no session is waiting, and wants an id or --any", async () => {
    const connecting = Session.parse((await rescue(home, ["session", "new", "--lens", "--pin", "--json"])).json());
    const r = await rescue(home, ["session", "wait", "--any", "--status", "waiting", "--timeout", "0.5", "--json"]);
    expect(r.code, r.stderr).toBe(8);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/no session is waiting after 0.5 s/);
    expect((await rescue(home, ["session", "wait", "--status", "waiting"])).code).toBe(2);
    expect((await rescue(home, ["session", "wait", connecting.id, "--any", "--status", "waiting"])).code).toBe(2);
    await rescue(home, ["session", "end", connecting.id]);
  });

  it("returns the session that becomes Waiting, then answers at once while one is", async () => {
    const tap = tapEvents(home, null);
    await tap.opened;
    const waiting = rescue(home, ["session", "wait", "--any", "--status", "waiting", "--timeout", "15", "--json"]);
    // Sessions that come and go in other statuses do not end the wait.
    const other = Session.parse((await rescue(home, ["session", "new", "--lens", "--pin", "--json"])).json());
    await rescue(home, ["session", "end", other.id]);
    const s = Session.parse((await rescue(home, ["session", "new", "--lens", "--pin", "--json"])).json());
    customers.push(await customerReady(server, s.pin!));
    const w = await waiting;
    expect(w.code, w.stderr).toBe(0);
    expect(Session.parse(w.json())).toMatchObject({ id: s.id, status: "waiting" });
    // The same change is on the event stream for anything else that follows it.
    await tap.until((evs) => evs.some((e) => e.type === "session" && e.session.id === s.id && e.session.status === "waiting"));
    tap.close();

    const again = await rescue(home, ["session", "wait", "--any", "--status", "waiting", "--timeout", "1"]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`^id\t${s.id}$`, "m"));
    await rescue(home, ["session", "end", s.id]);
  });
});
