import { RTCPeerConnection } from "werift";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Session, StartResponse } from "../../src/protocol/index.js";
import { cliLogin, dropHome, makeHome, rescue } from "../helpers/cli.js";
import { customerReady, startTestServer, type Account, type TestServer, type WsProbe } from "../helpers/server.js";

/** Desktop sessions and the session limits, through the real CLI, daemon and server. */
describe("rescue session new --desktop and the limits on active sessions", () => {
  let server: TestServer;
  let tech: Account;
  let home: string;
  let offerer: RTCPeerConnection;
  let offer: string;
  const customers: WsProbe[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    tech = await server.technician(["lens", "private", "pin", "link", "chat"]);
    home = makeHome();
    await cliLogin(home, server.url, tech.email, tech.password);
    // Start needs the customer's offer answered by the daemon; one real werift offer serves every customer here.
    offerer = new RTCPeerConnection({ iceServers: [], bundlePolicy: "max-bundle" });
    offerer.addTransceiver("video", { direction: "sendonly" });
    await offerer.setLocalDescription(await offerer.createOffer());
    offer = offerer.localDescription!.sdp;
  });
  afterAll(async () => {
    for (const c of customers) await c.close();
    await offerer?.close();
    await dropHome(home);
    await server.close();
  });

  async function created(args: string[]): Promise<Session> {
    const r = await rescue(home, ["session", "new", ...args, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    return Session.parse(r.json());
  }

  /** A session whose customer accepted the EULA and sent an offer: Start can go ahead. */
  async function ready(type: "--desktop" | "--lens"): Promise<Session> {
    const s = await created([type, "--pin"]);
    const customer = await customerReady(server, s.pin!);
    customers.push(customer);
    customer.send({ type: "signal", signal: { kind: "offer", sdp: offer } });
    await customer.next("signal", 10_000); // the daemon's answer
    return s;
  }

  async function start(id: string) {
    return rescue(home, ["session", "start", id, "--no-record", "--json"]);
  }

  it("creates a desktop session in view mode, shows type and mode, and refuses control with a clear message", async () => {
    const s = await created(["--desktop", "--link", "--name", "Ann"]);
    expect(s).toMatchObject({ type: "desktop", mode: "view", status: "connecting", method: "link" });
    expect(s.pin).toMatch(/^\d{6}$/);

    const table = await rescue(home, ["session", "list"], { tty: true });
    expect(table.stdout.split("\n")[0]).toMatch(/^ID\s+NAME\s+TYPE\s+MODE\s+STATUS\s+PIN\s+SINCE\s+CUSTOMER$/);
    expect(table.stdout.split("\n").find((l) => l.startsWith(s.id))).toMatch(/Ann\s+desktop\s+view\s+connecting\s+\d{6}/);
    const shown = await rescue(home, ["session", "new", "--desktop", "--mode", "view", "--pin"]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^type\tdesktop \(view\)$/m);

    const before = (await rescue(home, ["session", "list", "--json"])).json<Session[]>().length;
    const control = await rescue(home, ["session", "new", "--desktop", "--mode", "control", "--pin", "--json"]);
    expect(control.code).toBe(5);
    expect(control.stdout).toBe("");
    expect(control.stderr).toMatch(/remote control needs the Rescue agent, not available yet/);
    expect((await rescue(home, ["session", "list", "--json"])).json<Session[]>()).toHaveLength(before);

    const lensMode = await rescue(home, ["session", "new", "--lens", "--mode", "view", "--pin"]);
    expect(lensMode.code).toBe(2);
    expect(lensMode.stderr).toMatch(/--mode applies to desktop sessions/);
    const badMode = await rescue(home, ["session", "new", "--desktop", "--mode", "edit", "--pin"]);
    expect(badMode.code).toBe(2);
    expect(badMode.stderr).toMatch(/one of view, control/);
    expect((await rescue(home, ["session", "new", "--desktop", "--lens", "--pin"])).code).toBe(2);
  });

  it("at most 10 active sessions; sessions on hold do not count; the one-Lens rule holds for Lens only", async () => {
    const sessions: Session[] = [];
    for (let i = 0; i < 11; i++) sessions.push(await ready("--desktop"));
    for (const s of sessions.slice(0, 10)) {
      const r = await start(s.id);
      expect(r.code, r.stderr).toBe(0);
      expect(StartResponse.parse(r.json())).toMatchObject({ id: s.id, status: "active" });
    }
    const eleventh = sessions[10]!;
    const refused = await start(eleventh.id);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toMatch(/you already have 10 active sessions; hold or end one first/);
    expect((await rescue(home, ["session", "list", "--status", "active", "--json"])).json<Session[]>()).toHaveLength(10);

    // A session on hold frees its place; resuming it then runs into the limit.
    expect((await rescue(home, ["session", "hold", sessions[0]!.id, "--json"])).json().status).toBe("on-hold");
    const now = await start(eleventh.id);
    expect(now.code, now.stderr).toBe(0);
    const resume = await rescue(home, ["session", "resume", sessions[0]!.id]);
    expect(resume.code).toBe(5);
    expect(resume.stderr).toMatch(/10 active sessions/);

    // With room again, a Lens session starts beside the desktop ones; a second Lens one does not.
    for (const s of sessions.slice(1, 4)) expect((await rescue(home, ["session", "end", s.id])).code).toBe(0);
    const lens = await ready("--lens");
    const lensStarted = await start(lens.id);
    expect(lensStarted.code, lensStarted.stderr).toBe(0);
    const second = await ready("--lens");
    const refusedLens = await start(second.id);
    expect(refusedLens.code).toBe(5);
    expect(refusedLens.stderr).toMatch(new RegExp(`Lens session ${lens.id} \\(active\\) already holds your Lens slot`));
    // Desktop sessions are not bound by it.
    const desktop = await ready("--desktop");
    const desktopStarted = await start(desktop.id);
    expect(desktopStarted.code, desktopStarted.stderr).toBe(0);

    const active = (await rescue(home, ["session", "list", "--status", "active", "--json"])).json<Session[]>();
    expect(active).toHaveLength(9);
    expect(active.filter((s) => s.type === "lens").map((s) => s.id)).toEqual([lens.id]);
  }, 90_000);
});
