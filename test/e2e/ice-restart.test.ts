import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CustomerConnection } from "../../src/customer/connection.js";
import { CustomerPeer } from "../../src/customer/peer.js";
import type { Signal } from "../../src/protocol/index.js";
import { BUILD_TIMEOUT_MS, buildDist } from "../helpers/build.js";
import { cliLogin, dropHome, makeHome, rescue } from "../helpers/cli.js";
import { statsWhen } from "../helpers/lens.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

/**
 * A network switch: the customer's browser re-offers with an ICE restart on the same connection
 * (Chrome's restartIce()). The daemon cannot restart ICE as the answerer; instead of a broken
 * answer it asks the customer's device for a new connection, and media comes back on it.
 */
let server: TestServer;
let home: string;
beforeAll(async () => {
  await buildDist();
  server = await startTestServer();
}, BUILD_TIMEOUT_MS);
afterAll(async () => {
  if (home) await dropHome(home);
  await server?.close();
});

/** A customer peer wired to the connection as the lead's (the page's `c.pc`). */
let firstOffer = "";
async function leadPeer(conn: CustomerConnection): Promise<CustomerPeer> {
  const peer = new CustomerPeer({ iceServers: conn.iceServers, loopback: true });
  peer.on("signal", (s) => {
    if (s.kind === "offer") firstOffer ||= s.sdp;
    conn.sendSignal(s);
  });
  await peer.start();
  return peer;
}

describe("an ICE restart from the customer", { timeout: 120_000 }, () => {
  it("gets a request for a new connection, and media flows again on it", async () => {
    const tech = await server.technician(["lens", "private", "pin", "record"]);
    home = makeHome();
    await cliLogin(home, server.url, tech.email, tech.password);
    expect((await rescue(home, ["daemon", "start", "--json"])).code).toBe(0);
    const session = (await rescue(home, ["session", "new", "--lens", "--pin", "--json"])).json<{ id: string; pin: string }>();

    const conn = await CustomerConnection.join(server.url, session.pin, "Ann");
    let peer = await (async () => {
      conn.grantDevices(true, true);
      conn.answerEula(true);
      await conn.waitForStatus(["waiting"], 10_000);
      return leadPeer(conn);
    })();
    conn.on("signal", (s: Signal) => void peer.handleSignal(s).catch(() => undefined));
    expect((await rescue(home, ["session", "start", session.id, "--json"])).code).toBe(0);
    void peer.play(60).catch(() => undefined);
    const before = await statsWhen(home, session.id, (s) => s.video.frames > 30);

    const askedAgain = new Promise<string>((resolve) => conn.on("peer", (name, event) => event === "joined" && resolve(name)));
    const restart = await peer.pc.createOffer({ iceRestart: true });
    await peer.pc.setLocalDescription(restart);
    // A browser keeps the o= session id of its connection in every offer (RFC 8866 5.2); werift
    // makes a new one per offer, so the restart is sent as a browser would send it.
    const origin = /^o=.*$/m.exec(firstOffer)![0];
    conn.sendSignal({ kind: "offer", sdp: peer.pc.localDescription!.sdp.replace(/^o=.*$/m, origin!) });
    expect(await askedAgain).toBe("lead");

    // What the page does on that request: a new connection, offered at once.
    const old = peer;
    peer = await leadPeer(conn);
    await old.close("replaced");
    void peer.play(60).catch(() => undefined);
    const after = await statsWhen(home, session.id, (s) => s.connection?.state === "connected" && s.video.frames > before.video.frames + 30, 30_000);
    expect(after.video.frames).toBeGreaterThan(before.video.frames);
    expect((await rescue(home, ["session", "list", "--json"])).json<{ id: string; status: string }[]>().find((s) => s.id === session.id)?.status).toBe("active");
    const daemonLog = readFileSync(join(home, "logs", "rescued.log"), "utf8");
    expect(daemonLog).toContain(`session ${session.id}: the customer restarts ICE; asking for a new connection instead`);

    await peer.close("done");
    conn.leave();
  });
});
